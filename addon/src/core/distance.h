// The distance of one nonce (docs/poc-compute.md §7), as the reference's numpy post-processing computes it:
// z = logits_last (float32) permuted (z'[i] = z[perm[i]]), divided by its float32 norm, then the float64
// Euclidean distance to the float64 unit target.
#pragma once
#include <cstdint>

namespace lgb {

double distance_to_target(const float* logits, const int32_t* perm, const double* target, int64_t vocab);

}  // namespace lgb
