// The distance of one nonce (distance.h), step for step as the reference's numpy post-processing:
//
//   z = logits[perm]                              float32 (fancy indexing of the float32 logits)
//   z = z / np.linalg.norm(z, axis=1)             float32: sqrt(0 + pairwise_sum(z*z)) in float32, IEEE division
//   d = np.linalg.norm(z - target, axis=1)        float64: z - target promotes to float64; sqrt(0 + pairwise(d*d))
//
// np.add.reduce along a contiguous row runs numpy's pairwise summation (docs/rng.md §8) in the array's own dtype: for
// float32 the eight partial sums and their combination are float32 operations. This file is compiled with
// -ffp-contract=off, so no product is fused into a sum.
#include "core/distance.h"

#include "core/pairwise.h"

#include <cmath>
#include <vector>

namespace lgb {

double distance_to_target(const float* logits, const int32_t* perm, const double* target, int64_t vocab) {
  std::vector<float> z(vocab), sq(vocab);
  for (int64_t i = 0; i < vocab; ++i) {
    z[i] = logits[perm[i]];
    sq[i] = z[i] * z[i];
  }
  const float norm = std::sqrt(0.0f + pairwise_sum(sq.data(), vocab));
  std::vector<double> d2(vocab);
  for (int64_t i = 0; i < vocab; ++i) {
    const double d = static_cast<double>(z[i] / norm) - target[i];
    d2[i] = d * d;
  }
  return std::sqrt(0.0 + pairwise_sum(d2.data(), vocab));
}

}  // namespace lgb
