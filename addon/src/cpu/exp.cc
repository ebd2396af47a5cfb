// exp in float32 for the CPU forward (exp.h): evaluated in double precision and rounded once, identical bits on
// the AVX2 and the portable path.
#include "cpu/exp.h"

#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "cpu/fp16.h"

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

float exp_one(float t_in) {
  if (std::isnan(t_in)) return t_in;
  // The clamp as vmaxpd/vminpd order it.
  double t = static_cast<double>(t_in);
  t = -kClamp > t ? -kClamp : t;
  t = kClamp < t ? kClamp : t;
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

__attribute__((target("avx2,fma"))) void exp_avx2(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, exp4_avx2(_mm_loadu_ps(x + i)));
  for (; i < n; ++i) x[i] = exp_one(x[i]);
}

}  // namespace

float exp_f32(float x) { return exp_one(x); }

void exp_inplace(float* x, int64_t n, bool portable) {
  static const bool simd = have_avx2_fma_f16c();
  if (simd && !portable) return exp_avx2(x, n);
  for (int64_t i = 0; i < n; ++i) x[i] = exp_one(x[i]);
}

}  // namespace cpu
}  // namespace lgb
