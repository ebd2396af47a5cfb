// The host side of a model: everything a backend needs to build a job's transformer on a device, made once
// per (block_hash, params) and shared read-only by every device.
//
// Weights are not materialised: every parameter with numel <= pool_size is the contiguous slice
// pool[start : start+numel] (docs/poc-compute.md §4 and "Weights are slices of one pool"); only parameters larger than
// the pool (tiny shapes) are materialised (tiled + rotated). weight(i) hides the difference.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/params.h"

namespace lgb {

struct ParamPlacement {
  bool sliced = true;   // true: values = pool[start : start+numel]
  int64_t start = 0;    // slice start (sliced) ; unused otherwise
  int64_t rotate = 0;   // tiled path: left rotation s = k % numel
  uint32_t key = 0;     // k = first 4 bytes of sha256(f"{block_hash}_{name}"), big-endian
};

struct HostModel {
  std::string block_hash;
  ModelParams params;
  ParamLayout layout;
  int64_t pool_size = 0;
  std::vector<uint16_t> pool;                  // (pool_size) fp16 bits: float64 -> float32 -> fp16 RNE
  std::vector<ParamPlacement> placement;       // one per layout.specs entry
  std::vector<std::vector<uint16_t>> tiled;    // materialised values of non-sliced parameters (else empty)
  std::vector<double> target;                  // (vocab_size) unit target vector, float64
  std::vector<uint16_t> rope_cos, rope_sin;    // (2*seq_len, head_dim/2) fp16 bits

  // fp16 values of parameter i (row-major, layout.specs[i].shape), valid while the model lives.
  const uint16_t* weight(size_t i) const {
    return placement[i].sliced ? pool.data() + placement[i].start : tiled[i].data();
  }
};

// Builds the pool (parallel exact normals), placements, tiled parameters, target and RoPE tables.
// threads = 0 uses every core. Throws lgb::Error.
std::shared_ptr<const HostModel> build_host_model(const std::string& block_hash, const ModelParams& params,
                                                  int threads);

// sha256 (hex) of parameter i's fp16 little-endian bytes, without materialising anything larger than it.
std::string weight_sha256(const HostModel& m, size_t i);

// weight_sha256 of every parameter (named_parameters() order), hashed on `threads` threads (0 = all).
std::vector<std::string> weight_sha256_all(const HostModel& m, int threads);

// Where each parameter of `layout` sits in a pool of pool_size values (the key hashes are cheap: no pool needed).
std::vector<ParamPlacement> place_params(const std::string& block_hash, const ParamLayout& layout,
                                         int64_t pool_size);

}  // namespace lgb
