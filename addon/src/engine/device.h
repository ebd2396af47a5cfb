// The backend interface: one Device per compute unit (the CPU, or one GPU). The binding and the TS scheduler
// drive devices only through this; CUDA headers never appear here.
//
// Threading: a Device is used by one call at a time (the binding serialises calls per device); calls run on
// libuv worker threads, never touching JavaScript.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/nonce.h"

namespace lgb {

struct DeviceInfo {
  std::string backend;        // "cpu" | "cuda"
  int index = 0;              // ordinal within the backend
  std::string name;           // "CPU (16 threads)", "NVIDIA H100 80GB HBM3"
  uint64_t total_memory = 0;  // bytes
  uint64_t free_memory = 0;   // bytes, at the time of the query
  int threads = 0;            // CPU: compute threads; CUDA: multiprocessors
  std::string arch;           // CUDA: "sm_90"; CPU: ""
};

struct BatchResult {
  std::vector<double> dist;       // (count) distance of each nonce, in the order given
  std::vector<uint16_t> logits;   // (count, vocab) last-position logits as fp16 bits, only when asked
};

// Memory and timing facts about the loaded model, for benchmarks and logs.
struct LoadStats {
  uint64_t weight_bytes = 0;      // resident weight memory on the device
  uint64_t scratch_bytes = 0;     // activations and workspace at max_batch
  double seconds = 0;             // time spent in load()
};

class Device {
 public:
  virtual ~Device() = default;
  virtual DeviceInfo info() const = 0;
  // Makes `model` this device's model (uploads the pool, builds what it needs). Replaces any previous model.
  virtual LoadStats load(std::shared_ptr<const HostModel> model) = 0;
  virtual void unload() = 0;
  // The batch size this device runs best with for the loaded model (fits its free memory). 0 if no model.
  virtual int64_t preferred_batch() const = 0;
  // Distances of `nonces` under the loaded model; any batch size >= 1 works (large ones are split).
  // The result for a nonce never depends on the batch it is in.
  virtual BatchResult run(const std::string& public_key, const std::vector<uint64_t>& nonces, bool want_logits) = 0;
  // Devices whose compute leaves the CPU free (CUDA) take their inputs made outside their lock: the binding
  // generates the next batch's inputs on CPU threads while this device computes the current one. Others make
  // their inputs inside run() (the CPU backend needs the cores for its own compute).
  virtual bool takes_prepared_inputs() const { return false; }
  // run() with inputs already made by make_batch_inputs for `made_for`; a device whose model is no longer
  // `made_for` (a load came in between) must not use them.
  virtual BatchResult run_prepared(const HostModel& made_for, const std::string& public_key,
                                   const std::vector<uint64_t>& nonces, const BatchInputs& inputs, bool want_logits) {
    return run(public_key, nonces, want_logits);
  }
  // Caps the device memory the next load() plans with at `bytes` in all (0: no cap), as if the device had only that
  // much (e.g. a 24 GB card's budget on a larger one). Devices without their own memory (the CPU) ignore it.
  virtual void set_memory_limit(uint64_t bytes) { (void)bytes; }
  // Bytes this device holds for the engine now (weights + scratch + workspace); CUDA: also the peak seen so far.
  virtual uint64_t memory_in_use() const = 0;
  virtual uint64_t peak_memory() const = 0;
};

// CPU backend (addon/src/cpu/): one device using `threads` compute threads (0 = every core).
std::unique_ptr<Device> open_cpu_device(int threads);
DeviceInfo cpu_device_info(int threads);

// CUDA backend (addon/src/cuda/; stubs in engine/no_cuda.cc when not compiled in).
// Returns the usable GPUs; when there are none, `reason` says why ("built without CUDA", "no CUDA device", ...).
std::vector<DeviceInfo> list_cuda_devices(std::string* reason);
std::unique_ptr<Device> open_cuda_device(int index);
// Dense fp16 GEMM rate (fp32 accumulate) measured through cuBLASLt on GPU `index` for an m×n×k product, in
// TFLOP/s (median of several timed runs, random data). The denominator of every "% of peak" we report.
double measure_cuda_gemm_tflops(int index, int64_t m, int64_t n, int64_t k);

}  // namespace lgb
