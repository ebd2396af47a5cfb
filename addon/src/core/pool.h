// The weight pool and where each parameter sits in it (docs/poc-compute.md §4):
//   pool_size = max(50000, int(total * 0.05))
//   pool      = get_rng(block_hash, 4).normal(0, 0.02, pool_size) -> float32 -> fp16
//   k         = first 4 bytes (big-endian) of sha256(f"{block_hash}_{name}")
//   numel <= pool_size: pool[k % (pool_size - numel + 1) :][:numel]
//   otherwise         : the pool tiled to numel values, rotated left by k % numel
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"

namespace lgb {

int64_t pool_size_for(int64_t total_numel);
uint32_t param_key(const std::string& block_hash, const std::string& name);
ParamPlacement place_param(uint32_t key, int64_t numel, int64_t pool_size);

// pool[0..count) in fp16 bits, generated on `threads` threads (0 = all). The values do not depend on pool_size,
// so any prefix of any pool can be computed alone.
void make_pool_f16(const std::string& block_hash, int64_t count, int threads, uint16_t* out);

// Values of a parameter on the tiled path: out[i] = pool[((i + rotate) % numel) % pool_size].
void fill_tiled(const uint16_t* pool, int64_t pool_size, int64_t numel, int64_t rotate, uint16_t* out);

}  // namespace lgb
