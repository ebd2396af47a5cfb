// numpy Generator.permutation(n) for an integer n (docs/rng.md §6): arange(n) shuffled by Fisher-Yates from the top,
// with bounded draws by bit mask and rejection over BUFFERED 32-bit draws (not Lemire's method).
#pragma once
#include <cstdint>

#include "core/pcg64.h"

namespace lgb {

// Uniform in [0, max] (numpy random_interval). max == 0 draws nothing.
uint64_t random_interval(Pcg64& g, uint64_t max);

// out[0..n) = g.permutation(n). n <= 2^31 - 1 for the int32 form. g keeps its 32-bit buffer afterwards.
void permutation(Pcg64& g, int64_t n, int32_t* out);
void permutation(Pcg64& g, int64_t n, int64_t* out);

}  // namespace lgb
