// numpy's pairwise summation (numpy 2.4.6 loops_utils.h.src @TYPE@_pairwise_sum, docs/rng.md §8) for one contiguous
// row, in the element type's own arithmetic, and the unit vector y / np.linalg.norm(y) built on it. The exact
// summation order matters: a naive sum differs in the last bits. Shared by the host (target, CPU distance) and the
// CUDA distance kernel, so every backend sums in numpy's order.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define LGB_HOST_DEVICE __host__ __device__
#else
#define LGB_HOST_DEVICE
#endif

namespace lgb {

template <typename T>
LGB_HOST_DEVICE T pairwise_sum(const T* a, int64_t n) {
  if (n < 8) {
    T res = static_cast<T>(-0.0);
    for (int64_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    T r[8];
    for (int k = 0; k < 8; ++k) r[k] = a[k];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; ++k) r[k] += a[i + k];
    T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  int64_t m = n / 2;
  m -= m % 8;
  return pairwise_sum(a, m) + pairwise_sum(a + m, n - m);
}

// sqrt(0.0 + pairwise_sum(y*y)): np.linalg.norm(y, axis=1) for one contiguous float64 row.
double numpy_norm(const double* y, int64_t n);

}  // namespace lgb
