// Per-op timing of the forward, for profiling only (addon/test/gpu/profile_forward.cu); the product passes no
// timer and the forward's math never sees one (forward.cu names its ops, op() times them when asked).
#pragma once
#include <cuda_runtime.h>

#include <string>
#include <utility>
#include <vector>

namespace lgb::cuda {

// CUDA events around each op of the forward, summed per op name after the stream is synchronised.
class OpTimer {
 public:
  OpTimer() = default;
  ~OpTimer();
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;
  void begin(const char* op, cudaStream_t stream);
  void end(cudaStream_t stream) noexcept;
  // Milliseconds per op name, in first-seen order; call after the stream finished. Clears the recorded spans.
  std::vector<std::pair<std::string, double>> collect();

 private:
  struct Span {
    std::string op;
    cudaEvent_t start, stop;
  };
  std::vector<Span> spans_;
  std::vector<cudaEvent_t> free_;
  cudaEvent_t take();
};

}  // namespace lgb::cuda
