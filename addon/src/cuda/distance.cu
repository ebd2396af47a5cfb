// The distance of each nonce (mirrors core/distance.cc; docs/poc-compute.md §7): z = float32 last-position logits,
// permuted (z'[j] = z[perm[j]]), divided by its float32 norm, then the float64 Euclidean distance to the float64
// unit target. One block per nonce: only one double per nonce leaves the GPU.
//
// Both norms use numpy's pairwise summation in the same order as core/distance.cc (the squares are staged in
// shared memory, then one thread sums them), so for equal logits the distance is bit-identical to the CPU's.
// A vocabulary too large for shared memory falls back to a block reduction (another summation order: ~1e-7).
#include "core/pairwise.h"
#include "cuda/ops.h"
#include "cuda/reduce.cuh"

namespace lgb::cuda {
namespace {

constexpr int kThreads = 256;

// logits: (batch, ld) fp16; perm: (batch, vocab); target: (vocab) float64; dist: (batch).
// Dynamic shared memory: vocab doubles (the float squares use its first half).
__global__ void distance_exact_kernel(const __half* __restrict__ logits, int64_t ld, const int32_t* __restrict__ perm,
                                      const double* __restrict__ target, int64_t vocab, double* __restrict__ dist) {
  extern __shared__ double d2[];
  float* sq = reinterpret_cast<float*>(d2);
  __shared__ float norm;
  const __half* z = logits + blockIdx.x * ld;
  const int32_t* p = perm + blockIdx.x * vocab;
  for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
    const float x = __half2float(z[p[j]]);
    sq[j] = __fmul_rn(x, x);
  }
  __syncthreads();
  if (threadIdx.x == 0) norm = __fsqrt_rn(__fadd_rn(0.0f, lgb::pairwise_sum(sq, vocab)));
  __syncthreads();
  for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
    const double d = __dsub_rn(static_cast<double>(__fdiv_rn(__half2float(z[p[j]]), norm)), target[j]);
    d2[j] = __dmul_rn(d, d);
  }
  __syncthreads();
  if (threadIdx.x == 0) dist[blockIdx.x] = __dsqrt_rn(__dadd_rn(0.0, lgb::pairwise_sum(d2, vocab)));
}

__global__ void distance_reduce_kernel(const __half* __restrict__ logits, int64_t ld,
                                       const int32_t* __restrict__ perm, const double* __restrict__ target,
                                       int64_t vocab, double* __restrict__ dist) {
  __shared__ double scratch[32];
  const __half* z = logits + blockIdx.x * ld;
  const int32_t* p = perm + blockIdx.x * vocab;
  double ss = 0;
  for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
    const float x = __half2float(z[j]);
    ss += static_cast<double>(__fmul_rn(x, x));
  }
  ss = block_sum(ss, scratch);
  const float norm = __fsqrt_rn(static_cast<float>(ss));
  double d = 0;
  for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
    const double diff = static_cast<double>(__fdiv_rn(__half2float(z[p[j]]), norm)) - target[j];
    d += diff * diff;
  }
  d = block_sum(d, scratch);
  if (threadIdx.x == 0) dist[blockIdx.x] = sqrt(d);
}

}  // namespace

cudaError_t launch_distance(const __half* logits, int64_t ld, const int32_t* perm, const double* target,
                            int64_t vocab, int64_t batch, double* dist, cudaStream_t stream) {
  if (batch <= 0) return cudaSuccess;
  const size_t smem = static_cast<size_t>(vocab) * sizeof(double);
  int device = 0, optin = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  if (err != cudaSuccess) return err;
  if (smem + 64 <= static_cast<size_t>(optin)) {
    if (smem > 48 * 1024) {
      err = cudaFuncSetAttribute(distance_exact_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 static_cast<int>(smem));
      if (err != cudaSuccess) return err;
    }
    distance_exact_kernel<<<static_cast<unsigned>(batch), kThreads, smem, stream>>>(logits, ld, perm, target, vocab,
                                                                                   dist);
  } else {
    distance_reduce_kernel<<<static_cast<unsigned>(batch), kThreads, 0, stream>>>(logits, ld, perm, target, vocab,
                                                                                  dist);
  }
  return cudaGetLastError();
}

}  // namespace lgb::cuda
