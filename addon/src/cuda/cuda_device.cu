// The CUDA backend behind the engine's Device interface (mirrors cpu/cpu_device.cc): device listing, one Context
// per opened GPU, model loading with the batch size chosen from free memory, and batches in a two-deep pipeline:
// prepare() makes the next batch's inputs on CPU threads (outside the owner's lock) while the current batch
// computes, and run() double-buffers a long batch's chunks the same way.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/nonce.h"
#include "core/parallel.h"
#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/ops.h"
#include "engine/device.h"

namespace lgb {
namespace {

using cuda::Activations;
using cuda::Context;
using cuda::DeviceWeights;

// Rows (nonces x positions) per GEMM the batch size aims at: enough to fill an H100 with fp16 tensor-core tiles.
constexpr int64_t kTargetRows = 16384;
// CPU threads that copy a batch's inputs into pinned memory (stage()).
constexpr int kStageThreads = 8;

DeviceInfo query_info(int index) {
  cudaDeviceProp prop{};
  LGB_CUDA(cudaGetDeviceProperties(&prop, index));
  LGB_CUDA(cudaSetDevice(index));
  size_t free_b = 0, total_b = 0;
  LGB_CUDA(cudaMemGetInfo(&free_b, &total_b));
  DeviceInfo info;
  info.backend = "cuda";
  info.index = index;
  info.name = prop.name;
  info.total_memory = total_b;
  info.free_memory = free_b;
  info.threads = prop.multiProcessorCount;
  info.arch = "sm_" + std::to_string(prop.major) + std::to_string(prop.minor);
  return info;
}

uint64_t device_bytes_used() {
  size_t free_b = 0, total_b = 0;
  LGB_CUDA(cudaMemGetInfo(&free_b, &total_b));
  return total_b - free_b;
}

class CudaDevice final : public Device {
 public:
  explicit CudaDevice(int index) : ctx_(index), info_(query_info(index)) { peak_ = device_bytes_used(); }

  DeviceInfo info() const override { return query_info(ctx_.device()); }

  LoadStats load(std::shared_ptr<const HostModel> model) override {
    const auto t0 = std::chrono::steady_clock::now();
    ctx_.activate();
    ctx_.release_model();
    const ModelParams& p = model->params;
    if (p.head_dim() % 2 != 0) throw Error(kErrInvalidParams, "head_dim: the CUDA backend needs an even head_dim");
    cudaDeviceProp prop{};
    LGB_CUDA(cudaGetDeviceProperties(&prop, ctx_.device()));
    const cuda::AttentionShape one{1, p.seq_len, p.n_heads, p.n_kv_heads, p.head_dim()};
    if (cuda::attention_smem_bytes(one) > prop.sharedMemPerBlockOptin) {
      throw Error(kErrInvalidParams, "seq_len: too long for the CUDA attention kernel (K/V of one head must fit in " +
                                         std::to_string(prop.sharedMemPerBlockOptin) + " bytes of shared memory)");
    }
    size_t free_raw = 0, total_raw = 0;
    LGB_CUDA(cudaMemGetInfo(&free_raw, &total_raw));
    // Under a memory limit the device is planned as if it had only `limit` bytes in all: what is in use now
    // (the CUDA context, cuBLASLt) still counts, the rest of the limit is free.
    uint64_t free_b = free_raw, total_b = total_raw;
    if (memory_limit_ > 0 && memory_limit_ < total_raw) {
      const uint64_t used = total_raw - free_raw;
      total_b = memory_limit_;
      free_b = memory_limit_ > used ? memory_limit_ - used : 0;
    }
    const uint64_t per_nonce = Activations::bytes_per_nonce(p);
    const uint64_t reserve = std::max<uint64_t>(512ull << 20, total_b / 32);  // cuBLASLt, allocator slack
    const int64_t target_batch = std::max<int64_t>(1, kTargetRows / p.seq_len);
    // Materialised weights when they fit with a full batch (faster GEMMs); else the shifted copies of the pool when
    // they leave room for a quarter of it; else the pool alone (unaligned GEMMs, the least memory).
    auto fits = [&](cuda::WeightMode mode, int64_t batch) {
      return DeviceWeights::bytes_while_loading(*model, mode) + reserve <= free_b &&
             DeviceWeights::bytes_needed(*model, mode) + reserve + per_nonce * batch <= free_b;
    };
    using cuda::WeightMode;
    const WeightMode mode = fits(WeightMode::kMaterialised, target_batch) ? WeightMode::kMaterialised
                            : fits(WeightMode::kShiftedCopies, std::max<int64_t>(1, target_batch / 4))
                                ? WeightMode::kShiftedCopies
                                : WeightMode::kPool;
    if (!fits(mode, 1)) {
      const uint64_t need = DeviceWeights::bytes_while_loading(*model, mode) + reserve + per_nonce;
      throw Error(kErrOutOfMemory, info_.name + " (cuda:" + std::to_string(ctx_.device()) + ") lacks memory: " +
                                       std::to_string(need >> 20) + " MiB needed, " + std::to_string(free_b >> 20) +
                                       " MiB free");
    }
    const uint64_t weight_bytes = DeviceWeights::bytes_needed(*model, mode);
    const int64_t fit = static_cast<int64_t>((free_b - weight_bytes - reserve) / per_nonce);  // >= 1: fits(mode, 1)
    const int64_t batch = std::max<int64_t>(1, std::min(fit, target_batch));

    try {
      ctx_.weights = std::make_unique<DeviceWeights>(*model, mode, ctx_.stream());
      ctx_.act = std::make_unique<Activations>(p, batch);
      const size_t in_count = static_cast<size_t>(batch * p.seq_len * p.dim);
      for (int s = 0; s < 2; ++s) {
        ctx_.inputs[s] = cuda::PinnedBuffer<uint16_t>(in_count);
        ctx_.perms[s] = cuda::PinnedBuffer<int32_t>(static_cast<size_t>(batch * p.vocab_size));
      }
      ctx_.dist = cuda::PinnedBuffer<double>(static_cast<size_t>(batch));
      ctx_.logits = cuda::PinnedBuffer<uint16_t>(static_cast<size_t>(batch * ctx_.act->logits_ld));
    } catch (...) {
      ctx_.release_model();  // nothing half-loaded stays on the device
      throw;
    }
    ctx_.host = std::move(model);
    note_peak();

    LoadStats stats;
    stats.weight_bytes = ctx_.weights->bytes();
    stats.scratch_bytes = ctx_.act->bytes() + ctx_.gemm().workspace_bytes();
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return stats;
  }

  void unload() override {
    ctx_.activate();
    ctx_.release_model();
  }

  int64_t preferred_batch() const override { return ctx_.act ? ctx_.act->max_batch : 0; }

  int pipeline_depth() const override { return 2; }

  // The inputs of a whole batch, on CPU threads, while the GPU computes the batch before it.
  void prepare(const std::shared_ptr<const HostModel>& model, Batch* batch) override {
    batch->inputs = take_inputs();
    make_batch_inputs(*model, batch->public_key, batch->nonces, 0, batch->inputs.get());
    batch->made_for = model;
  }

  BatchResult run(Batch& batch) override {
    const HostModel& m = loaded();
    if (batch.inputs && batch.made_for.get() == &m) {
      return run_chunks(batch.nonces.size(), batch.want_logits,
                        [&](int slot, int64_t begin, int64_t count) { stage(slot, *batch.inputs, begin, count); });
    }
    // Not prepared, or prepared for a model since replaced: each chunk's inputs are made in turn.
    return run_chunks(batch.nonces.size(), batch.want_logits, [&](int slot, int64_t begin, int64_t count) {
      const std::vector<uint64_t> sub(batch.nonces.begin() + begin, batch.nonces.begin() + begin + count);
      BatchInputs in;
      make_batch_inputs(m, batch.public_key, sub, 0, &in);
      stage(slot, in, 0, count);
    });
  }

  // Input buffers are reused (a V2 batch's are ~60 MB: allocating and faulting them in per batch costs a third of
  // the generation time); at most two are in use at once, one per batch in flight.
  void recycle(Batch& batch) override {
    if (!batch.inputs) return;
    std::lock_guard<std::mutex> lock(spare_mu_);
    if (spare_.size() < 2) spare_.push_back(std::move(batch.inputs));
    batch.inputs.reset();
  }

  uint64_t memory_in_use() const override {
    uint64_t bytes = ctx_.gemm_workspace_bytes();
    if (ctx_.weights) bytes += ctx_.weights->bytes();
    if (ctx_.act) bytes += ctx_.act->bytes();
    return bytes;
  }

  uint64_t peak_memory() const override { return peak_; }

  void set_memory_limit(uint64_t bytes) override { memory_limit_ = bytes; }

 private:
  std::unique_ptr<BatchInputs> take_inputs() {
    std::lock_guard<std::mutex> lock(spare_mu_);
    if (spare_.empty()) return std::make_unique<BatchInputs>();
    auto in = std::move(spare_.back());
    spare_.pop_back();
    return in;
  }

  const HostModel& loaded() {
    ctx_.activate();
    if (!ctx_.host) throw Error(kErrNoModel, "no model is loaded on cuda:" + std::to_string(ctx_.device()));
    return *ctx_.host;
  }

  // Copies nonces [begin, begin+count) of `in` into pinned staging slot `slot`, on several CPU threads: for a
  // single-batch call this runs while the GPU waits (V2: 61 MB; one thread's memcpy takes ~10 ms or more).
  void stage(int slot, const BatchInputs& in, int64_t begin, int64_t count) {
    const ModelParams& p = ctx_.host->params;
    const size_t in_per_nonce = static_cast<size_t>(p.seq_len * p.dim), vocab = static_cast<size_t>(p.vocab_size);
    const auto* src_in = reinterpret_cast<const char*>(in.inputs.data() + begin * in_per_nonce);
    const auto* src_perm = reinterpret_cast<const char*>(in.permutations.data() + begin * vocab);
    auto* dst_in = reinterpret_cast<char*>(ctx_.inputs[slot].get());
    auto* dst_perm = reinterpret_cast<char*>(ctx_.perms[slot].get());
    const int64_t in_bytes = count * in_per_nonce * sizeof(uint16_t), perm_bytes = count * vocab * sizeof(int32_t);
    constexpr int64_t kPieces = 32;
    parallel_for(kPieces, kStageThreads, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t a0 = in_bytes * i / kPieces, a1 = in_bytes * (i + 1) / kPieces;
        const int64_t p0 = perm_bytes * i / kPieces, p1 = perm_bytes * (i + 1) / kPieces;
        std::memcpy(dst_in + a0, src_in + a0, static_cast<size_t>(a1 - a0));
        std::memcpy(dst_perm + p0, src_perm + p0, static_cast<size_t>(p1 - p0));
      }
    });
  }

  // The forward over n nonces in chunks of max_batch; fill(slot, begin, count) stages a chunk's inputs into pinned
  // slot `slot`, and runs for the next chunk while the GPU computes the current one (double buffering).
  template <typename Fill>
  BatchResult run_chunks(size_t n_nonces, bool want_logits, Fill fill) {
    const HostModel& m = loaded();
    const ModelParams& p = m.params;
    const int64_t n = static_cast<int64_t>(n_nonces);
    const int64_t chunk = ctx_.act->max_batch, vocab = p.vocab_size, ld = ctx_.act->logits_ld;
    const size_t in_per_nonce = static_cast<size_t>(p.seq_len * p.dim);
    BatchResult result;
    result.dist.resize(n_nonces);
    if (want_logits) result.logits.resize(n_nonces * vocab);

    if (n > 0) fill(0, 0, std::min(chunk, n));
    int slot = 0;
    for (int64_t begin = 0; begin < n; begin += chunk, slot ^= 1) {
      const int64_t count = std::min(chunk, n - begin);
      cudaStream_t st = ctx_.stream();
      cuda::Activations& act = *ctx_.act;
      LGB_CUDA(cudaMemcpyAsync(act.h.get(), ctx_.inputs[slot].get(), count * in_per_nonce * sizeof(uint16_t),
                               cudaMemcpyHostToDevice, st));
      LGB_CUDA(cudaMemcpyAsync(act.perm.get(), ctx_.perms[slot].get(), count * vocab * sizeof(int32_t),
                               cudaMemcpyHostToDevice, st));
      cuda::enqueue_forward(ctx_.gemm(), *ctx_.weights, p, m.layout, act, count, st);
      LGB_CUDA(cudaMemcpyAsync(ctx_.dist.get(), act.dist.get(), count * sizeof(double), cudaMemcpyDeviceToHost, st));
      if (want_logits) {
        LGB_CUDA(cudaMemcpyAsync(ctx_.logits.get(), act.logits.get(), count * ld * sizeof(uint16_t),
                                 cudaMemcpyDeviceToHost, st));
      }
      LGB_CUDA(cudaEventRecord(ctx_.done(), st));
      const int64_t next = begin + count;
      if (next < n) fill(slot ^ 1, next, std::min(chunk, n - next));  // CPU work while the GPU computes
      LGB_CUDA(cudaEventSynchronize(ctx_.done()));
      std::copy(ctx_.dist.get(), ctx_.dist.get() + count, result.dist.begin() + begin);
      if (want_logits) {
        for (int64_t i = 0; i < count; ++i) {
          std::copy(ctx_.logits.get() + i * ld, ctx_.logits.get() + i * ld + vocab,
                    result.logits.begin() + (begin + i) * vocab);
        }
      }
    }
    note_peak();
    return result;
  }

  // The device-wide high-water mark (total - free, so the CUDA context and cuBLASLt's own memory count too).
  void note_peak() { peak_ = std::max(peak_, device_bytes_used()); }

  Context ctx_;
  DeviceInfo info_;
  uint64_t peak_ = 0;
  uint64_t memory_limit_ = 0;  // bytes, 0: none (set_memory_limit)
  std::mutex spare_mu_;       // prepare() and recycle() run outside the owner's lock
  std::vector<std::unique_ptr<BatchInputs>> spare_;
};

}  // namespace

std::vector<DeviceInfo> list_cuda_devices(std::string* reason) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    if (reason) *reason = std::string("no usable CUDA driver or device: ") + cudaGetErrorString(err);
    return {};
  }
  std::vector<DeviceInfo> out;
  std::string skipped;
  for (int i = 0; i < count; ++i) {
    const cudaError_t image = cuda::kernel_image_available(i);
    if (image != cudaSuccess) {
      cudaGetLastError();
      cudaDeviceProp prop{};
      cudaGetDeviceProperties(&prop, i);
      skipped += (skipped.empty() ? "" : "; ") + std::string("cuda:") + std::to_string(i) + " (" + prop.name +
                 ", sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
                 ") skipped: this build has no kernels for its architecture";
      continue;
    }
    out.push_back(query_info(i));
  }
  if (reason) *reason = count == 0 ? "no CUDA device" : skipped;
  return out;
}

std::unique_ptr<Device> open_cuda_device(int index) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || index < 0 || index >= count) {
    cudaGetLastError();
    throw Error(kErrInvalidArgument, "no CUDA device with index " + std::to_string(index));
  }
  return std::make_unique<CudaDevice>(index);
}

}  // namespace lgb
