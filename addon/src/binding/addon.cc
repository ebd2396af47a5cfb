// Node-API entry point (placeholder until the engine binding lands).
#include <napi.h>

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "0.1.0"));
  return exports;
}
}  // namespace

NODE_API_MODULE(llama_gpu_bench, Init)
