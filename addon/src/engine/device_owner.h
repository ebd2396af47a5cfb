// One device and everything that touches it, in one place (as a ggml backend owns its queue): the lock that puts
// its loads and batches in order, the model it holds, how deep its pipeline is, and figures anyone may read at any
// time without waiting for a batch (memory in use, the peak, the preferred batch), kept in atomics that each load,
// unload and batch refresh.
//
// A batch's life: its inputs are prepared for the device's current model without the lock (on CUDA this overlaps
// the batch the device computes now), then the batch runs under the lock, then its buffers go back to the device.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/device.h"

namespace lgb {

struct MemoryFigures {
  uint64_t in_use = 0;  // bytes the device holds for the engine now
  uint64_t peak = 0;    // the most it has held (CUDA: the device-wide high-water mark)
};

class DeviceOwner {
 public:
  explicit DeviceOwner(std::unique_ptr<Device> device);

  // The device's properties, as read when it was opened.
  const DeviceInfo& info() const { return info_; }

  LoadStats load(std::shared_ptr<const HostModel> model);
  void unload();
  BatchResult run(const std::string& public_key, std::vector<uint64_t> nonces, bool want_logits);
  // Frees the device; later calls fail with ERR_CLOSED. Batches in flight finish first.
  void close();

  // Lock-free: these never wait for a batch.
  MemoryFigures memory() const;
  int64_t preferred_batch() const { return preferred_batch_.load(std::memory_order_relaxed); }
  int pipeline_depth() const { return pipeline_depth_; }

 private:
  // The device and its model for a batch's preparation; throws ERR_CLOSED once closed.
  std::shared_ptr<Device> device_for_prepare(std::shared_ptr<const HostModel>* model);
  // Under mu_: the atomics from the device's own counters.
  void refresh();

  const DeviceInfo info_;
  const int pipeline_depth_;

  std::mutex mu_;                                // serialises load, unload, run and close on the device
  std::shared_ptr<Device> device_;               // null once closed; shared with preparations in flight
  std::shared_ptr<const HostModel> model_;       // what the last successful load() put on the device
  std::mutex model_mu_;                          // guards device_ and model_ for prepare(), which takes no mu_

  std::atomic<uint64_t> in_use_{0};
  std::atomic<uint64_t> peak_{0};
  std::atomic<int64_t> preferred_batch_{0};
};

}  // namespace lgb
