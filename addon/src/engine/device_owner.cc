#include "engine/device_owner.h"

#include "core/error.h"

namespace lgb {

DeviceOwner::DeviceOwner(std::unique_ptr<Device> device)
    : info_(device->info()), pipeline_depth_(device->pipeline_depth()), device_(std::move(device)) {
  std::lock_guard<std::mutex> lock(mu_);
  refresh();
}

LoadStats DeviceOwner::load(std::shared_ptr<const HostModel> model) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!device_) throw Error(kErrClosed, "device is closed");
  {
    std::lock_guard<std::mutex> m(model_mu_);
    model_.reset();  // no batch prepares inputs for a model on its way out
  }
  LoadStats stats;
  try {
    stats = device_->load(model);
  } catch (...) {
    refresh();
    throw;
  }
  {
    std::lock_guard<std::mutex> m(model_mu_);
    model_ = std::move(model);
  }
  refresh();
  return stats;
}

void DeviceOwner::unload() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!device_) return;
  {
    std::lock_guard<std::mutex> m(model_mu_);
    model_.reset();
  }
  device_->unload();
  refresh();
}

BatchResult DeviceOwner::run(const std::string& public_key, std::vector<uint64_t> nonces, bool want_logits) {
  Batch batch;
  batch.public_key = public_key;
  batch.nonces = std::move(nonces);
  batch.want_logits = want_logits;

  // 1. Inputs, without the lock: on a device that computes elsewhere (CUDA) this overlaps the batch running now.
  std::shared_ptr<const HostModel> model;
  std::shared_ptr<Device> device = device_for_prepare(&model);
  if (model) device->prepare(model, &batch);

  // 2. The device's work, in the order the batches reach the lock; its buffers go back to the device afterwards.
  struct Recycle {
    Device& device;
    Batch& batch;
    ~Recycle() { device.recycle(batch); }
  } recycle{*device, batch};
  std::lock_guard<std::mutex> lock(mu_);
  if (!device_) throw Error(kErrClosed, "device is closed");
  BatchResult result = device_->run(batch);
  refresh();
  return result;
}

void DeviceOwner::close() {
  std::shared_ptr<Device> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::lock_guard<std::mutex> m(model_mu_);
    closing = std::move(device_);
    model_.reset();
    in_use_.store(0, std::memory_order_relaxed);
    preferred_batch_.store(0, std::memory_order_relaxed);
  }
  // Freed here, or by the last preparation in flight that still holds it.
  closing.reset();
}

MemoryFigures DeviceOwner::memory() const {
  return {in_use_.load(std::memory_order_relaxed), peak_.load(std::memory_order_relaxed)};
}

std::shared_ptr<Device> DeviceOwner::device_for_prepare(std::shared_ptr<const HostModel>* model) {
  std::lock_guard<std::mutex> m(model_mu_);
  if (!device_) throw Error(kErrClosed, "device is closed");
  *model = model_;
  return device_;
}

void DeviceOwner::refresh() {
  if (!device_) return;
  in_use_.store(device_->memory_in_use(), std::memory_order_relaxed);
  peak_.store(device_->peak_memory(), std::memory_order_relaxed);
  preferred_batch_.store(device_->preferred_batch(), std::memory_order_relaxed);
}

}  // namespace lgb
