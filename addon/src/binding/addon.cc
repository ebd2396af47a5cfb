// Node-API entry point: the module functions. The TS side (addon/lib/native-types.ts) hand-types every export here.
//
//   buildModel(blockHash, params, threads)      -> Promise<NativeModel>   (pool, placements, target, RoPE tables)
//   listDevices(backend)                        -> { devices: DeviceInfo[], reason?: string }
//   openDevice(backend, index, threads, memoryLimitBytes?) -> Promise<NativeDevice>
//   measureGemmTflops(index, m, n, k)           -> Promise<number>        (CUDA only)
//   hardwareThreads()                           -> number
//   setErrorClass(EngineError), errorCodes      (errors.h)
#include <napi.h>

#include "binding/async.h"
#include "binding/convert.h"
#include "binding/wraps.h"
#include "core/parallel.h"

#include "binding/module.h"

namespace lgb_binding {
namespace {

Napi::Value BuildModel(const Napi::CallbackInfo& info) {
  std::string block_hash = StringArg(info, 0, "blockHash");
  lgb::ModelParams params = ParamsFromJs(info[1]);
  const int threads = static_cast<int>(IntArg(info, 2, "threads", 0));
  return PromiseWorker<std::shared_ptr<const lgb::HostModel>>::Start(
      info.Env(), [block_hash, params, threads] { return lgb::build_host_model(block_hash, params, threads); },
      [](Napi::Env env, std::shared_ptr<const lgb::HostModel>& m) -> Napi::Value {
        return NativeModel::Wrap(env, std::move(m));
      });
}

Napi::Value ListDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string backend = BackendArg(info, 0);
  Napi::Object out = Napi::Object::New(env);
  std::vector<lgb::DeviceInfo> devices;
  if (backend == "cpu") {
    devices.push_back(lgb::cpu_device_info(static_cast<int>(IntArg(info, 1, "threads", 0))));
  } else {
    std::string reason;
    devices = lgb::list_cuda_devices(&reason);
    if (devices.empty()) out.Set("reason", reason);
  }
  Napi::Array arr = Napi::Array::New(env, devices.size());
  for (size_t i = 0; i < devices.size(); ++i) arr.Set(i, DeviceInfoToJs(env, devices[i]));
  out.Set("devices", arr);
  return out;
}

Napi::Value OpenDevice(const Napi::CallbackInfo& info) {
  std::string backend = BackendArg(info, 0);
  const int index = static_cast<int>(IntArg(info, 1, "index", 0));
  const int threads = static_cast<int>(IntArg(info, 2, "threads", 0));
  const double limit = NumberArg(info, 3, "memoryLimitBytes", 0);
  if (!(limit >= 0)) throw lgb::Error(lgb::kErrInvalidArgument, "memoryLimitBytes: must be >= 0");
  const auto memory_limit = static_cast<uint64_t>(limit);
  return PromiseWorker<std::shared_ptr<lgb::DeviceOwner>>::Start(
      info.Env(),
      [backend, index, threads, memory_limit]() -> std::shared_ptr<lgb::DeviceOwner> {
        if (backend == "cpu") return std::make_shared<lgb::DeviceOwner>(lgb::open_cpu_device(threads));
        auto device = lgb::open_cuda_device(index);
        device->set_memory_limit(memory_limit);
        return std::make_shared<lgb::DeviceOwner>(std::move(device));
      },
      [](Napi::Env env, std::shared_ptr<lgb::DeviceOwner>& owner) -> Napi::Value {
        return NativeDevice::Wrap(env, std::move(owner));
      });
}

Napi::Value MeasureGemmTflops(const Napi::CallbackInfo& info) {
  const int index = static_cast<int>(IntArg(info, 0, "index", 0));
  const int64_t m = IntArg(info, 1, "m", 8192), n = IntArg(info, 2, "n", 8192), k = IntArg(info, 3, "k", 8192);
  return PromiseWorker<double>::Start(
      info.Env(), [index, m, n, k] { return lgb::measure_cuda_gemm_tflops(index, m, n, k); },
      [](Napi::Env env, double& t) -> Napi::Value { return Napi::Number::New(env, t); });
}

// Every module function reads its arguments and reports its failures the same way (Guarded).
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Exported(const Napi::CallbackInfo& info) {
  return Guarded(info, [&] { return F(info); });
}

Napi::Value HardwareThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), lgb::hardware_threads());
}

}  // namespace

void InitEngine(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->model_ctor = Napi::Persistent(NativeModel::Define(env));
  data->device_ctor = Napi::Persistent(NativeDevice::Define(env));
  env.SetInstanceData(data);
  InitErrors(env, exports);
  exports.Set("buildModel", Napi::Function::New(env, Exported<BuildModel>, "buildModel"));
  exports.Set("listDevices", Napi::Function::New(env, Exported<ListDevices>, "listDevices"));
  exports.Set("openDevice", Napi::Function::New(env, Exported<OpenDevice>, "openDevice"));
  exports.Set("measureGemmTflops", Napi::Function::New(env, Exported<MeasureGemmTflops>, "measureGemmTflops"));
  exports.Set("hardwareThreads", Napi::Function::New(env, Exported<HardwareThreads>, "hardwareThreads"));
}

}  // namespace lgb_binding
