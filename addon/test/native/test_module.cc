// The test addon's entry point (llama_gpu_bench_test.node): the engine's exports, with its devices behind a gate
// (gate.h), plus the test-only namespaces `testing` (the core's determinism functions) and `testingCpu` (the CPU
// kernels' SIMD checks). Tests load it through LLAMA_GPU_BENCH_ADDON or addon/test/native-addon.ts.
#include <napi.h>

#include "binding/module.h"
#include "gate.h"
#include "testing.h"
#include "testing_cpu.h"

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  lgb_binding::InitEngine(env, exports);
  lgb_binding::InitTesting(env, exports);
  lgb_binding::InitTestingCpu(env, exports);
  lgb_binding::InitGate(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(llama_gpu_bench_test, InitModule)
