#include "core/pairwise.h"

#include <cmath>
#include <vector>

namespace lgb {

double numpy_norm(const double* y, int64_t n) {
  std::vector<double> sq(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) sq[i] = y[i] * y[i];
  return std::sqrt(0.0 + pairwise_sum(sq.data(), n));
}

}  // namespace lgb
