// The SwiGLU gate (mirrors cpu/swiglu.cc): a = fp16(silu(a)) (silu(x) = x / (1 + exp(-x)) in float32), then
// a = fp16(a * b). a = x·W1ᵀ and b = x·W3ᵀ, both (rows, ffn_hidden); the gated result overwrites a.
//
// Memory-bound (6 bytes per value: read a and b, write a): the main kernel moves 16 bytes per access, two vectors
// of a and two of b in flight per thread before the math; the 4-byte kernel takes inputs that are not 16-byte
// aligned, the scalar one odd counts and the tail.
#include "cuda/grid.cuh"
#include "cuda/ops.h"

namespace lgb::cuda {
namespace {

__device__ __forceinline__ float gate(float a, float b) {
  const float silu = __half2float(__float2half_rn(__fdiv_rn(a, __fadd_rn(1.f, expf(-a)))));
  return __fmul_rn(silu, b);
}

// 8 values of a and b as uint4 (4 x __half2 each): a <- gate(a, b).
__device__ __forceinline__ uint4 gate8(uint4 av, const uint4& bv) {
  __half2* ah = reinterpret_cast<__half2*>(&av);
  const __half2* bh = reinterpret_cast<const __half2*>(&bv);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const float2 x = __half22float2(ah[j]), y = __half22float2(bh[j]);
    ah[j] = __floats2half2_rn(gate(x.x, y.x), gate(x.y, y.y));
  }
  return av;
}

__global__ void swiglu_vec8_kernel(uint4* __restrict__ a, const uint4* __restrict__ b, int64_t vecs) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  for (; i + stride < vecs; i += 2 * stride) {
    const uint4 a0 = a[i], a1 = a[i + stride], b0 = b[i], b1 = b[i + stride];
    a[i] = gate8(a0, b0);
    a[i + stride] = gate8(a1, b1);
  }
  if (i < vecs) a[i] = gate8(a[i], b[i]);
}

// Pairs of values (n even) as __half2: 4-byte accesses.
__global__ void swiglu_pairs_kernel(__half2* __restrict__ a, const __half2* __restrict__ b, int64_t pairs) {
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

bool aligned(const void* p, uintptr_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

}  // namespace

cudaError_t launch_swiglu_pairs(__half* a, const __half* b, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  const int threads = 256;
  if (n % 2 == 0 && aligned(a, 4) && aligned(b, 4)) {
    swiglu_pairs_kernel<<<grid_for(n / 2, threads), threads, 0, stream>>>(reinterpret_cast<__half2*>(a),
                                                                         reinterpret_cast<const __half2*>(b), n / 2);
  } else {
    swiglu_scalar_kernel<<<grid_for(n, threads), threads, 0, stream>>>(a, b, n);
  }
  return cudaGetLastError();
}

cudaError_t launch_swiglu(__half* a, const __half* b, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (!aligned(a, 16) || !aligned(b, 16)) return launch_swiglu_pairs(a, b, n, stream);
  const int threads = 256;
  const int64_t vecs = n / 8, tail = n - vecs * 8;
  if (vecs > 0) {
    swiglu_vec8_kernel<<<grid_for((vecs + 1) / 2, threads), threads, 0, stream>>>(
        reinterpret_cast<uint4*>(a), reinterpret_cast<const uint4*>(b), vecs);
  }
  if (tail > 0) swiglu_scalar_kernel<<<1, 32, 0, stream>>>(a + vecs * 8, b + vecs * 8, tail);
  return cudaGetLastError();
}

}  // namespace lgb::cuda
