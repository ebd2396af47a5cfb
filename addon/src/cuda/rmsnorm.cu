// RMSNorm with the residual add fused in front (mirrors cpu/rmsnorm.cc).
//
// The reference: h = h + delta (fp16 add), then RMSNorm(h) = fp16(h * rsqrt(mean(h^2) + eps)) (float32 math) times
// the fp16 weight (fp16 product). One block per row; rows are independent.
//
// Memory-bound: when dim is a multiple of 8 (at most 8 x 4 x 256 values) and the rows are 16-byte aligned, each
// thread moves 16-byte vectors and keeps its part of the row in registers between the sum and the scaling (one
// read of h and delta, one write of h and out); otherwise the 2-byte kernel.
#include "cuda/ops.h"
#include "cuda/reduce.cuh"

namespace lgb::cuda {
namespace {

constexpr int kThreads = 256;

// h, delta, out: (rows, dim); w: (dim). delta may be null (no residual add).
__global__ void add_rmsnorm_kernel(__half* __restrict__ h, const __half* __restrict__ delta,
                                   const __half* __restrict__ w, __half* __restrict__ out, int64_t dim, float eps) {
  __shared__ float scratch[32];
  __half* hr = h + blockIdx.x * dim;
  __half* orow = out + blockIdx.x * dim;
  float ss = 0.f;
  if (delta) {
    const __half* dr = delta + blockIdx.x * dim;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
      const __half s = __float2half_rn(__fadd_rn(__half2float(hr[i]), __half2float(dr[i])));
      hr[i] = s;
      const float x = __half2float(s);
      ss = __fadd_rn(ss, __fmul_rn(x, x));
    }
  } else {
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
      const float x = __half2float(hr[i]);
      ss = __fadd_rn(ss, __fmul_rn(x, x));
    }
  }
  ss = block_sum(ss, scratch);
  // mean, + eps, rsqrt: as 1/sqrt, correctly rounded (no approximate rsqrtf).
  const float r = __fdiv_rn(1.f, __fsqrt_rn(__fadd_rn(__fdiv_rn(ss, static_cast<float>(dim)), eps)));
  // Each thread re-reads only the elements it wrote above.
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const __half n = __float2half_rn(__fmul_rn(__half2float(hr[i]), r));
    orow[i] = __float2half_rn(__fmul_rn(__half2float(n), __half2float(w[i])));
  }
}

constexpr int kMaxVecs = 4;  // vectors of 8 values per thread

__device__ __forceinline__ float sum_squares8(const uint4& v, float ss) {
  const __half2* p = reinterpret_cast<const __half2*>(&v);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const float2 x = __half22float2(p[j]);
    ss = __fadd_rn(ss, __fmul_rn(x.x, x.x));
    ss = __fadd_rn(ss, __fmul_rn(x.y, x.y));
  }
  return ss;
}

template <int V>
__global__ void add_rmsnorm_vec_kernel(uint4* __restrict__ h, const uint4* __restrict__ delta,
                                       const uint4* __restrict__ w, uint4* __restrict__ out, int vecs, float dim,
                                       float eps) {
  __shared__ float scratch[32];
  uint4* hr = h + static_cast<int64_t>(blockIdx.x) * vecs;
  uint4 v[V];
  float ss = 0.f;
#pragma unroll
  for (int j = 0; j < V; ++j) {
    const int c = threadIdx.x + j * blockDim.x;
    if (c >= vecs) continue;
    v[j] = hr[c];
    if (delta) {
      const uint4 d = delta[static_cast<int64_t>(blockIdx.x) * vecs + c];
      __half2* hp = reinterpret_cast<__half2*>(&v[j]);
      const __half2* dp = reinterpret_cast<const __half2*>(&d);
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float2 a = __half22float2(hp[e]), b = __half22float2(dp[e]);
        hp[e] = __halves2half2(__float2half_rn(__fadd_rn(a.x, b.x)), __float2half_rn(__fadd_rn(a.y, b.y)));
      }
      hr[c] = v[j];
    }
    ss = sum_squares8(v[j], ss);
  }
  ss = block_sum(ss, scratch);
  const float r = __fdiv_rn(1.f, __fsqrt_rn(__fadd_rn(__fdiv_rn(ss, dim), eps)));
  uint4* orow = out + static_cast<int64_t>(blockIdx.x) * vecs;
#pragma unroll
  for (int j = 0; j < V; ++j) {
    const int c = threadIdx.x + j * blockDim.x;
    if (c >= vecs) continue;
    const uint4 wv = w[c];
    __half2* hp = reinterpret_cast<__half2*>(&v[j]);
    const __half2* wp = reinterpret_cast<const __half2*>(&wv);
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const float2 x = __half22float2(hp[e]), g = __half22float2(wp[e]);
      const float n0 = __half2float(__float2half_rn(__fmul_rn(x.x, r)));
      const float n1 = __half2float(__float2half_rn(__fmul_rn(x.y, r)));
      hp[e] = __halves2half2(__float2half_rn(__fmul_rn(n0, g.x)), __float2half_rn(__fmul_rn(n1, g.y)));
    }
    orow[c] = v[j];
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

cudaError_t launch_add_rmsnorm(__half* h, const __half* delta, const __half* w, __half* out, int64_t rows,
                               int64_t dim, float eps, cudaStream_t stream) {
  if (rows <= 0) return cudaSuccess;
  const int64_t vecs = dim / 8;
  if (dim % 8 == 0 && vecs <= kMaxVecs * kThreads && aligned16(h) && aligned16(w) && aligned16(out) &&
      (delta == nullptr || aligned16(delta))) {
    // Threads: the vectors of a row spread over at most kMaxVecs per thread, in whole warps.
    const int64_t per_thread = (vecs + kThreads - 1) / kThreads;
    const int threads = static_cast<int>(((vecs + per_thread - 1) / per_thread + 31) / 32 * 32);
    auto* hv = reinterpret_cast<uint4*>(h);
    auto* dv = reinterpret_cast<const uint4*>(delta);
    auto* wv = reinterpret_cast<const uint4*>(w);
    auto* ov = reinterpret_cast<uint4*>(out);
    const int n = static_cast<int>(vecs);
    const float fdim = static_cast<float>(dim);
    auto kernel = per_thread == 1   ? add_rmsnorm_vec_kernel<1>
                  : per_thread == 2 ? add_rmsnorm_vec_kernel<2>
                  : per_thread == 3 ? add_rmsnorm_vec_kernel<3>
                                    : add_rmsnorm_vec_kernel<4>;
    kernel<<<static_cast<unsigned>(rows), threads, 0, stream>>>(hv, dv, wv, ov, n, fdim, eps);
    return cudaGetLastError();
  }
  const int threads = dim >= kThreads ? kThreads : (dim >= 128 ? 128 : 64);
  add_rmsnorm_kernel<<<static_cast<unsigned>(rows), threads, 0, stream>>>(h, delta, w, out, dim, eps);
  return cudaGetLastError();
}

}  // namespace lgb::cuda
