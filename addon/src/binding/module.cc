// The product addon's entry point (llama_gpu_bench.node): the engine's exports, nothing test-only.
#include <napi.h>

#include "binding/module.h"

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  lgb_binding::InitEngine(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(llama_gpu_bench, InitModule)
