#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace lgb {

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void parallel_for(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int t = threads <= 0 ? hardware_threads() : threads;
  t = static_cast<int>(std::min<int64_t>(t, n));
  if (t == 1) {
    fn(0, n);
    return;
  }
  std::exception_ptr first;
  std::mutex mu;
  std::vector<std::thread> pool;
  pool.reserve(t - 1);
  auto chunk = [&](int i) {
    int64_t begin = n * i / t, end = n * (i + 1) / t;
    try {
      fn(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!first) first = std::current_exception();
    }
  };
  for (int i = 1; i < t; ++i) pool.emplace_back(chunk, i);
  chunk(0);
  for (auto& th : pool) th.join();
  if (first) std::rethrow_exception(first);
}

void parallel_for_each(int64_t n, int threads, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  int t = threads <= 0 ? hardware_threads() : threads;
  t = static_cast<int>(std::min<int64_t>(t, n));
  std::atomic<int64_t> next{0};
  parallel_for(t, t, [&](int64_t, int64_t) {
    for (int64_t i; (i = next.fetch_add(1)) < n;) fn(i);
  });
}

}  // namespace lgb
