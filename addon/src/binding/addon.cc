// Node-API entry point (interim: the engine functions land once the core implements its headers).
#include <napi.h>

#if __has_include("binding/testing.h")
#include "binding/testing.h"
#define LGB_HAS_TESTING 1
#endif
#if __has_include("binding/testing_cpu.h")
#include "binding/testing_cpu.h"
#define LGB_HAS_TESTING_CPU 1
#endif
#if __has_include("binding/testing_cuda.h")
#include "binding/testing_cuda.h"
#define LGB_HAS_TESTING_CUDA 1
#endif

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "0.1.0"));
#ifdef LGB_HAS_TESTING
  lgb_binding::InitTesting(env, exports);
#endif
#ifdef LGB_HAS_TESTING_CPU
  lgb_binding::InitTestingCpu(env, exports);
#endif
#ifdef LGB_HAS_TESTING_CUDA
  lgb_binding::InitTestingCuda(env, exports);
#endif
  return exports;
}
}  // namespace

NODE_API_MODULE(llama_gpu_bench, Init)
