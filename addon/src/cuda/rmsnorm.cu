// RMSNorm with the residual add fused in front (mirrors cpu/rmsnorm.cc).
//
// The reference: h = h + delta (fp16 add), then RMSNorm(h) = fp16(h * rsqrt(mean(h^2) + eps)) (float32 math) times
// the fp16 weight (fp16 product). One block per row; rows are independent.
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

}  // namespace

cudaError_t launch_add_rmsnorm(__half* h, const __half* delta, const __half* w, __half* out, int64_t rows,
                               int64_t dim, float eps, cudaStream_t stream) {
  if (rows <= 0) return cudaSuccess;
  const int threads = dim >= kThreads ? kThreads : (dim >= 128 ? 128 : 64);
  add_rmsnorm_kernel<<<static_cast<unsigned>(rows), threads, 0, stream>>>(h, delta, w, out, dim, eps);
  return cudaGetLastError();
}

}  // namespace lgb::cuda
