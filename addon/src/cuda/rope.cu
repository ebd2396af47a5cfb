// Rotary position embedding (mirrors cpu/rope.cc).
//
// The reference (apply_rotary_emb) works in float32 on pairs (x0, x1) = (x[2i], x[2i+1]) of each head with the
// fp16 cos/sin tables: x0' = x0*c - x1*s, x1' = x1*c + x0*s, each product and sum a separate float32 op, then the
// result is cast back to fp16. Position of row r = r % seq_len (start position 0).
//
// Memory-bound: the main kernel moves 8 values (4 pairs, one row) per 16-byte access with 32-bit index math; the
// plain one takes rows that are not a multiple of 8 values, unaligned buffers and huge tensors.
#include "cuda/grid.cuh"
#include "cuda/ops.h"

namespace lgb::cuda {
namespace {

// x: (rows, n_heads * head_dim), in place; cos, sin: (2 * seq_len, head_dim / 2).
__global__ void rope_kernel(__half* __restrict__ x, int64_t rows, int64_t n_heads, int64_t half_dim,
                            int64_t seq_len, const __half* __restrict__ cos, const __half* __restrict__ sin) {
  const int64_t pairs_per_row = n_heads * half_dim;
  const int64_t total = rows * pairs_per_row;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = t / pairs_per_row;
    const int64_t i = t % half_dim;  // pair index within the head
    const int64_t pos = row % seq_len;
    const float c = __half2float(cos[pos * half_dim + i]);
    const float s = __half2float(sin[pos * half_dim + i]);
    __half* p = x + 2 * t;
    const float x0 = __half2float(p[0]), x1 = __half2float(p[1]);
    p[0] = __float2half_rn(__fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s)));
    p[1] = __float2half_rn(__fadd_rn(__fmul_rn(x1, c), __fmul_rn(x0, s)));
  }
}

// x as uint4 vectors (rows * pairs_per_row / 4 of them; pairs_per_row % 4 == 0, so a vector lies in one row).
__global__ void rope_vec_kernel(uint4* __restrict__ x, uint32_t vecs, uint32_t pairs_per_row, uint32_t half_dim,
                                uint32_t seq_len, const __half* __restrict__ cos, const __half* __restrict__ sin) {
  for (uint32_t v = blockIdx.x * blockDim.x + threadIdx.x; v < vecs; v += gridDim.x * blockDim.x) {
    uint4 xv = x[v];
    __half2* h = reinterpret_cast<__half2*>(&xv);
    const uint32_t t0 = 4 * v;
    const uint32_t pos = (t0 / pairs_per_row) % seq_len;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t i = (t0 + j) % half_dim;
      const float c = __half2float(cos[pos * half_dim + i]);
      const float s = __half2float(sin[pos * half_dim + i]);
      const float2 p = __half22float2(h[j]);
      h[j] = __halves2half2(__float2half_rn(__fsub_rn(__fmul_rn(p.x, c), __fmul_rn(p.y, s))),
                            __float2half_rn(__fadd_rn(__fmul_rn(p.y, c), __fmul_rn(p.x, s))));
    }
    x[v] = xv;
  }
}

}  // namespace

cudaError_t launch_rope(__half* x, int64_t rows, int64_t n_heads, int64_t head_dim, int64_t seq_len,
                        const __half* cos, const __half* sin, cudaStream_t stream) {
  const int64_t total = rows * n_heads * (head_dim / 2);
  if (total <= 0) return cudaSuccess;
  const int threads = 256;
  const int64_t pairs_per_row = n_heads * (head_dim / 2);
  if (pairs_per_row % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 && total < (int64_t{1} << 31) &&
      2 * seq_len * (head_dim / 2) < (int64_t{1} << 31)) {
    const int64_t vecs = total / 4;
    rope_vec_kernel<<<grid_for(vecs, threads), threads, 0, stream>>>(
        reinterpret_cast<uint4*>(x), static_cast<uint32_t>(vecs), static_cast<uint32_t>(pairs_per_row),
        static_cast<uint32_t>(head_dim / 2), static_cast<uint32_t>(seq_len), cos, sin);
    return cudaGetLastError();
  }
  const int64_t blocks = (total + threads - 1) / threads;
  rope_kernel<<<static_cast<unsigned>(blocks < 65535 * 16 ? blocks : 65535 * 16), threads, 0, stream>>>(
      x, rows, n_heads, head_dim / 2, seq_len, cos, sin);
  return cudaGetLastError();
}

}  // namespace lgb::cuda
