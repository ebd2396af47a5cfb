#include "core/pairwise.h"

#include <cmath>
#include <vector>

namespace lgb {

double pairwise_sum(const double* a, int64_t n) {
  if (n < 8) {
    double res = -0.0;
    for (int64_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = a[k];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; ++k) r[k] += a[i + k];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  int64_t m = n / 2;
  m -= m % 8;
  return pairwise_sum(a, m) + pairwise_sum(a + m, n - m);
}

double numpy_norm(const double* y, int64_t n) {
  std::vector<double> sq(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) sq[i] = y[i] * y[i];
  return std::sqrt(0.0 + pairwise_sum(sq.data(), n));
}

}  // namespace lgb
