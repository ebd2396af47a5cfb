// The SwiGLU gate (mirrors cpu/swiglu.cc): a = fp16(silu(a)) (silu(x) = x / (1 + exp(-x)) in float32), then
// a = fp16(a * b). a = x·W1ᵀ and b = x·W3ᵀ, both (rows, ffn_hidden); the gated result overwrites a.
#include "cuda/ops.h"

namespace lgb::cuda {
namespace {

__device__ __forceinline__ float gate(float a, float b) {
  const float silu = __half2float(__float2half_rn(__fdiv_rn(a, __fadd_rn(1.f, expf(-a)))));
  return __fmul_rn(silu, b);
}

// Pairs of values (n even) as __half2: 4-byte accesses.
__global__ void swiglu_kernel(__half2* __restrict__ a, const __half2* __restrict__ b, int64_t pairs) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < pairs;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float2 av = __half22float2(a[i]), bv = __half22float2(b[i]);
    a[i] = __floats2half2_rn(gate(av.x, bv.x), gate(av.y, bv.y));
  }
}

__global__ void swiglu_scalar_kernel(__half* __restrict__ a, const __half* __restrict__ b, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    a[i] = __float2half_rn(gate(__half2float(a[i]), __half2float(b[i])));
  }
}

unsigned grid_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 132 * 64 ? blocks : 132 * 64);
}

}  // namespace

cudaError_t launch_swiglu(__half* a, const __half* b, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  const int threads = 256;
  const bool paired = n % 2 == 0 && reinterpret_cast<uintptr_t>(a) % 4 == 0 && reinterpret_cast<uintptr_t>(b) % 4 == 0;
  if (paired) {
    swiglu_kernel<<<grid_for(n / 2, threads), threads, 0, stream>>>(reinterpret_cast<__half2*>(a),
                                                                   reinterpret_cast<const __half2*>(b), n / 2);
  } else {
    swiglu_scalar_kernel<<<grid_for(n, threads), threads, 0, stream>>>(a, b, n);
  }
  return cudaGetLastError();
}

}  // namespace lgb::cuda
