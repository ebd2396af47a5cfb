// The one GEMM of the forward, behind cuBLASLt (gemm.cu is the only file that includes cuBLAS):
// y (m, n) = x (m, k) · w (n, k)ᵀ, every matrix row-major fp16, float32 accumulation (CUBLAS_COMPUTE_32F),
// fp16 out. Leading dimensions are in elements.
//
// Algorithms: chosen once per (shape, leading dimensions, operand alignment, tuned) and cached. cuBLASLt's
// heuristic is asked for its top `candidates`; for a tuned call with more than one, each is timed on the first
// call's real operands (CUDA events, the stream synchronised: a one-time cost at the first batch) and the fastest
// is kept. Split-K candidates are limited to a float32 reduction, so y is always fp16(the float32 sum): one
// rounding, as the reference. Operand alignment is told to the heuristic, so 2-byte aligned weights work too (slower
// kernels); the forward passes 16-byte aligned weights (see weights.h).
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace lgb::cuda {

// What the tuning found for one cached plan (for profiles and the peak measurement).
struct GemmTuning {
  int64_t m = 0, n = 0, k = 0;
  uint32_t weight_alignment = 0;  // bytes
  int candidates = 0;             // algorithms the heuristic returned (and that ran)
  int chosen = 0;                 // index of the kept one in the heuristic's order (0: its first pick)
  float first_ms = 0;             // the heuristic's first pick, best of the timed runs (0 when not timed)
  float best_ms = 0;              // the kept algorithm, best of the timed runs (0 when not timed)
};

class Gemm {
 public:
  static constexpr size_t kDefaultWorkspace = 32u << 20;
  static constexpr int kDefaultCandidates = 16;

  // Creates the cuBLASLt handle and a workspace of `workspace_bytes` on the current device; `candidates` = 1 keeps
  // the heuristic's first pick (no timing).
  explicit Gemm(size_t workspace_bytes = kDefaultWorkspace, int candidates = kDefaultCandidates);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  // `tune`: this shape may be timed among the candidates (the forward's full batches, the peak measurement; GEMMs of
  // 1024 rows or more); otherwise the heuristic's first pick (partial batches: no tuning cost per new row count).
  void matmul(const __half* x, int64_t ldx, const __half* w, int64_t ldw, __half* y, int64_t ldy, int64_t m,
              int64_t n, int64_t k, cudaStream_t stream, bool tune = false);
  size_t workspace_bytes() const;
  // One entry per cached plan, in the order they were made.
  std::vector<GemmTuning> tunings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgb::cuda
