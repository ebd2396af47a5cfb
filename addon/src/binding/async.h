// One AsyncWorker per native call: the work runs on a libuv worker thread without touching JavaScript; its result
// is converted and the Promise settled on the main thread. lgb::Error codes survive into the rejected Error's .code.
#pragma once
#include <napi.h>

#include <functional>
#include <new>
#include <string>
#include <utility>

#include "core/error.h"

namespace lgb_binding {

// Throws a JS Error carrying `code` (used on the main thread).
[[noreturn]] inline void ThrowCoded(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  throw err;
}

template <typename T>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<T()>;
  using Convert = std::function<Napi::Value(Napi::Env, T&)>;

  static Napi::Promise Start(Napi::Env env, Work work, Convert convert) {
    auto* w = new PromiseWorker(env, std::move(work), std::move(convert));
    Napi::Promise promise = w->deferred_.Promise();
    w->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      result_ = work_();
    } catch (const lgb::Error& e) {
      Fail(e.code(), e.what());
    } catch (const std::bad_alloc&) {
      Fail(lgb::kErrOutOfMemory, "out of host memory");
    } catch (const std::exception& e) {
      Fail(lgb::kErrInternal, e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(convert_(env, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override {
    Napi::Error err = Napi::Error::New(Env(), e.Message());
    err.Set("code", Napi::String::New(Env(), code_));
    deferred_.Reject(err.Value());
  }

 private:
  PromiseWorker(Napi::Env env, Work work, Convert convert)
      : Napi::AsyncWorker(env, "llama-gpu-bench"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), convert_(std::move(convert)) {}

  void Fail(const char* code, const std::string& message) {
    code_ = code;
    SetError(message);
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Convert convert_;
  T result_{};
  std::string code_ = lgb::kErrInternal;
};

}  // namespace lgb_binding
