// One GPU's context (see context.h).
#include "cuda/context.h"

#include "cuda/check.h"

namespace lgb::cuda {

Context::Context(int device) : device_(device) {
  activate();
  try {
    LGB_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    LGB_CUDA(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming | cudaEventBlockingSync));
    gemm_ = std::make_unique<Gemm>();  // gemm.h: the workspace and tuning defaults
  } catch (...) {
    if (done_) cudaEventDestroy(done_);
    if (stream_) cudaStreamDestroy(stream_);
    throw;
  }
}

Context::~Context() {
  cudaSetDevice(device_);
  if (stream_) cudaStreamSynchronize(stream_);
  release_model();
  gemm_.reset();
  if (done_) cudaEventDestroy(done_);
  if (stream_) cudaStreamDestroy(stream_);
}

void Context::activate() const { LGB_CUDA(cudaSetDevice(device_)); }

void Context::release_model() {
  act.reset();
  weights.reset();
  host.reset();
  for (auto& b : inputs) b = PinnedBuffer<uint16_t>();
  for (auto& b : perms) b = PinnedBuffer<int32_t>();
  dist = PinnedBuffer<double>();
  logits = PinnedBuffer<uint16_t>();
}

}  // namespace lgb::cuda
