// Test-only exports of the engine core: `exports.testing = {...}`, synchronous functions that expose the
// determinism code (seeding, draws, normals, conversions, permutations, target, pool, weights) to the tap tests,
// which compare them with the golden vectors. Not part of the engine API; nothing in production calls them.
#pragma once
#include <napi.h>

namespace lgb_binding {

void InitTesting(Napi::Env env, Napi::Object exports);

}  // namespace lgb_binding
