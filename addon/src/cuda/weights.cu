// Builds a model's weights on the device from the host pool (see weights.h).
#include "cuda/weights.h"

#include "cuda/check.h"
#include "cuda/grid.cuh"

namespace lgb::cuda {
namespace {

// out[j] = src[j + shift] for j + shift < n, else 0, for j < n: one shifted copy of the pool.
__global__ void shifted_copy_kernel(const __half* __restrict__ src, int64_t n, int64_t shift,
                                    __half* __restrict__ out) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[j] = j + shift < n ? src[j + shift] : __ushort_as_half(0);
  }
}

cudaError_t launch_shifted_copy(const __half* src, int64_t n, int64_t shift, __half* out, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  shifted_copy_kernel<<<grid_for(n, 256), 256, 0, stream>>>(src, n, shift, out);
  return cudaGetLastError();
}

constexpr int64_t kShifts = 8;  // 8 fp16 values = 16 bytes

// Slots start 256-byte aligned: 128 fp16 values.
int64_t padded(int64_t n) { return (n + 127) / 128 * 128; }

uint64_t pool_bytes(const HostModel& m) { return static_cast<uint64_t>(padded(m.pool_size)) * sizeof(__half); }

// Values the weights of `m` take in `mode`: the shifted copies, or one slot per sliced parameter the forward reads.
int64_t store_values(const HostModel& m, WeightMode mode) {
  if (mode == WeightMode::kShiftedCopies) return kShifts * padded(m.pool_size);
  if (mode == WeightMode::kPool) return padded(m.pool_size);
  int64_t n = 0;
  for (size_t i = 0; i < m.layout.specs.size(); ++i) {
    if (i != m.layout.tok_embeddings && m.placement[i].sliced) n += padded(m.layout.specs[i].numel);
  }
  return n;
}

}  // namespace

const char* weight_mode_name(WeightMode mode) {
  switch (mode) {
    case WeightMode::kShiftedCopies: return "shifted_copies";
    case WeightMode::kMaterialised: return "materialised";
    case WeightMode::kPool: return "pool";
  }
  return "?";
}

uint64_t DeviceWeights::bytes_needed(const HostModel& m, WeightMode mode) {
  uint64_t bytes = static_cast<uint64_t>(store_values(m, mode)) * sizeof(__half);
  for (size_t i = 0; i < m.tiled.size(); ++i) {
    if (i != m.layout.tok_embeddings) bytes += m.tiled[i].size() * sizeof(__half);
  }
  bytes += (m.rope_cos.size() + m.rope_sin.size()) * sizeof(__half) + m.target.size() * sizeof(double);
  return bytes;
}

uint64_t DeviceWeights::bytes_while_loading(const HostModel& m, WeightMode mode) {
  return bytes_needed(m, mode) + (mode == WeightMode::kMaterialised ? pool_bytes(m) : 0);
}

DeviceWeights::DeviceWeights(const HostModel& m, WeightMode mode, cudaStream_t stream) : mode_(mode) {
  const int64_t n = m.pool_size, stride = padded(n);
  const auto& specs = m.layout.specs;
  ptr_.assign(specs.size(), nullptr);
  tiled_.resize(specs.size());
  store_ = DeviceBuffer<__half>(static_cast<size_t>(store_values(m, mode)));

  if (mode == WeightMode::kShiftedCopies || mode == WeightMode::kPool) {
    // Copy 0 is the pool itself (from pageable memory; the driver stages it), the others are built from it.
    LGB_CUDA(cudaMemcpyAsync(store_.get(), m.pool.data(), n * sizeof(__half), cudaMemcpyHostToDevice, stream));
    const int64_t shifts = mode == WeightMode::kPool ? 1 : kShifts;
    for (int64_t s = 1; s < shifts; ++s) {
      LGB_CUDA(launch_shifted_copy(store_.get(), n, s, store_.get() + s * stride, stream));
    }
    for (size_t i = 0; i < specs.size(); ++i) {
      const ParamPlacement& p = m.placement[i];
      if (!p.sliced) continue;
      const int64_t s = p.start % shifts;
      ptr_[i] = store_.get() + s * stride + (p.start - s);
    }
  } else {
    DeviceBuffer<__half> pool(static_cast<size_t>(n));
    LGB_CUDA(cudaMemcpyAsync(pool.get(), m.pool.data(), n * sizeof(__half), cudaMemcpyHostToDevice, stream));
    int64_t offset = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
      const ParamPlacement& p = m.placement[i];
      if (i == m.layout.tok_embeddings || !p.sliced) continue;
      __half* slot = store_.get() + offset;
      LGB_CUDA(cudaMemcpyAsync(slot, pool.get() + p.start, specs[i].numel * sizeof(__half),
                               cudaMemcpyDeviceToDevice, stream));
      ptr_[i] = slot;
      offset += padded(specs[i].numel);
    }
    LGB_CUDA(cudaStreamSynchronize(stream));  // before the pool is freed
  }

  for (size_t i = 0; i < specs.size(); ++i) {
    if (m.placement[i].sliced || i == m.layout.tok_embeddings) continue;
    tiled_[i] = DeviceBuffer<__half>(static_cast<size_t>(specs[i].numel));
    LGB_CUDA(cudaMemcpyAsync(tiled_[i].get(), m.tiled[i].data(), specs[i].numel * sizeof(__half),
                             cudaMemcpyHostToDevice, stream));
    ptr_[i] = tiled_[i].get();
  }

  rope_cos_ = DeviceBuffer<__half>(m.rope_cos.size());
  rope_sin_ = DeviceBuffer<__half>(m.rope_sin.size());
  target_ = DeviceBuffer<double>(m.target.size());
  LGB_CUDA(cudaMemcpyAsync(rope_cos_.get(), m.rope_cos.data(), rope_cos_.bytes(), cudaMemcpyHostToDevice, stream));
  LGB_CUDA(cudaMemcpyAsync(rope_sin_.get(), m.rope_sin.data(), rope_sin_.bytes(), cudaMemcpyHostToDevice, stream));
  LGB_CUDA(cudaMemcpyAsync(target_.get(), m.target.data(), target_.bytes(), cudaMemcpyHostToDevice, stream));
  LGB_CUDA(cudaStreamSynchronize(stream));
  bytes_ = bytes_needed(m, mode);
}

}  // namespace lgb::cuda
