// The backend interface: one Device per compute unit (the CPU, or one GPU). Everything else drives a device through
// its DeviceOwner (engine/device_owner.h), which serialises the calls below; CUDA headers never appear here.
//
// Threading: calls run on libuv worker threads, never touching JavaScript. prepare() may run on any thread at any
// time, also while the device computes another batch; every other call comes one at a time (the owner's lock).
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

// A batch on its way through a device: what to compute, and the inputs made for it before the device was taken.
struct Batch {
  std::string public_key;
  std::vector<uint64_t> nonces;
  bool want_logits = false;
  std::shared_ptr<const HostModel> made_for;  // the model `inputs` were made for (null: none made)
  std::unique_ptr<BatchInputs> inputs;        // null: the device makes them in run()
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
  // How many batches a caller keeps in flight on this device: 2 where prepare() does real work beside the compute
  // (the next batch's inputs are made on CPU threads while this one runs), 1 where run() needs every core.
  virtual int pipeline_depth() const { return 1; }
  // The part of a batch that needs no device, made for `model` (the device's model when the batch was asked for):
  // called without the owner's lock, possibly while the device computes another batch. Default: nothing (run()
  // makes the inputs itself).
  virtual void prepare(const std::shared_ptr<const HostModel>& model, Batch* batch) { (void)model, (void)batch; }
  // Distances of the batch's nonces under the loaded model; any batch size >= 1 works (large ones are split). The
  // result for a nonce never depends on the batch it is in. Inputs made for another model (a load came in between)
  // are not used.
  virtual BatchResult run(Batch& batch) = 0;
  // The batch is done: buffers prepare() gave it may be kept for the next one.
  virtual void recycle(Batch& batch) { (void)batch; }
  // Caps the device memory the next load() plans with at `bytes` in all (0: no cap), as if the device had only that
  // much (e.g. a 24 GB card's budget on a larger one). Devices without their own memory (the CPU) ignore it.
  virtual void set_memory_limit(uint64_t bytes) { (void)bytes; }
  // Bytes this device holds for the engine now (weights + scratch + workspace); CUDA: also the peak seen so far.
  // Called under the owner's lock after each load, unload and run; readers get the owner's copy, lock-free.
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
