// The element-wise and per-head ops of the CPU forward (docs/poc-compute.md §6), one file each. Every op reads and
// writes float32 arrays holding fp16 values and rounds its output to fp16 exactly where the fp16 PyTorch model
// stores a tensor; the arithmetic in between is float32, in a fixed order per output element.
//
// Row layouts: activations are (rows, width) row-major with a leading dimension; a batch of B nonces of S
// positions is B*S rows, nonce-major.
#pragma once
#include <cstdint>

#include "cpu/buffer.h"
#include "cpu/workers.h"

namespace lgb {
namespace cpu {

// rmsnorm.cc — RMSNorm(x) * weight, as `_norm(x.float()).type_as(x) * weight`:
//   out[r][i] = fp16( fp16( x[r][i] * (1 / sqrt(sum_i(x[r][i]^2) / dim + eps)) ) * weight[i] )
// The float32 sum of squares is added in the order of torch's CPU sum kernel (see rmsnorm.cc); eps is
// float32(norm_eps).
//   x (rows, dim) [ldx], weight (dim) fp16 values as float, out (rows, dim) [ldo]
void rmsnorm(Workers& workers, const float* x, int64_t ldx, int64_t rows, int64_t dim, const float* weight,
             float eps, float* out, int64_t ldo);

// rope.cc — rotary embedding in place on the heads of x, pairs (2i, 2i+1) with the fp16 tables:
//   x0' = fp16(x0*cos - x1*sin), x1' = fp16(x1*cos + x0*sin)   (each product and the sum rounded in float32)
// Row r is at position first_pos + r % rows_per_seq.
//   x (rows, heads*head_dim) [ldx]; cos, sin (positions, head_dim/2) as float
void rope(Workers& workers, float* x, int64_t ldx, int64_t rows, int64_t heads, int64_t head_dim,
          int64_t rows_per_seq, int64_t first_pos, const float* cos, const float* sin);

// attention.cc — causal grouped-query attention of each nonce, per query head h (kv head h / n_rep):
//   s_j = fp16(fp16(q·k_j) / sqrt(head_dim)) for keys j <= position, p = fp16(softmax(s) in float32),
//   o = fp16(sum_j p_j v_j)
// q rows of nonce b are its last q_rows positions (S for the full sequence, 1 for the last-position shortcut).
//   q (B, q_rows, heads*head_dim), k and v (B, S, kv_heads*head_dim), out (B, q_rows, heads*head_dim)
struct AttentionScratch {
  FloatBuffer per_worker;  // k transposed (head_dim, S) and one row of scores (S), per worker
};
void attention(Workers& workers, AttentionScratch& scratch, const float* q, const float* k, const float* v,
               int64_t batch, int64_t seq, int64_t q_rows, int64_t heads, int64_t kv_heads, int64_t head_dim,
               float* out);

// swiglu.cc — the FFN gate on one row of the two FFN GEMMs' float32 sums (gemm_fp16w_swiglu calls it):
//   out = fp16(fp16(silu(fp16(a))) * fp16(b)), silu(x) = x / (1 + exp(-x)) in float32 (exp.h)
// a, b: (n) the sums, overwritten; out: (n)
void swiglu_row(float* a, float* b, float* out, int64_t n);
// a[i] = silu(a[i]) in float32 (no fp16 rounding); portable = true forces the non-SIMD path (tests compare them).
void silu_inplace(float* a, int64_t n, bool portable = false);

// residual.cc — h = fp16(h + t).
//   h (rows, dim) [ldh], t (rows, dim) [ldt]
void residual_add(Workers& workers, float* h, int64_t ldh, const float* t, int64_t ldt, int64_t rows, int64_t dim);

}  // namespace cpu
}  // namespace lgb
