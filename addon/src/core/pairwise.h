// numpy's float64 pairwise summation (numpy 2.4.6 loops_utils.h.src, rng.md §8) and the unit vector
// y / np.linalg.norm(y) built on it. The exact summation order matters: a naive sum differs in the last bits.
#pragma once
#include <cstdint>

namespace lgb {

double pairwise_sum(const double* a, int64_t n);

// sqrt(0.0 + pairwise_sum(y*y)): np.linalg.norm(y, axis=1) for one contiguous row.
double numpy_norm(const double* y, int64_t n);

}  // namespace lgb
