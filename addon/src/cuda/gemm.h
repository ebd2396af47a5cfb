// The one GEMM of the forward, behind cuBLASLt (gemm.cu is the only file that includes cuBLAS):
// y (m, n) = x (m, k) · w (n, k)ᵀ, every matrix row-major fp16, float32 accumulation (CUBLAS_COMPUTE_32F),
// fp16 out. Leading dimensions are in elements.
//
// Algorithms come from cuBLASLt's heuristic, chosen once per (shape, leading dimensions, operand alignment) and
// cached. Operand alignment is told to the heuristic, so 2-byte aligned weights work too (slower kernels); the
// forward passes 16-byte aligned weights (see weights.h).
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace lgb::cuda {

class Gemm {
 public:
  // Creates the cuBLASLt handle and a workspace of `workspace_bytes` on the current device.
  explicit Gemm(size_t workspace_bytes);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  void matmul(const __half* x, int64_t ldx, const __half* w, int64_t ldw, __half* y, int64_t ldy, int64_t m,
              int64_t n, int64_t k, cudaStream_t stream);
  size_t workspace_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgb::cuda
