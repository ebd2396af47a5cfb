#include "gate.h"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "binding/async.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/wraps.h"
#include "engine/device.h"

namespace lgb_binding {
namespace {

class Gate {
 public:
  void hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  // A batch arrives: counted, then waits while the gate is held.
  void pass() {
    std::unique_lock<std::mutex> lock(mu_);
    ++arrived_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !held_; });
  }
  // Blocks until `n` batches have arrived at the gate since the addon was loaded.
  void wait_arrived(int64_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return arrived_ >= n; });
  }
  int64_t arrived() {
    std::lock_guard<std::mutex> lock(mu_);
    return arrived_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int64_t arrived_ = 0;
};

// The engine's device with a gate in front of run(); everything else goes straight through.
class GatedDevice final : public lgb::Device {
 public:
  GatedDevice(std::unique_ptr<lgb::Device> inner, std::shared_ptr<Gate> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}
  lgb::DeviceInfo info() const override { return inner_->info(); }
  lgb::LoadStats load(std::shared_ptr<const lgb::HostModel> model) override { return inner_->load(std::move(model)); }
  void unload() override { inner_->unload(); }
  int64_t preferred_batch() const override { return inner_->preferred_batch(); }
  int pipeline_depth() const override { return inner_->pipeline_depth(); }
  void prepare(const std::shared_ptr<const lgb::HostModel>& model, lgb::Batch* batch) override {
    inner_->prepare(model, batch);
  }
  lgb::BatchResult run(lgb::Batch& batch) override {
    gate_->pass();
    return inner_->run(batch);
  }
  void recycle(lgb::Batch& batch) override { inner_->recycle(batch); }
  void set_memory_limit(uint64_t bytes) override { inner_->set_memory_limit(bytes); }
  uint64_t memory_in_use() const override { return inner_->memory_in_use(); }
  uint64_t peak_memory() const override { return inner_->peak_memory(); }

 private:
  std::unique_ptr<lgb::Device> inner_;
  std::shared_ptr<Gate> gate_;
};

}  // namespace

void InitGate(Napi::Env env, Napi::Object exports) {
  auto gate = std::make_shared<Gate>();
  Napi::Object g = Napi::Object::New(env);
  g.Set("hold", Napi::Function::New(env, [gate](const Napi::CallbackInfo& info) {
    gate->hold();
    return info.Env().Undefined();
  }, "hold"));
  g.Set("release", Napi::Function::New(env, [gate](const Napi::CallbackInfo& info) {
    gate->release();
    return info.Env().Undefined();
  }, "release"));
  g.Set("arrived", Napi::Function::New(env, [gate](const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(gate->arrived()));
  }, "arrived"));
  // entered(n): resolves once n batches in all have reached the gate.
  g.Set("entered", Napi::Function::New(env, [gate](const Napi::CallbackInfo& info) {
    return Guarded(info, [&]() -> Napi::Value {
      const int64_t n = IntArg(info, 0, "n", 1);
      return PromiseWorker<bool>::Start(
          info.Env(),
          [gate, n] {
            gate->wait_arrived(n);
            return true;
          },
          [](Napi::Env e, bool&) -> Napi::Value { return e.Undefined(); });
    });
  }, "entered"));
  Napi::Object testing = exports.Has("testing") && exports.Get("testing").IsObject()
                             ? exports.Get("testing").As<Napi::Object>()
                             : Napi::Object::New(env);
  testing.Set("gate", g);
  exports.Set("testing", testing);

  // openDevice(backend, index, threads, memoryLimitBytes?): the engine's, with the device behind the gate.
  exports.Set("openDevice", Napi::Function::New(env, [gate](const Napi::CallbackInfo& info) {
    return Guarded(info, [&]() -> Napi::Value {
      const std::string backend = BackendArg(info, 0);
      const int index = static_cast<int>(IntArg(info, 1, "index", 0));
      const int threads = static_cast<int>(IntArg(info, 2, "threads", 0));
      const auto limit = static_cast<uint64_t>(NumberArg(info, 3, "memoryLimitBytes", 0));
      return PromiseWorker<std::shared_ptr<lgb::DeviceOwner>>::Start(
          info.Env(),
          [backend, index, threads, limit, gate] {
            std::unique_ptr<lgb::Device> device =
                backend == "cpu" ? lgb::open_cpu_device(threads) : lgb::open_cuda_device(index);
            device->set_memory_limit(limit);
            return std::make_shared<lgb::DeviceOwner>(std::make_unique<GatedDevice>(std::move(device), gate));
          },
          [](Napi::Env e, std::shared_ptr<lgb::DeviceOwner>& owner) -> Napi::Value {
            return NativeDevice::Wrap(e, std::move(owner));
          });
    });
  }, "openDevice"));
}

}  // namespace lgb_binding
