// A small fixed pool of compute threads owned by one CPU device (no process-wide pool). run() splits [0, n) into
// contiguous chunks, one per thread, and returns when all are done. The split never changes a result: every
// parallel loop in the CPU forward writes disjoint outputs, each computed in a fixed order.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lgb {
namespace cpu {

class Workers {
 public:
  // threads = 0: one per hardware thread.
  explicit Workers(int threads);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  int size() const { return size_; }
  // fn(begin, end, worker) on every worker with a non-empty chunk; worker in [0, size()). Rethrows the first
  // exception thrown by fn. Not reentrant: call from one thread at a time, never from inside fn.
  void run(int64_t n, const std::function<void(int64_t begin, int64_t end, int worker)>& fn);

 private:
  void loop(int worker);
  void chunk(int worker);

  int size_ = 1;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  int64_t n_ = 0;
  const std::function<void(int64_t, int64_t, int)>* fn_ = nullptr;
  std::exception_ptr error_;
};

}  // namespace cpu
}  // namespace lgb
