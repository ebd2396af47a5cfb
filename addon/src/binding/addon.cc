// Node-API entry point: the module functions. The TS side (addon/lib/binding.ts) hand-types every export here.
//
//   buildModel(blockHash, params, threads)      -> Promise<NativeModel>   (pool, placements, target, RoPE tables)
//   listDevices(backend)                        -> { devices: DeviceInfo[], reason?: string }
//   openDevice(backend, index, threads, memoryLimitBytes?) -> Promise<NativeDevice>
//   measureGemmTflops(index, m, n, k)           -> Promise<number>        (CUDA only)
//   hardwareThreads()                           -> number
#include <napi.h>

#include "binding/async.h"
#include "binding/convert.h"
#include "binding/wraps.h"
#include "core/parallel.h"

#if __has_include("binding/testing.h")
#include "binding/testing.h"
#define LGB_HAS_TESTING 1
#endif
#if __has_include("binding/testing_cpu.h")
#include "binding/testing_cpu.h"
#define LGB_HAS_TESTING_CPU 1
#endif
#if __has_include("binding/testing_cuda.h")
#include "binding/testing_cuda.h"
#define LGB_HAS_TESTING_CUDA 1
#endif

namespace lgb_binding {
namespace {

std::string BackendArg(const Napi::CallbackInfo& info, size_t i) {
  std::string b = StringArg(info, i, "backend");
  if (b != "cpu" && b != "cuda") ThrowCoded(info.Env(), lgb::kErrInvalidArgument, "backend: must be cpu or cuda");
  return b;
}

int IntArg(const Napi::CallbackInfo& info, size_t i, int fallback) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int32Value() : fallback;
}

Napi::Value BuildModel(const Napi::CallbackInfo& info) {
  std::string block_hash = StringArg(info, 0, "blockHash");
  lgb::ModelParams params = ParamsFromJs(info[1]);
  int threads = IntArg(info, 2, 0);
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
  try {
    if (backend == "cpu") {
      devices.push_back(lgb::cpu_device_info(IntArg(info, 1, 0)));
    } else {
      std::string reason;
      devices = lgb::list_cuda_devices(&reason);
      if (devices.empty()) out.Set("reason", reason);
    }
  } catch (const lgb::Error& e) {
    ThrowCoded(env, e.code(), e.what());
  }
  Napi::Array arr = Napi::Array::New(env, devices.size());
  for (size_t i = 0; i < devices.size(); ++i) arr.Set(i, DeviceInfoToJs(env, devices[i]));
  out.Set("devices", arr);
  return out;
}

Napi::Value OpenDevice(const Napi::CallbackInfo& info) {
  std::string backend = BackendArg(info, 0);
  int index = IntArg(info, 1, 0);
  int threads = IntArg(info, 2, 0);
  const double limit = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : 0;
  if (!(limit >= 0)) ThrowCoded(info.Env(), lgb::kErrInvalidArgument, "memoryLimitBytes: must be >= 0");
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
  int index = IntArg(info, 0, 0);
  auto dim = [&](size_t i) {
    return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int64Value() : int64_t{8192};
  };
  int64_t m = dim(1), n = dim(2), k = dim(3);
  return PromiseWorker<double>::Start(
      info.Env(), [index, m, n, k] { return lgb::measure_cuda_gemm_tflops(index, m, n, k); },
      [](Napi::Env env, double& t) -> Napi::Value { return Napi::Number::New(env, t); });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->model_ctor = Napi::Persistent(NativeModel::Define(env));
  data->device_ctor = Napi::Persistent(NativeDevice::Define(env));
  env.SetInstanceData(data);

  exports.Set("buildModel", Napi::Function::New(env, BuildModel, "buildModel"));
  exports.Set("listDevices", Napi::Function::New(env, ListDevices, "listDevices"));
  exports.Set("openDevice", Napi::Function::New(env, OpenDevice, "openDevice"));
  exports.Set("measureGemmTflops", Napi::Function::New(env, MeasureGemmTflops, "measureGemmTflops"));
  exports.Set("hardwareThreads",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) {
                return Napi::Number::New(i.Env(), lgb::hardware_threads());
              }, "hardwareThreads"));
#ifdef LGB_HAS_TESTING
  InitTesting(env, exports);
#endif
#ifdef LGB_HAS_TESTING_CPU
  InitTestingCpu(env, exports);
#endif
#ifdef LGB_HAS_TESTING_CUDA
  InitTestingCuda(env, exports);
#endif
  return exports;
}

}  // namespace
}  // namespace lgb_binding

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return lgb_binding::Init(env, exports); }
}  // namespace

NODE_API_MODULE(llama_gpu_bench, InitModule)
