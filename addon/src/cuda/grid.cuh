// Grid sizes of the grid-stride kernels: enough blocks to fill every multiprocessor of the GPU that launches them
// (64 block slots each), no more — each thread loops over the rest. The multiprocessor count is the device's own.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace lgb::cuda {

// Multiprocessors of the current device (the launching thread's). A failed query answers 1: the launch that follows
// still runs correctly (grid-stride), and the launcher's cudaGetLastError reports the failure.
inline int multiprocessors() {
  int device = 0, sms = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return 1;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || sms <= 0) return 1;
  return sms;
}

// Blocks of `threads` for n items, capped at 64 per multiprocessor.
inline unsigned grid_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads, cap = int64_t{64} * multiprocessors();
  return static_cast<unsigned>(blocks < cap ? blocks : cap);
}

}  // namespace lgb::cuda
