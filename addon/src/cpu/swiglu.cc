// SwiGLU gate (ops.h): a = fp16(fp16(silu(a)) * b), silu(x) = x / (1 + exp(-x)) in float32 (F.silu on an fp16
// tensor computes in float32 and stores fp16).
//
// exp(-x) is evaluated in double precision and rounded once to float32, which is the correctly rounded expf for
// all but a vanishing fraction of inputs (the double result is within ~1e-16 relative of e^t, a float32 midpoint
// is hit only when e^t lies that close to it). The AVX2 path and the portable path run the same operations
// (the same fused multiply-adds, the same roundings), so they give identical bits:
//   t = clamp(-x, -150, 150); n = nearbyint(t * log2(e)); r = (t - n*ln2_hi) - n*ln2_lo (two fmas);
//   p = Taylor series of e^r to degree 12 (Horner, fma); e = float(p * 2^n)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {
namespace {

constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2Hi = 0.6931471805599453;      // double nearest ln 2
constexpr double kLn2Lo = 2.3190468138462996e-17;  // ln 2 - kLn2Hi
constexpr double kClamp = 150.0;                   // e^150 overflows float32, e^-150 underflows it
// 1/k! for k = 12 down to 0.
constexpr double kTaylor[13] = {2.08767569878680989792e-09, 2.50521083854417187751e-08, 2.75573192239858906526e-07,
                                2.75573192239858906526e-06, 2.48015873015873015873e-05, 1.98412698412698412698e-04,
                                1.38888888888888888889e-03, 8.33333333333333333333e-03, 4.16666666666666666667e-02,
                                1.66666666666666666667e-01, 5.00000000000000000000e-01, 1.0, 1.0};

float exp_scalar(float t_in) {
  double t = std::min(kClamp, std::max(-kClamp, static_cast<double>(t_in)));
  const double n = std::nearbyint(t * kLog2e);
  double r = std::fma(-n, kLn2Hi, t);
  r = std::fma(-n, kLn2Lo, r);
  double p = kTaylor[0];
  for (int i = 1; i < 13; ++i) p = std::fma(p, r, kTaylor[i]);
  const uint64_t bits = static_cast<uint64_t>(static_cast<int64_t>(n) + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, 8);
  return static_cast<float>(p * scale);
}

void silu_scalar(float* a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = a[i] / (1.0f + exp_scalar(-a[i]));
}

__attribute__((target("avx2,fma"))) __m128 exp4_avx2(__m128 t_in) {
  __m256d t = _mm256_cvtps_pd(t_in);
  t = _mm256_min_pd(_mm256_set1_pd(kClamp), _mm256_max_pd(_mm256_set1_pd(-kClamp), t));
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(t, _mm256_set1_pd(kLog2e)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(kLn2Hi), t);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(kLn2Lo), r);
  __m256d p = _mm256_set1_pd(kTaylor[0]);
  for (int i = 1; i < 13; ++i) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kTaylor[i]));
  const __m128i ni = _mm256_cvtpd_epi32(n);  // exact: n is integral and small
  const __m256i bits = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(ni), _mm256_set1_epi64x(1023)), 52);
  return _mm256_cvtpd_ps(_mm256_mul_pd(p, _mm256_castsi256_pd(bits)));
}

__attribute__((target("avx2,fma"))) void silu_avx2(float* a, int64_t n) {
  int64_t i = 0;
  const __m128 one = _mm_set1_ps(1.0f), sign = _mm_set1_ps(-0.0f);
  for (; i + 4 <= n; i += 4) {
    const __m128 x = _mm_loadu_ps(a + i);
    const __m128 e = exp4_avx2(_mm_xor_ps(x, sign));
    _mm_storeu_ps(a + i, _mm_div_ps(x, _mm_add_ps(one, e)));
  }
  silu_scalar(a + i, n - i);
}

}  // namespace

void silu_inplace(float* a, int64_t n, bool portable) {
  static const bool simd = have_avx2_fma_f16c();
  if (simd && !portable) {
    silu_avx2(a, n);
  } else {
    silu_scalar(a, n);
  }
}

void swiglu(Workers& workers, float* a, const float* b, int64_t n) {
  workers.run(n, [&](int64_t i0, int64_t i1, int) {
    constexpr int64_t kChunk = 1024;
    for (int64_t c0 = i0; c0 < i1; c0 += kChunk) {
      const int64_t c1 = std::min(i1, c0 + kChunk);
      silu_inplace(a + c0, c1 - c0);
      round_fp16_inplace(a + c0, c1 - c0);
      for (int64_t i = c0; i < c1; ++i) a[i] = a[i] * b[i];
      round_fp16_inplace(a + c0, c1 - c0);
    }
  });
}

}  // namespace cpu
}  // namespace lgb
