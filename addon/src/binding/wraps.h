// JavaScript classes over engine objects: NativeModel (a built HostModel) and NativeDevice (one device's owner).
// Instances are created by the module functions (buildModel, openDevice), never with `new` from JavaScript.
#pragma once
#include <napi.h>

#include <memory>

#include "core/model.h"
#include "engine/device_owner.h"

namespace lgb_binding {

// Per-addon-instance data (no process globals): the class constructors and the error class (errors.h).
struct AddonData {
  Napi::FunctionReference model_ctor;
  Napi::FunctionReference device_ctor;
  Napi::FunctionReference error_class;
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
  // The model; throws ERR_CLOSED once released.
  const std::shared_ptr<const lgb::HostModel>& Model() const;

  std::shared_ptr<const lgb::HostModel> model_;  // null once released
};

// A device seen from JavaScript: its owner (engine/device_owner.h) does the ordering; calls in flight share it, so
// close() is safe while they finish.
class NativeDevice : public Napi::ObjectWrap<NativeDevice> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<lgb::DeviceOwner> owner);
  explicit NativeDevice(const Napi::CallbackInfo& info);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Unload(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value PreferredBatch(const Napi::CallbackInfo& info);
  Napi::Value PipelineDepth(const Napi::CallbackInfo& info);
  Napi::Value Memory(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::shared_ptr<lgb::DeviceOwner> owner_;
};

}  // namespace lgb_binding
