#include "binding/errors.h"

#include <new>

#include "binding/wraps.h"

namespace lgb_binding {

Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  auto* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_class.IsEmpty()) {
    Napi::Object err = data->error_class.New({Napi::String::New(env, code), Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

const char* CurrentErrorCode(std::string* message) {
  try {
    throw;
  } catch (const lgb::Error& e) {
    *message = e.what();
    return e.code();
  } catch (const std::bad_alloc&) {
    *message = "out of host memory";
    return lgb::kErrOutOfMemory;
  } catch (const std::exception& e) {
    *message = e.what();
    return lgb::kErrInternal;
  } catch (...) {
    *message = "unknown failure";
    return lgb::kErrInternal;
  }
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    if (info.Length() != 1 || !info[0].IsFunction()) {
      throw CodedError(info.Env(), lgb::kErrInvalidArgument, "setErrorClass: expected a class");
    }
    info.Env().GetInstanceData<AddonData>()->error_class = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }, "setErrorClass"));
  Napi::Object codes = Napi::Object::New(env);
  for (const auto& c : lgb::kErrorCodes) codes.Set(c.name, c.code);
  codes.Freeze();
  exports.Set("errorCodes", codes);
}

}  // namespace lgb_binding
