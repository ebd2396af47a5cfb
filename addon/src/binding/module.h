// The module's exports, for the product's entry point (module.cc) and the test addon's (addon/test/native/).
#pragma once
#include <napi.h>

namespace lgb_binding {

// The engine: buildModel, listDevices, openDevice, measureGemmTflops, hardwareThreads, setErrorClass, errorCodes.
void InitEngine(Napi::Env env, Napi::Object exports);

}  // namespace lgb_binding
