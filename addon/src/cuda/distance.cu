// The distance of each nonce (mirrors core/distance.cc; poc-compute.md §7): z = float32 last-position logits,
// permuted (z'[j] = z[perm[j]]), divided by its float32 norm, then the float64 Euclidean distance to the float64
// unit target. One block per nonce: only one double per nonce leaves the GPU.
#include "cuda/ops.h"
#include "cuda/reduce.cuh"

namespace lgb::cuda {
namespace {

constexpr int kThreads = 256;

// logits: (batch, ld) fp16; perm: (batch, vocab); target: (vocab) float64; dist: (batch).
__global__ void distance_kernel(const __half* __restrict__ logits, int64_t ld, const int32_t* __restrict__ perm,
                                const double* __restrict__ target, int64_t vocab, double* __restrict__ dist) {
  __shared__ double scratch[32];
  const __half* z = logits + blockIdx.x * ld;
  const int32_t* p = perm + blockIdx.x * vocab;
  // The norm's sum of squares: float32 products accumulated in float64, then rounded once to float32 (a float32
  // sum in another order differs by ~1e-7 relative; the reference's BLAS order is not reproducible anyway).
  double ss = 0;
  for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
    const float x = __half2float(z[j]);
    ss += static_cast<double>(__fmul_rn(x, x));
  }
  ss = block_sum(ss, scratch);
  const float norm = __fsqrt_rn(static_cast<float>(ss));
  double d = 0;
  for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
    const double zn = static_cast<double>(__fdiv_rn(__half2float(z[p[j]]), norm));
    const double diff = zn - target[j];
    d += diff * diff;
  }
  d = block_sum(d, scratch);
  if (threadIdx.x == 0) dist[blockIdx.x] = sqrt(d);
}

}  // namespace

cudaError_t launch_distance(const __half* logits, int64_t ld, const int32_t* perm, const double* target,
                            int64_t vocab, int64_t batch, double* dist, cudaStream_t stream) {
  if (batch <= 0) return cudaSuccess;
  distance_kernel<<<static_cast<unsigned>(batch), kThreads, 0, stream>>>(logits, ld, perm, target, vocab, dist);
  return cudaGetLastError();
}

}  // namespace lgb::cuda
