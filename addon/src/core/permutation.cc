#include "core/permutation.h"

#include <utility>

#include "core/error.h"

namespace lgb {

uint64_t random_interval(Pcg64& g, uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  uint64_t v;
  if (max <= 0xffffffffULL) {
    while ((v = (g.next_uint32() & mask)) > max) {
    }
  } else {
    while ((v = (g.next_uint64() & mask)) > max) {
    }
  }
  return v;
}

namespace {
template <class I>
void shuffle_arange(Pcg64& g, int64_t n, I* out) {
  if (n < 0) throw Error(kErrInvalidArgument, "permutation: n must be >= 0");
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<I>(i);
  for (int64_t i = n - 1; i >= 1; --i) {
    const int64_t j = static_cast<int64_t>(random_interval(g, static_cast<uint64_t>(i)));
    std::swap(out[i], out[j]);
  }
}
}  // namespace

void permutation(Pcg64& g, int64_t n, int32_t* out) {
  if (n > INT32_MAX) throw Error(kErrInvalidArgument, "permutation: n must fit in int32");
  shuffle_arange(g, n, out);
}

void permutation(Pcg64& g, int64_t n, int64_t* out) { shuffle_arange(g, n, out); }

}  // namespace lgb
