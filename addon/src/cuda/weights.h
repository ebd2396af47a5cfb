// A model's weights on one GPU, built from the host model's fp16 pool (docs/poc-compute.md §5 "Weights are slices of one
// pool"): the pool is uploaded once, and the weights are made from it on the device, in one of two modes:
//
//   kShiftedCopies   8 shifted copies of the pool, copy_s[j] = pool[j + s] (s = 0..7): parameter i is read in place
//                    at copy_{start % 8} + (start - start % 8), 16-byte aligned (cuBLASLt's fast kernels need
//                    16 bytes; starts are arbitrary). V2: 8 x 1.78 GB = 14.2 GB. The mode for 24 GB cards.
//   kMaterialised    every parameter copied out of the pool into its own 256-byte aligned slot. V2: 35.5 GB. On an
//                    H100 cuBLASLt's heuristic picks faster kernels for 256-byte than for 16-byte aligned weights
//                    (NOTES.md, Measurements), so this is the mode when memory allows.
//   kPool            the pool alone, parameter i read in place at pool + start: any alignment down to 2 bytes (the
//                    GEMM tells cuBLASLt the real one; slower kernels). V2: 1.78 GB. For cards where 8 copies do
//                    not fit.
//
// Parameters larger than the pool (tiny shapes only) are uploaded materialised in either mode. RoPE tables and the
// target are uploaded as they are. tok_embeddings is never used by the forward and never stored.
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "core/model.h"
#include "cuda/buffer.h"

namespace lgb::cuda {

enum class WeightMode { kShiftedCopies, kMaterialised, kPool };

const char* weight_mode_name(WeightMode mode);

class DeviceWeights {
 public:
  // Uploads `m` to the current device on `stream` and waits for it. Throws lgb::Error (kErrOutOfMemory when the
  // GPU lacks memory).
  DeviceWeights(const HostModel& m, WeightMode mode, cudaStream_t stream);

  // Parameter i (layout.specs order), 16-byte aligned when sliced.
  const __half* weight(size_t i) const { return ptr_[i]; }
  const __half* rope_cos() const { return rope_cos_.get(); }  // (2 * seq_len, head_dim / 2)
  const __half* rope_sin() const { return rope_sin_.get(); }
  const double* target() const { return target_.get(); }      // (vocab)
  uint64_t bytes() const { return bytes_; }
  WeightMode mode() const { return mode_; }

  // Device bytes the weights of `m` take in `mode` once loaded, and at most while loading (the materialised mode
  // holds the uploaded pool next to the slots until it is done).
  static uint64_t bytes_needed(const HostModel& m, WeightMode mode);
  static uint64_t bytes_while_loading(const HostModel& m, WeightMode mode);

 private:
  WeightMode mode_;
  DeviceBuffer<__half> store_;                   // the 8 shifted copies back to back, the slots, or the pool
  std::vector<DeviceBuffer<__half>> tiled_;      // materialised non-sliced parameters (else empty)
  std::vector<const __half*> ptr_;               // per parameter
  DeviceBuffer<__half> rope_cos_, rope_sin_;
  DeviceBuffer<double> target_;
  uint64_t bytes_ = 0;
};

}  // namespace lgb::cuda
