// JavaScript classes over engine objects: NativeModel (a built HostModel) and NativeDevice (one Device).
// Instances are created by the module functions (buildModel, openDevice), never with `new` from JavaScript.
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>

#include "core/model.h"
#include "core/nonce.h"
#include "engine/device.h"

namespace lgb_binding {

// Per-addon-instance data (no process globals): the class constructors.
struct AddonData {
  Napi::FunctionReference model_ctor;
  Napi::FunctionReference device_ctor;
};

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<const lgb::HostModel> model);
  static std::shared_ptr<const lgb::HostModel> From(const Napi::Value& v);
  explicit NativeModel(const Napi::CallbackInfo& info);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value WeightDigests(const Napi::CallbackInfo& info);
  Napi::Value NonceDetails(const Napi::CallbackInfo& info);
  Napi::Value TargetSha256(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  // The model, or ERR_CLOSED once released.
  const std::shared_ptr<const lgb::HostModel>& Model(Napi::Env env) const;

  std::shared_ptr<const lgb::HostModel> model_;  // null once released
};

// A device and the lock that serialises calls on it; shared with in-flight workers so close() is safe.
struct DeviceSlot {
  std::mutex mu;
  std::unique_ptr<lgb::Device> device;           // null once closed
  std::shared_ptr<const lgb::HostModel> model;   // what the last successful load() put on the device
  bool prepared_inputs = false;                  // device->takes_prepared_inputs(), fixed at open

  // Input buffers of prepared batches, reused (a V2 batch is ~60 MB: allocating and faulting it in per batch
  // costs a third of the generation time). At most two are in use at once (two batches in flight).
  std::unique_ptr<lgb::BatchInputs> take_inputs() {
    std::lock_guard<std::mutex> lock(spare_mu);
    if (spare.empty()) return std::make_unique<lgb::BatchInputs>();
    auto in = std::move(spare.back());
    spare.pop_back();
    return in;
  }
  void give_back_inputs(std::unique_ptr<lgb::BatchInputs> in) {
    std::lock_guard<std::mutex> lock(spare_mu);
    if (spare.size() < 2) spare.push_back(std::move(in));
  }

 private:
  std::mutex spare_mu;
  std::vector<std::unique_ptr<lgb::BatchInputs>> spare;
};

class NativeDevice : public Napi::ObjectWrap<NativeDevice> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, std::unique_ptr<lgb::Device> device);
  explicit NativeDevice(const Napi::CallbackInfo& info);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Unload(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value PreferredBatch(const Napi::CallbackInfo& info);
  Napi::Value Memory(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::shared_ptr<DeviceSlot> slot_;
};

}  // namespace lgb_binding
