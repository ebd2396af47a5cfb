// Conversions between JavaScript values and engine structs (main thread only), and the one way arguments are read.
// A bad value throws lgb::Error (ERR_INVALID_PARAMS or ERR_INVALID_ARGUMENT); the caller's Guarded turns it into
// the coded JavaScript error.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/params.h"
#include "engine/device.h"

namespace lgb_binding {

// A params object already validated by addon/lib/params.ts; re-checked here (lgb::validate) as a defence.
lgb::ModelParams ParamsFromJs(const Napi::Value& v);

// A Float64Array (or array of numbers) of non-negative safe integers.
std::vector<uint64_t> NoncesFromJs(const Napi::Value& v);

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// "cpu" or "cuda".
std::string BackendArg(const Napi::CallbackInfo& info, size_t i);
// A number argument; `fallback` when it is absent or undefined.
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name, double fallback);
// An integral number argument (a safe integer); `fallback` when it is absent or undefined.
int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t fallback);

Napi::Object DeviceInfoToJs(Napi::Env env, const lgb::DeviceInfo& d);

}  // namespace lgb_binding
