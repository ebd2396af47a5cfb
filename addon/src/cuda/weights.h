// A model's weights on one GPU, built from the host model's fp16 pool (poc-compute.md §5 "Weights are slices of one
// pool"): the pool is uploaded once and every sliced parameter is read in place at pool + start.
//
// cuBLASLt's fast kernels want 16-byte aligned operands, and slice starts are arbitrary, so the device keeps
// 8 shifted copies of the pool, copy_s[j] = pool[j + s] (s = 0..7, built on the device): parameter i is
// copy_{start % 8} + (start - start % 8), 16-byte aligned. Parameters larger than the pool (tiny shapes only) are
// uploaded materialised, each in its own allocation. RoPE tables and the target are uploaded as they are.
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "core/model.h"
#include "cuda/buffer.h"

namespace lgb::cuda {

class DeviceWeights {
 public:
  // Uploads `m` to the current device on `stream` and waits for it. Throws lgb::Error (kErrOutOfMemory when the
  // GPU lacks memory).
  DeviceWeights(const HostModel& m, cudaStream_t stream);

  // Parameter i (layout.specs order), 16-byte aligned when sliced.
  const __half* weight(size_t i) const { return ptr_[i]; }
  const __half* rope_cos() const { return rope_cos_.get(); }  // (2 * seq_len, head_dim / 2)
  const __half* rope_sin() const { return rope_sin_.get(); }
  const double* target() const { return target_.get(); }      // (vocab)
  uint64_t bytes() const { return bytes_; }

  // Device bytes the weights of `m` take (for sizing before loading).
  static uint64_t bytes_needed(const HostModel& m);

 private:
  DeviceBuffer<__half> shifted_;                 // (8, padded pool): the 8 shifted copies, back to back
  std::vector<DeviceBuffer<__half>> tiled_;      // materialised non-sliced parameters (else empty)
  std::vector<const __half*> ptr_;               // per parameter
  DeviceBuffer<__half> rope_cos_, rope_sin_;
  DeviceBuffer<double> target_;
  uint64_t bytes_ = 0;
};

}  // namespace lgb::cuda
