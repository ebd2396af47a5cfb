// Errors that cross into JavaScript, translated in one place. The loader hands the addon its error class once
// (setErrorClass: the TypeScript EngineError, as better-sqlite3 does with SqliteError), so every failure arrives
// as an EngineError with the engine's stable code (core/error.h) and needs no wrapping on the way up.
#pragma once
#include <napi.h>

#include <exception>
#include <string>

#include "core/error.h"

namespace lgb_binding {

// An instance of the error class (a plain Error with `.code` before one was handed over).
Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message);

// The code and message of the exception being handled: lgb::Error keeps its code, bad_alloc is ERR_OUT_OF_MEMORY,
// anything else ERR_INTERNAL.
const char* CurrentErrorCode(std::string* message);

// Runs `fn` for a JavaScript call; a C++ exception from it becomes the coded JavaScript error.
template <typename Fn>
Napi::Value Guarded(const Napi::CallbackInfo& info, Fn fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    std::string message;
    const char* code = CurrentErrorCode(&message);
    throw CodedError(info.Env(), code, message);
  }
}

// setErrorClass(cls) and errorCodes on the module's exports.
void InitErrors(Napi::Env env, Napi::Object exports);

}  // namespace lgb_binding
