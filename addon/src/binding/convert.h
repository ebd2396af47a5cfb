// Conversions between JavaScript values and engine structs (main thread only).
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

Napi::Object DeviceInfoToJs(Napi::Env env, const lgb::DeviceInfo& d);

}  // namespace lgb_binding
