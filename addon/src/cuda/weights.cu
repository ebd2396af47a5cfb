// Builds a model's weights on the device from the host pool (see weights.h).
#include "cuda/weights.h"

#include "cuda/check.h"
#include "cuda/ops.h"

namespace lgb::cuda {
namespace {

constexpr int64_t kShifts = 8;  // 8 fp16 values = 16 bytes

// One copy's length: the pool rounded up to 128 values, so each copy starts 256-byte aligned.
int64_t padded(int64_t pool_size) { return (pool_size + 127) / 128 * 128; }

}  // namespace

uint64_t DeviceWeights::bytes_needed(const HostModel& m) {
  uint64_t bytes = static_cast<uint64_t>(kShifts * padded(m.pool_size)) * sizeof(__half);
  for (const auto& t : m.tiled) bytes += t.size() * sizeof(__half);
  bytes += (m.rope_cos.size() + m.rope_sin.size()) * sizeof(__half) + m.target.size() * sizeof(double);
  return bytes;
}

DeviceWeights::DeviceWeights(const HostModel& m, cudaStream_t stream) {
  const int64_t n = m.pool_size, stride = padded(n);
  shifted_ = DeviceBuffer<__half>(static_cast<size_t>(kShifts * stride));
  // Copy 0 is the pool itself (synchronous from pageable memory; the driver stages it).
  LGB_CUDA(cudaMemcpyAsync(shifted_.get(), m.pool.data(), n * sizeof(__half), cudaMemcpyHostToDevice, stream));
  for (int64_t s = 1; s < kShifts; ++s) {
    LGB_CUDA(launch_shifted_copy(shifted_.get(), n, s, shifted_.get() + s * stride, stream));
  }

  const auto& specs = m.layout.specs;
  tiled_.resize(specs.size());
  ptr_.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const ParamPlacement& p = m.placement[i];
    if (p.sliced) {
      const int64_t s = p.start % kShifts;
      ptr_[i] = shifted_.get() + s * stride + (p.start - s);
    } else {
      tiled_[i] = DeviceBuffer<__half>(static_cast<size_t>(specs[i].numel));
      LGB_CUDA(cudaMemcpyAsync(tiled_[i].get(), m.tiled[i].data(), specs[i].numel * sizeof(__half),
                               cudaMemcpyHostToDevice, stream));
      ptr_[i] = tiled_[i].get();
    }
  }

  rope_cos_ = DeviceBuffer<__half>(m.rope_cos.size());
  rope_sin_ = DeviceBuffer<__half>(m.rope_sin.size());
  target_ = DeviceBuffer<double>(m.target.size());
  LGB_CUDA(cudaMemcpyAsync(rope_cos_.get(), m.rope_cos.data(), rope_cos_.bytes(), cudaMemcpyHostToDevice, stream));
  LGB_CUDA(cudaMemcpyAsync(rope_sin_.get(), m.rope_sin.data(), rope_sin_.bytes(), cudaMemcpyHostToDevice, stream));
  LGB_CUDA(cudaMemcpyAsync(target_.get(), m.target.data(), target_.bytes(), cudaMemcpyHostToDevice, stream));
  LGB_CUDA(cudaStreamSynchronize(stream));
  bytes_ = bytes_needed(m);
}

}  // namespace lgb::cuda
