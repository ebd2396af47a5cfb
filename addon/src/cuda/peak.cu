// The denominator of every "% of peak" we report: the dense fp16 GEMM rate (float32 accumulation) that cuBLASLt
// reaches on this GPU, measured through the same Gemm wrapper the forward uses (same workspace, same tuning: the
// fastest of the heuristic's candidates on this shape), on random data from fill_random_kernel. That kernel is
// also the probe of whether this build has code for a GPU's architecture (kernel_image_available).
#include <algorithm>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/check.h"
#include "cuda/gemm.h"
#include "cuda/grid.cuh"
#include "cuda/ops.h"
#include "engine/device.h"

namespace lgb {
namespace cuda {
namespace {

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

cudaError_t launch_fill_random(__half* x, int64_t n, uint64_t seed, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  fill_random_kernel<<<grid_for(n, 256), 256, 0, stream>>>(x, n, seed);
  return cudaGetLastError();
}

cudaError_t kernel_image_available(int device) {
  const cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess) return err;
  cudaFuncAttributes attr{};
  return cudaFuncGetAttributes(&attr, fill_random_kernel);
}

}  // namespace cuda

double measure_cuda_gemm_tflops(int index, int64_t m, int64_t n, int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0) throw Error(kErrInvalidArgument, "GEMM sizes must be positive");
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || index < 0 || index >= count) {
    cudaGetLastError();
    throw Error(kErrInvalidArgument, "no CUDA device with index " + std::to_string(index));
  }
  LGB_CUDA(cudaSetDevice(index));
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  LGB_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  double tflops = 0;
  try {
    LGB_CUDA(cudaEventCreate(&start));
    LGB_CUDA(cudaEventCreate(&stop));
    cuda::Gemm gemm;  // the forward's defaults (gemm.h)
    cuda::DeviceBuffer<__half> x(static_cast<size_t>(m * k)), w(static_cast<size_t>(n * k)),
        y(static_cast<size_t>(m * n));
    LGB_CUDA(cuda::launch_fill_random(x.get(), m * k, 1, stream));
    LGB_CUDA(cuda::launch_fill_random(w.get(), n * k, 2, stream));
    // Warm-up long enough for the clocks to settle (8192³: ~20 ms), then the median of 25.
    for (int i = 0; i < 12; ++i) gemm.matmul(x.get(), k, w.get(), k, y.get(), n, m, n, k, stream, true);
    std::vector<float> ms;
    for (int i = 0; i < 25; ++i) {
      LGB_CUDA(cudaEventRecord(start, stream));
      gemm.matmul(x.get(), k, w.get(), k, y.get(), n, m, n, k, stream, true);
      LGB_CUDA(cudaEventRecord(stop, stream));
      LGB_CUDA(cudaEventSynchronize(stop));
      float t = 0;
      LGB_CUDA(cudaEventElapsedTime(&t, start, stop));
      ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    tflops = 2.0 * m * n * k / (ms[ms.size() / 2] * 1e-3) / 1e12;
  } catch (...) {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    cudaStreamDestroy(stream);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaStreamDestroy(stream);
  return tflops;
}

}  // namespace lgb
