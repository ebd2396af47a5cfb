// Splitting work over CPU threads. No global pool: the caller says how many threads (0 = all cores).
#pragma once
#include <cstdint>
#include <functional>

namespace lgb {

// Number of hardware threads (at least 1).
int hardware_threads();

// Calls fn(begin, end) on up to `threads` threads over contiguous chunks covering [0, n).
// Exceptions thrown by fn are rethrown on the calling thread (the first one wins).
void parallel_for(int64_t n, int threads, const std::function<void(int64_t begin, int64_t end)>& fn);

// Calls fn(i) for every i in [0, n) on up to `threads` threads, each taking the next index when it is free
// (uneven items, or threads that lose their core for a while, still finish together). Exceptions as parallel_for.
void parallel_for_each(int64_t n, int threads, const std::function<void(int64_t i)>& fn);

}  // namespace lgb
