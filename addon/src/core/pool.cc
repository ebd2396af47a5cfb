#include "core/pool.h"

#include <algorithm>

#include "core/normal_stream.h"
#include "core/seed.h"
#include "core/sha256.h"

namespace lgb {

int64_t pool_size_for(int64_t total_numel) {
  // Python: max(50000, int(total_params * 0.05)), a float64 product truncated (exact: total < 2^53).
  const int64_t frac = static_cast<int64_t>(static_cast<double>(total_numel) * 0.05);
  return std::max<int64_t>(50000, frac);
}

uint32_t param_key(const std::string& block_hash, const std::string& name) {
  uint8_t d[32];
  const std::string s = block_hash + "_" + name;
  sha256(s.data(), s.size(), d);
  return (uint32_t(d[0]) << 24) | (uint32_t(d[1]) << 16) | (uint32_t(d[2]) << 8) | uint32_t(d[3]);
}

ParamPlacement place_param(uint32_t key, int64_t numel, int64_t pool_size) {
  ParamPlacement p;
  p.key = key;
  if (numel <= pool_size) {
    p.sliced = true;
    p.start = static_cast<int64_t>(key % static_cast<uint64_t>(pool_size - numel + 1));
  } else {
    p.sliced = false;
    p.rotate = static_cast<int64_t>(key % static_cast<uint64_t>(numel));
  }
  return p;
}

void make_pool_f16(const std::string& block_hash, int64_t count, int threads, uint16_t* out) {
  NormalStreamOptions opt;
  opt.threads = threads;
  normals_f16(get_rng(block_hash, 4), count, 0.0, 0.02, out, opt);
}

void fill_tiled(const uint16_t* pool, int64_t pool_size, int64_t numel, int64_t rotate, uint16_t* out) {
  // v[j] = pool[j % pool_size] for j < numel; out[i] = v[(i + rotate) % numel]. Copy in runs of the pool.
  int64_t i = 0;
  while (i < numel) {
    const int64_t j = (i + rotate) % numel;  // index into v
    const int64_t src = j % pool_size;
    const int64_t run = std::min({numel - i, numel - j, pool_size - src});
    std::copy(pool + src, pool + src + run, out + i);
    i += run;
  }
}

}  // namespace lgb
