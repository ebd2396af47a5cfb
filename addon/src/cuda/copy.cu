// Data movement on the device: the last-position row gather, the shifted copies of the weight pool (16-byte
// aligned weight operands for cuBLASLt, see weights.cu) and the random fill used by the GEMM benchmark.
#include "cuda/ops.h"

namespace lgb::cuda {
namespace {

unsigned grid_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 132 * 64 ? blocks : 132 * 64);
}

// in: rows of `cols` values at in + (i * stride + offset) * cols; out: (rows, cols).
__global__ void gather_rows_kernel(const __half* __restrict__ in, int64_t stride, int64_t offset,
                                   __half* __restrict__ out, int64_t rows, int64_t cols) {
  const int64_t total = rows * cols;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = t / cols, c = t % cols;
    out[t] = in[(r * stride + offset) * cols + c];
  }
}

__global__ void shifted_copy_kernel(const __half* __restrict__ src, int64_t n, int64_t shift,
                                    __half* __restrict__ out) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[j] = j + shift < n ? src[j + shift] : __ushort_as_half(0);
  }
}

__device__ __forceinline__ uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

__global__ void fill_random_kernel(__half* __restrict__ x, int64_t n, uint64_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint64_t r = mix64(seed ^ mix64(static_cast<uint64_t>(i)));
    x[i] = __float2half_rn(static_cast<float>(r >> 40) * (2.f / 16777216.f) - 1.f);
  }
}

}  // namespace

cudaError_t launch_gather_rows(const __half* in, int64_t stride, int64_t offset, __half* out, int64_t rows,
                               int64_t cols, cudaStream_t stream) {
  if (rows * cols <= 0) return cudaSuccess;
  gather_rows_kernel<<<grid_for(rows * cols, 256), 256, 0, stream>>>(in, stride, offset, out, rows, cols);
  return cudaGetLastError();
}

cudaError_t launch_shifted_copy(const __half* src, int64_t n, int64_t shift, __half* out, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  shifted_copy_kernel<<<grid_for(n, 256), 256, 0, stream>>>(src, n, shift, out);
  return cudaGetLastError();
}

cudaError_t kernel_image_available(int device) {
  const cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess) return err;
  cudaFuncAttributes attr{};
  return cudaFuncGetAttributes(&attr, fill_random_kernel);
}

cudaError_t launch_fill_random(__half* x, int64_t n, uint64_t seed, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  fill_random_kernel<<<grid_for(n, 256), 256, 0, stream>>>(x, n, seed);
  return cudaGetLastError();
}

}  // namespace lgb::cuda
