// The CUDA entry points when the addon is built without CUDA: no devices, with the reason.
#include "core/error.h"
#include "engine/device.h"

#if !LGB_WITH_CUDA
namespace lgb {

std::vector<DeviceInfo> list_cuda_devices(std::string* reason) {
  if (reason) *reason = "built without CUDA (no CUDA toolkit with cuBLAS was found when the addon was compiled)";
  return {};
}

std::unique_ptr<Device> open_cuda_device(int) {
  throw Error(kErrNoBackend, "this build has no CUDA backend");
}

double measure_cuda_gemm_tflops(int, int64_t, int64_t, int64_t) {
  throw Error(kErrNoBackend, "this build has no CUDA backend");
}

}  // namespace lgb
#endif
