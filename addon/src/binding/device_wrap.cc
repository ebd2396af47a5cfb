#include <cstring>
#include <string>
#include <vector>

#include "binding/async.h"
#include "binding/convert.h"
#include "binding/wraps.h"
#include "core/nonce.h"

namespace lgb_binding {
namespace {

// Runs fn on the slot's device under its lock; a closed device is an error.
template <typename Fn>
auto WithDevice(const std::shared_ptr<DeviceSlot>& slot, Fn fn) {
  std::lock_guard<std::mutex> lock(slot->mu);
  if (!slot->device) throw lgb::Error(lgb::kErrClosed, "device is closed");
  return fn(*slot->device);
}

}  // namespace

Napi::Function NativeDevice::Define(Napi::Env env) {
  return DefineClass(env, "NativeDevice",
                     {InstanceMethod("info", &NativeDevice::Info), InstanceMethod("load", &NativeDevice::Load),
                      InstanceMethod("unload", &NativeDevice::Unload), InstanceMethod("run", &NativeDevice::Run),
                      InstanceMethod("preferredBatch", &NativeDevice::PreferredBatch),
                      InstanceMethod("memory", &NativeDevice::Memory), InstanceMethod("close", &NativeDevice::Close)});
}

Napi::Object NativeDevice::Wrap(Napi::Env env, std::unique_ptr<lgb::Device> device) {
  auto* slot = new std::shared_ptr<DeviceSlot>(std::make_shared<DeviceSlot>());
  (*slot)->prepared_inputs = device->takes_prepared_inputs();
  (*slot)->device = std::move(device);
  auto ext = Napi::External<std::shared_ptr<DeviceSlot>>::New(
      env, slot, [](Napi::Env, std::shared_ptr<DeviceSlot>* p) { delete p; });
  return env.GetInstanceData<AddonData>()->device_ctor.New({ext});
}

NativeDevice::NativeDevice(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeDevice>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    ThrowCoded(info.Env(), lgb::kErrInvalidArgument, "NativeDevice is created by openDevice()");
  slot_ = *info[0].As<Napi::External<std::shared_ptr<DeviceSlot>>>().Data();
}

// Synchronous queries take the lock too; they are cheap, but wait while a batch runs, so the TS layer caches them.
Napi::Value NativeDevice::Info(const Napi::CallbackInfo& info) {
  try {
    return DeviceInfoToJs(info.Env(), WithDevice(slot_, [](lgb::Device& d) { return d.info(); }));
  } catch (const lgb::Error& e) {
    ThrowCoded(info.Env(), e.code(), e.what());
  }
}

Napi::Value NativeDevice::PreferredBatch(const Napi::CallbackInfo& info) {
  try {
    return Napi::Number::New(info.Env(),
                             static_cast<double>(WithDevice(slot_, [](lgb::Device& d) { return d.preferred_batch(); })));
  } catch (const lgb::Error& e) {
    ThrowCoded(info.Env(), e.code(), e.what());
  }
}

Napi::Value NativeDevice::Memory(const Napi::CallbackInfo& info) {
  auto slot = slot_;
  return PromiseWorker<std::pair<uint64_t, uint64_t>>::Start(
      info.Env(),
      [slot] {
        return WithDevice(slot, [](lgb::Device& d) { return std::make_pair(d.memory_in_use(), d.peak_memory()); });
      },
      [](Napi::Env env, std::pair<uint64_t, uint64_t>& mem) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("inUse", static_cast<double>(mem.first));
        o.Set("peak", static_cast<double>(mem.second));
        return o;
      });
}

Napi::Value NativeDevice::Load(const Napi::CallbackInfo& info) {
  auto slot = slot_;
  auto model = NativeModel::From(info[0]);
  return PromiseWorker<lgb::LoadStats>::Start(
      info.Env(),
      [slot, model] {
        return WithDevice(slot, [&](lgb::Device& d) {
          slot->model.reset();
          lgb::LoadStats stats = d.load(model);
          slot->model = model;
          return stats;
        });
      },
      [](Napi::Env env, lgb::LoadStats& s) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("weightBytes", static_cast<double>(s.weight_bytes));
        o.Set("scratchBytes", static_cast<double>(s.scratch_bytes));
        o.Set("seconds", s.seconds);
        return o;
      });
}

Napi::Value NativeDevice::Unload(const Napi::CallbackInfo& info) {
  auto slot = slot_;
  return PromiseWorker<bool>::Start(
      info.Env(),
      [slot] {
        std::lock_guard<std::mutex> lock(slot->mu);
        if (slot->device) slot->device->unload();
        slot->model.reset();
        return true;
      },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

Napi::Value NativeDevice::Run(const Napi::CallbackInfo& info) {
  auto slot = slot_;
  std::string public_key = StringArg(info, 0, "publicKey");
  std::vector<uint64_t> nonces = NoncesFromJs(info[1]);
  bool want_logits = info.Length() > 2 && info[2].ToBoolean().Value();
  return PromiseWorker<lgb::BatchResult>::Start(
      info.Env(),
      [slot, public_key, nonces, want_logits] {
        std::shared_ptr<const lgb::HostModel> model;
        if (slot->prepared_inputs) {
          std::lock_guard<std::mutex> lock(slot->mu);
          model = slot->model;
        }
        if (!model) return WithDevice(slot, [&](lgb::Device& d) { return d.run(public_key, nonces, want_logits); });
        // Inputs made before taking the device: they overlap the batch the device is computing now.
        std::unique_ptr<lgb::BatchInputs> inputs = slot->take_inputs();
        lgb::make_batch_inputs(*model, public_key, nonces, 0, inputs.get());
        lgb::BatchResult result = WithDevice(slot, [&](lgb::Device& d) {
          return d.run_prepared(*model, public_key, nonces, *inputs, want_logits);
        });
        slot->give_back_inputs(std::move(inputs));
        return result;
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
}

Napi::Value NativeDevice::Close(const Napi::CallbackInfo& info) {
  auto slot = slot_;
  return PromiseWorker<bool>::Start(
      info.Env(),
      [slot] {
        std::lock_guard<std::mutex> lock(slot->mu);
        slot->device.reset();
        slot->model.reset();
        return true;
      },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

}  // namespace lgb_binding
