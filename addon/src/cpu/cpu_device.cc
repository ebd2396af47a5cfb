// The CPU backend's Device (engine/device.h): one device using a fixed pool of compute threads. run() generates
// each nonce's input and permutation with the core (there is no prepare(): the compute needs every core, so one
// batch at a time), runs the forward in batches of preferred_batch() nonces, and turns the last-position logits
// into distances (core/distance.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <new>
#include <string>

#include "core/distance.h"
#include "core/error.h"
#include "core/nonce.h"
#include "core/parallel.h"
#include "cpu/forward.h"
#include "cpu/fp16.h"
#include "cpu/workers.h"
#include "engine/device.h"

namespace lgb {
namespace {

// Rows (nonces x positions) per GEMM that amortise converting each weight tile to float32.
constexpr int64_t kTargetRows = 512;

uint64_t total_memory() {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

uint64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit;
  while (in >> key >> value >> unit) {
    if (key == "MemAvailable:") return value * 1024;
  }
  long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

class CpuDevice final : public Device {
 public:
  explicit CpuDevice(int threads) : workers_(threads) {}

  DeviceInfo info() const override { return cpu_device_info(workers_.size()); }

  LoadStats load(std::shared_ptr<const HostModel> model) override {
    auto t0 = std::chrono::steady_clock::now();
    unload();
    try {
      forward_ = std::make_unique<cpu::Forward>(*model);
    } catch (const std::bad_alloc&) {
      throw Error(kErrOutOfMemory, "not enough host memory for the CPU forward's tables");
    }
    model_ = std::move(model);
    // Batch: enough rows to amortise weight conversion, at most a quarter of the memory available now.
    const ModelParams& p = model_->params;
    int64_t batch = std::max<int64_t>(1, kTargetRows / p.seq_len);
    const uint64_t budget = available_memory() / 4;
    while (batch > 1 && cpu::Forward::scratch_bytes_for(p, batch, workers_.size()) > budget) batch /= 2;
    if (cpu::Forward::scratch_bytes_for(p, 1, workers_.size()) > available_memory()) {
      unload();
      throw Error(kErrOutOfMemory, "model too large for this machine's memory: one nonce needs " +
                                       std::to_string(cpu::Forward::scratch_bytes_for(p, 1, workers_.size())) +
                                       " bytes of activations");
    }
    batch_ = batch;
    LoadStats stats;
    stats.weight_bytes = weight_bytes();
    stats.scratch_bytes = cpu::Forward::scratch_bytes_for(p, batch_, workers_.size());
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return stats;
  }

  void unload() override {
    forward_.reset();
    model_.reset();
    batch_ = 0;
  }

  int64_t preferred_batch() const override { return model_ ? batch_ : 0; }

  BatchResult run(Batch& batch) override {
    if (!model_) throw Error(kErrNoModel, "no model is loaded on the CPU device");
    const std::string& public_key = batch.public_key;
    const std::vector<uint64_t>& nonces = batch.nonces;
    const bool want_logits = batch.want_logits;
    const int64_t vocab = model_->params.vocab_size, count = static_cast<int64_t>(nonces.size());
    BatchResult result;
    result.dist.resize(count);
    if (want_logits) result.logits.resize(count * vocab);
    try {
      std::vector<uint16_t> logits;
      std::vector<float> logits_f;
      for (int64_t first = 0; first < count; first += batch_) {
        const int64_t n = std::min(batch_, count - first);
        std::vector<uint64_t> chunk(nonces.begin() + first, nonces.begin() + first + n);
        BatchInputs in;
        make_batch_inputs(*model_, public_key, chunk, workers_.size(), &in);
        logits.resize(n * vocab);
        forward_->run(workers_, in.inputs.data(), n, logits.data());
        logits_f.resize(n * vocab);
        cpu::fp16_to_float_array(logits.data(), logits_f.data(), n * vocab);
        workers_.run(n, [&](int64_t b0, int64_t b1, int) {
          for (int64_t b = b0; b < b1; ++b)
            result.dist[first + b] = distance_to_target(logits_f.data() + b * vocab, in.permutations.data() + b * vocab,
                                                        model_->target.data(), vocab);
        });
        if (want_logits) std::copy(logits.begin(), logits.end(), result.logits.begin() + first * vocab);
      }
      peak_ = std::max(peak_, memory_in_use());
    } catch (const std::bad_alloc&) {
      throw Error(kErrOutOfMemory, "not enough host memory for a CPU batch of " + std::to_string(batch_) + " nonces");
    }
    return result;
  }

  uint64_t memory_in_use() const override {
    return weight_bytes() + (forward_ ? forward_->scratch_bytes() : 0);
  }
  uint64_t peak_memory() const override { return std::max(peak_, memory_in_use()); }

 private:
  // The CPU reads the host model's pool in place: its resident weight memory is the pool plus tiled parameters.
  uint64_t weight_bytes() const {
    if (!model_) return 0;
    uint64_t bytes = model_->pool.size() * sizeof(uint16_t);
    for (const auto& t : model_->tiled) bytes += t.size() * sizeof(uint16_t);
    return bytes;
  }

  cpu::Workers workers_;
  std::shared_ptr<const HostModel> model_;
  std::unique_ptr<cpu::Forward> forward_;
  int64_t batch_ = 0;
  uint64_t peak_ = 0;
};

}  // namespace

DeviceInfo cpu_device_info(int threads) {
  DeviceInfo info;
  info.backend = "cpu";
  info.index = 0;
  info.threads = threads <= 0 ? hardware_threads() : threads;
  info.name = "CPU (" + std::to_string(info.threads) + " threads)";
  info.total_memory = total_memory();
  info.free_memory = available_memory();
  info.arch = "";
  return info;
}

std::unique_ptr<Device> open_cpu_device(int threads) {
  if (threads < 0) throw Error(kErrInvalidArgument, "threads: must be >= 0");
  return std::make_unique<CpuDevice>(threads);
}

}  // namespace lgb
