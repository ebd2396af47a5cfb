#include "cpu/workers.h"

#include "core/parallel.h"

namespace lgb {
namespace cpu {

Workers::Workers(int threads) : size_(threads <= 0 ? hardware_threads() : threads) {
  threads_.reserve(size_ - 1);
  for (int w = 1; w < size_; ++w) threads_.emplace_back([this, w] { loop(w); });
}

Workers::~Workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Workers::chunk(int worker) {
  int64_t begin = n_ * worker / size_, end = n_ * (worker + 1) / size_;
  if (begin >= end) return;
  try {
    (*fn_)(begin, end, worker);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_) error_ = std::current_exception();
  }
}

void Workers::loop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    chunk(worker);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void Workers::run(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  if (size_ == 1 || n == 1) {
    fn(0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    n_ = n;
    fn_ = &fn;
    error_ = nullptr;
    pending_ = size_ - 1;
    ++generation_;
  }
  start_cv_.notify_all();
  chunk(0);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
    error = error_;
    fn_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace cpu
}  // namespace lgb
