// One GPU's state (STYLE.md: one context per GPU, no process globals): the device ordinal, its stream, the
// cuBLASLt GEMM (handle + workspace), the loaded model's weights and activations, and the pinned host buffers the
// batches move through. Everything is released in the destructor, with the device made current first.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>

#include "core/model.h"
#include "cuda/buffer.h"
#include "cuda/forward.h"
#include "cuda/gemm.h"
#include "cuda/weights.h"

namespace lgb::cuda {

class Context {
 public:
  explicit Context(int device);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Makes this GPU current on the calling thread (every entry point calls it first: calls arrive on any thread).
  void activate() const;
  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  cudaEvent_t done() const { return done_; }
  Gemm& gemm() { return *gemm_; }
  size_t gemm_workspace_bytes() const { return gemm_->workspace_bytes(); }

  // The loaded model (null when none) and what it holds on the device.
  std::shared_ptr<const HostModel> host;
  std::unique_ptr<DeviceWeights> weights;
  std::unique_ptr<Activations> act;
  // Pinned staging, two slots so one batch's inputs are generated while the previous batch computes.
  PinnedBuffer<uint16_t> inputs[2];   // (max_batch, seq_len, dim) fp16 bits
  PinnedBuffer<int32_t> perms[2];     // (max_batch, vocab)
  PinnedBuffer<double> dist;          // (max_batch)
  PinnedBuffer<uint16_t> logits;      // (max_batch, logits_ld) fp16 bits

  // Drops the model and everything sized for it.
  void release_model();

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t done_ = nullptr;
  std::unique_ptr<Gemm> gemm_;
};

}  // namespace lgb::cuda
