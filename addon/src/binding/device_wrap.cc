// NativeDevice: JavaScript's handle on one device. Work (load, unload, run, close) is a Promise over a libuv worker
// that calls the device's owner, which puts it in order; the figures (memory, preferred batch, pipeline depth) and
// the device's properties are read at once, without waiting for a batch.
#include <cstring>
#include <string>
#include <vector>

#include "binding/async.h"
#include "binding/convert.h"
#include "binding/wraps.h"

namespace lgb_binding {

Napi::Function NativeDevice::Define(Napi::Env env) {
  return DefineClass(env, "NativeDevice",
                     {InstanceMethod("info", &NativeDevice::Info), InstanceMethod("load", &NativeDevice::Load),
                      InstanceMethod("unload", &NativeDevice::Unload), InstanceMethod("run", &NativeDevice::Run),
                      InstanceMethod("preferredBatch", &NativeDevice::PreferredBatch),
                      InstanceMethod("pipelineDepth", &NativeDevice::PipelineDepth),
                      InstanceMethod("memory", &NativeDevice::Memory), InstanceMethod("close", &NativeDevice::Close)});
}

Napi::Object NativeDevice::Wrap(Napi::Env env, std::shared_ptr<lgb::DeviceOwner> owner) {
  auto* holder = new std::shared_ptr<lgb::DeviceOwner>(std::move(owner));
  auto ext = Napi::External<std::shared_ptr<lgb::DeviceOwner>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<lgb::DeviceOwner>* p) { delete p; });
  return env.GetInstanceData<AddonData>()->device_ctor.New({ext});
}

NativeDevice::NativeDevice(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeDevice>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw CodedError(info.Env(), lgb::kErrInvalidArgument, "NativeDevice is created by openDevice()");
  owner_ = *info[0].As<Napi::External<std::shared_ptr<lgb::DeviceOwner>>>().Data();
}

Napi::Value NativeDevice::Info(const Napi::CallbackInfo& info) {
  return DeviceInfoToJs(info.Env(), owner_->info());
}

Napi::Value NativeDevice::PreferredBatch(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(owner_->preferred_batch()));
}

Napi::Value NativeDevice::PipelineDepth(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), owner_->pipeline_depth());
}

Napi::Value NativeDevice::Memory(const Napi::CallbackInfo& info) {
  const lgb::MemoryFigures mem = owner_->memory();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("inUse", static_cast<double>(mem.in_use));
  o.Set("peak", static_cast<double>(mem.peak));
  return o;
}

Napi::Value NativeDevice::Load(const Napi::CallbackInfo& info) {
  return Guarded(info, [&]() -> Napi::Value {
    auto owner = owner_;
    auto model = NativeModel::From(info[0]);
    return PromiseWorker<lgb::LoadStats>::Start(
        info.Env(), [owner, model] { return owner->load(model); },
        [](Napi::Env env, lgb::LoadStats& s) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("weightBytes", static_cast<double>(s.weight_bytes));
          o.Set("scratchBytes", static_cast<double>(s.scratch_bytes));
          o.Set("seconds", s.seconds);
          return o;
        });
  });
}

Napi::Value NativeDevice::Unload(const Napi::CallbackInfo& info) {
  auto owner = owner_;
  return PromiseWorker<bool>::Start(
      info.Env(),
      [owner] {
        owner->unload();
        return true;
      },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

Napi::Value NativeDevice::Run(const Napi::CallbackInfo& info) {
  return Guarded(info, [&]() -> Napi::Value {
    auto owner = owner_;
    std::string public_key = StringArg(info, 0, "publicKey");
    std::vector<uint64_t> nonces = NoncesFromJs(info[1]);
    bool want_logits = info.Length() > 2 && info[2].ToBoolean().Value();
    return PromiseWorker<lgb::BatchResult>::Start(
        info.Env(),
        [owner, public_key, nonces = std::move(nonces), want_logits]() mutable {
          return owner->run(public_key, std::move(nonces), want_logits);
        },
        [](Napi::Env env, lgb::BatchResult& r) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          Napi::Float64Array dist = Napi::Float64Array::New(env, r.dist.size());
          std::memcpy(dist.Data(), r.dist.data(), r.dist.size() * sizeof(double));
          o.Set("dist", dist);
          if (!r.logits.empty()) {
            Napi::Uint16Array logits = Napi::Uint16Array::New(env, r.logits.size());
            std::memcpy(logits.Data(), r.logits.data(), r.logits.size() * sizeof(uint16_t));
            o.Set("logits", logits);
          }
          return o;
        });
  });
}

Napi::Value NativeDevice::Close(const Napi::CallbackInfo& info) {
  auto owner = owner_;
  return PromiseWorker<bool>::Start(
      info.Env(),
      [owner] {
        owner->close();
        return true;
      },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

}  // namespace lgb_binding
