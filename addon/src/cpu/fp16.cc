// Array conversions of fp16.h: F16C when available, the exact scalar routines otherwise.
#include "cpu/fp16.h"

#include <immintrin.h>

namespace lgb {
namespace cpu {

bool have_avx2_fma_f16c() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

namespace {

__attribute__((target("avx2,f16c"))) inline __m256 round_fp16_vec(__m256 v) {
  return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

__attribute__((target("avx2,f16c"))) void round_fp16_copy_f16c(const float* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, round_fp16_vec(_mm256_loadu_ps(src + i)));
  if (i < n) {  // tail: through a zero-padded vector
    alignas(32) float t[8] = {};
    for (int64_t k = 0; i + k < n; ++k) t[k] = src[i + k];
    _mm256_store_ps(t, round_fp16_vec(_mm256_load_ps(t)));
    for (int64_t k = 0; i + k < n; ++k) dst[i + k] = t[k];
  }
}

__attribute__((target("avx2,f16c"))) void fp16_to_float_f16c(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) dst[i] = half_to_float(src[i]);
}

__attribute__((target("avx2,f16c"))) void float_to_fp16_f16c(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  for (; i < n; ++i) dst[i] = float_to_half(src[i]);
}

}  // namespace

void round_fp16_inplace(float* x, int64_t n) { round_fp16_copy(x, x, n); }

void round_fp16_copy(const float* src, float* dst, int64_t n) {
  static const bool simd = have_avx2_fma_f16c();
  if (simd) return round_fp16_copy_f16c(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = round_fp16(src[i]);
}

void fp16_to_float_array(const uint16_t* src, float* dst, int64_t n) {
  static const bool simd = have_avx2_fma_f16c();
  if (simd) return fp16_to_float_f16c(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(src[i]);
}

void float_to_fp16_array(const float* src, uint16_t* dst, int64_t n) {
  static const bool simd = have_avx2_fma_f16c();
  if (simd) return float_to_fp16_f16c(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = float_to_half(src[i]);
}

}  // namespace cpu
}  // namespace lgb
