// One AsyncWorker per native call: the work runs on a libuv worker thread without touching JavaScript; its result
// is converted and the Promise settled on the main thread. A failure rejects it with the coded error (errors.h).
#pragma once
#include <napi.h>

#include <functional>
#include <string>
#include <utility>

#include "binding/errors.h"

namespace lgb_binding {

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
    } catch (...) {
      std::string message;
      code_ = CurrentErrorCode(&message);
      SetError(message);
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

  void OnError(const Napi::Error& e) override { deferred_.Reject(CodedError(Env(), code_, e.Message()).Value()); }

 private:
  PromiseWorker(Napi::Env env, Work work, Convert convert)
      : Napi::AsyncWorker(env, "llama-gpu-bench"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), convert_(std::move(convert)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Convert convert_;
  T result_{};
  const char* code_ = lgb::kErrInternal;
};

}  // namespace lgb_binding
