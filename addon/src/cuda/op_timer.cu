#include "cuda/op_timer.h"

#include "cuda/check.h"

namespace lgb::cuda {

OpTimer::~OpTimer() {
  for (auto& s : spans_) {
    cudaEventDestroy(s.start);
    cudaEventDestroy(s.stop);
  }
  for (auto e : free_) cudaEventDestroy(e);
}

cudaEvent_t OpTimer::take() {
  if (!free_.empty()) {
    cudaEvent_t e = free_.back();
    free_.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  LGB_CUDA(cudaEventCreate(&e));
  return e;
}

void OpTimer::begin(const char* op, cudaStream_t stream) {
  cudaEvent_t start = take(), stop = take();
  spans_.push_back({op, start, stop});
  LGB_CUDA(cudaEventRecord(start, stream));
}

// Runs in destructors: a failed record surfaces in collect() (elapsed time of an unrecorded event).
void OpTimer::end(cudaStream_t stream) noexcept { cudaEventRecord(spans_.back().stop, stream); }

std::vector<std::pair<std::string, double>> OpTimer::collect() {
  std::vector<std::pair<std::string, double>> totals;
  for (auto& s : spans_) {
    float ms = 0;
    LGB_CUDA(cudaEventElapsedTime(&ms, s.start, s.stop));
    auto it = totals.begin();
    while (it != totals.end() && it->first != s.op) ++it;
    if (it == totals.end()) totals.emplace_back(s.op, ms);
    else it->second += ms;
    free_.push_back(s.start);
    free_.push_back(s.stop);
  }
  spans_.clear();
  return totals;
}

}  // namespace lgb::cuda
