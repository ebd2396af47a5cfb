// Test-only exports of the CPU forward's kernels: `exports.testingCpu = {...}`, synchronous functions that let the
// tap tests check that the SIMD paths (AVX2/FMA/F16C) give the same bits as the portable ones. Not part of the
// engine API; nothing in production calls them.
#pragma once
#include <napi.h>

namespace lgb_binding {

void InitTestingCpu(Napi::Env env, Napi::Object exports);

}  // namespace lgb_binding
