// The denominator of every "% of peak" we report: the dense fp16 GEMM rate (float32 accumulation) that cuBLASLt
// reaches on this GPU, measured through the same Gemm wrapper the forward uses (same workspace, same tuning: the
// fastest of the heuristic's candidates on this shape), on random data.
#include <algorithm>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/check.h"
#include "cuda/gemm.h"
#include "cuda/ops.h"
#include "engine/device.h"

namespace lgb {

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
