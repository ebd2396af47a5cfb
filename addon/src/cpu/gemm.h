// The one GEMM of the CPU forward: y = round_fp16(x · Wᵀ) with fp16 weights and float32 accumulation.
//
//   x (M, K)  float32 activations (fp16-representable values), packed once by pack_rows()
//   W (N, K)  fp16 bits, row-major (a linear layer's weight, possibly a slice of the pool: any 2-byte alignment)
//   y (M, N)  float32, every element rounded to fp16 once
//
// Summation order (the determinism contract): k runs in blocks of kGemmKBlock; block b's products are one fma chain
// from zero, p_b = fma(x[m][k], W[n][k], ...) over its k ascending, and the blocks are added in order,
// c = ((p_0 + p_1) + p_2) + ...; y[m][n] = fp16(c). This is how BLAS kernels (and so the reference's float32 CPU
// matmul) accumulate: a register tile per k block, then C += tile. Threads, row tiling and the other rows of the
// batch never change it, so a nonce's result does not depend on its batch. The AVX2 kernel (6x16 register tile,
// F16C weight conversion into packed float32 panels) and the portable scalar kernel compute the same chains with
// the same fused multiply-adds, so they agree bit for bit.
#pragma once
#include <cstdint>
#include <vector>

#include "cpu/buffer.h"
#include "cpu/workers.h"

namespace lgb {
namespace cpu {

inline constexpr int64_t kGemmKBlock = 256;

// Rows of x in the kernel's panel layout, k block by k block: block b (k in [256b, 256b+kc)) holds every 6-row panel
// p as [kc][6] (rows 6p..6p+5, rows past M zero), so one k block of all rows is one contiguous stream.
struct PackedRows {
  int64_t rows = 0, k = 0, panels = 0;
  FloatBuffer data;  // (k blocks, panels, kc, 6)
};

// Per-worker panels of W and accumulators, reused across calls.
struct GemmScratch {
  std::vector<FloatBuffer> b_panels, acc;
  uint64_t bytes() const;
};

void pack_rows(Workers& workers, const float* x, int64_t ldx, int64_t rows, int64_t k, PackedRows* out);

// kBest: the AVX2/FMA/F16C kernel when the CPU has it, else the portable one. kPortable: always the portable one
// (tests compare the two).
enum class GemmKernel { kBest, kPortable };

void gemm_fp16w(Workers& workers, GemmScratch& scratch, const PackedRows& x, const uint16_t* w, int64_t n,
                float* y, int64_t ldy, GemmKernel kernel = GemmKernel::kBest);

// The FFN gate fused into its two GEMMs: y = swiglu_row(x · W1ᵀ, x · W3ᵀ) (ops.h), i.e.
// fp16(fp16(silu(fp16(x·W1ᵀ))) * fp16(x·W3ᵀ)), each product summed exactly as gemm_fp16w sums it. Same bits as the
// two GEMMs followed by the gate, without the (rows, hidden) intermediates.
void gemm_fp16w_swiglu(Workers& workers, GemmScratch& scratch, const PackedRows& x, const uint16_t* w1,
                       const uint16_t* w3, int64_t n, float* y, int64_t ldy, GemmKernel kernel = GemmKernel::kBest);

}  // namespace cpu
}  // namespace lgb
