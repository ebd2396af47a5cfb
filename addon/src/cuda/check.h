// Error checking for CUDA runtime calls: every call is checked, a failure throws lgb::Error(kErrDevice) naming
// the call site and CUDA's own error string. Only cuda/ includes this (CUDA headers never leave cuda/).
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "core/error.h"

namespace lgb::cuda {

[[noreturn]] inline void throw_cuda(cudaError_t err, const char* what, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so the next launch check does not report it again
  const char* code = err == cudaErrorMemoryAllocation ? kErrOutOfMemory : kErrDevice;
  throw Error(code, std::string("CUDA error at ") + file + ":" + std::to_string(line) + ": " + what + ": " +
                        cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

}  // namespace lgb::cuda

// Checks a cudaError_t expression; kernel launchers return cudaGetLastError(), so LGB_CUDA(launch_x(...)) checks
// a launch too.
#define LGB_CUDA(expr)                                                       \
  do {                                                                       \
    cudaError_t lgb_err_ = (expr);                                           \
    if (lgb_err_ != cudaSuccess) ::lgb::cuda::throw_cuda(lgb_err_, #expr, __FILE__, __LINE__); \
  } while (0)
