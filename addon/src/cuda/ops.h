// The forward's kernels, one file per op (mirroring addon/src/cpu/): each launcher enqueues its kernel on
// `stream` and returns cudaGetLastError() (wrap it in LGB_CUDA). Tensors are row-major fp16 unless noted;
// shapes are given as (rows, cols) with rows = nonces x positions.
//
// Rounding: every tensor the reference's fp16 model stores is rounded to fp16 here at the same point
// (docs/poc-compute.md §6); arithmetic between those points is float32. Elementwise float32 products and sums that the
// reference performs as separate torch ops are written with __fmul_rn/__fadd_rn, which nvcc never contracts into an
// FMA, so the rounding points do not depend on --fmad.
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace lgb::cuda {

// rmsnorm.cu. For each row r: if delta, h[r] = fp16(h[r] + delta[r]) (the residual add, written back);
// then out[r] = fp16(fp16(h[r] * rsqrt(mean(h[r]^2) + eps)) * w).
// h, delta, out: (rows, dim); w: (dim).
cudaError_t launch_add_rmsnorm(__half* h, const __half* delta, const __half* w, __half* out, int64_t rows,
                               int64_t dim, float eps, cudaStream_t stream);

// rope.cu. In place on x: (rows, n_heads * head_dim) where row r is position r % seq_len; pairs (2i, 2i+1) of each
// head rotated by the fp16 tables cos/sin: (2 * seq_len, head_dim / 2).
cudaError_t launch_rope(__half* x, int64_t rows, int64_t n_heads, int64_t head_dim, int64_t seq_len,
                        const __half* cos, const __half* sin, cudaStream_t stream);

// attention.cu / attention_mma.cu. Causal grouped-query attention per (nonce, head), K/V of the nonce's kv head in
// shared memory. q: (batch * seq, n_heads * hd); k, v: (batch * seq, n_kv * hd); out: (batch * seq, n_heads * hd),
// or, when last_only, only the last position of each nonce: out (batch, n_heads * hd).
// launch_attention picks the tensor-core kernel (head_dim <= 128) or the plain one (attention.cu, any head_dim).
struct AttentionShape {
  int64_t batch, seq, n_heads, n_kv_heads, head_dim;
};
// Shared memory one block of the kernel launch_attention picks needs (bytes).
size_t attention_smem_bytes(const AttentionShape& s);
cudaError_t launch_attention(const __half* q, const __half* k, const __half* v, __half* out, const AttentionShape& s,
                             bool last_only, cudaStream_t stream);
// The two kernels by name (the kernel check compares both with the CPU). attention_mma_smem_bytes is 0 when the
// tensor-core kernel does not take this head_dim.
size_t attention_simt_smem_bytes(const AttentionShape& s);
cudaError_t launch_attention_simt(const __half* q, const __half* k, const __half* v, __half* out,
                                  const AttentionShape& s, bool last_only, cudaStream_t stream);
// launch_attention_mma keeps the scores in shared memory between its passes when they fit (keep_scores = false:
// the variant that recomputes them, for the kernel check). attention_mma_smem_bytes is the smaller of the two.
size_t attention_mma_smem_bytes(const AttentionShape& s);
cudaError_t launch_attention_mma(const __half* q, const __half* k, const __half* v, __half* out,
                                 const AttentionShape& s, bool last_only, cudaStream_t stream,
                                 bool keep_scores = true);

// swiglu.cu. a = fp16(fp16(silu(a)) * b), elementwise over n values (a is overwritten). launch_swiglu moves 16
// bytes per access when a and b are 16-byte aligned; launch_swiglu_pairs is the 4-byte kernel (the profile compares
// the two).
cudaError_t launch_swiglu(__half* a, const __half* b, int64_t n, cudaStream_t stream);
cudaError_t launch_swiglu_pairs(__half* a, const __half* b, int64_t n, cudaStream_t stream);

// distance.cu. Per nonce i: z = float(logits[i, perm[i, j]]) for j < vocab, z /= ||z|| (float32), and
// dist[i] = ||z - target|| in float64 (core/distance.cc's math). logits: (batch, ld) fp16; perm: (batch, vocab).
cudaError_t launch_distance(const __half* logits, int64_t ld, const int32_t* perm, const double* target,
                            int64_t vocab, int64_t batch, double* dist, cudaStream_t stream);

// gather.cu. Row gather: out row i = in row (i * stride + offset), for i < rows; rows of `cols` values.
cudaError_t launch_gather_rows(const __half* in, int64_t stride, int64_t offset, __half* out, int64_t rows,
                               int64_t cols, cudaStream_t stream);

// peak.cu. Fills x (n values) with fp16 uniform values in [-1, 1) from a counter hash of `seed` (benchmark data).
cudaError_t launch_fill_random(__half* x, int64_t n, uint64_t seed, cudaStream_t stream);
// peak.cu. cudaSuccess when this build has kernels for GPU `device` (its architecture was compiled in).
cudaError_t kernel_image_available(int device);

}  // namespace lgb::cuda
