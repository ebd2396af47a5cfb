// exp for float32 arguments, as the CPU forward's softmax and SiLU use it: e^x evaluated in double precision and
// rounded once to float32, which is the correctly rounded expf for all but a vanishing fraction of inputs (the
// double result is within ~1e-16 relative of e^x; only a value that close to a float32 midpoint could round
// differently). Our own code rather than libm, so every machine and every path gives the same bits:
//   t = clamp(x, -150, 150); n = nearbyint(t * log2(e)); r = (t - n*ln2_hi) - n*ln2_lo (two fmas);
//   p = Taylor series of e^r to degree 12 (Horner, fma); e = float(p * 2^n)
// The AVX2 path (4 doubles per vector) runs exactly these operations.
#pragma once
#include <cstdint>

namespace lgb {
namespace cpu {

float exp_f32(float x);
// x[i] = exp_f32(x[i]); portable = true forces the non-SIMD path (tests compare them).
void exp_inplace(float* x, int64_t n, bool portable = false);

}  // namespace cpu
}  // namespace lgb
