// SwiGLU gate (ops.h): fp16(fp16(silu(a)) * b), silu(x) = x / (1 + exp(-x)) in float32 (F.silu on an fp16 tensor
// computes in float32 and stores fp16). exp is exp.h's; the AVX2 and portable paths give the same bits.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "cpu/exp.h"
#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {
namespace {

// a = a / (1 + e) with e = exp(-a) already in e (float32 operations, identical in SIMD and scalar).
void silu_finish_scalar(float* a, const float* e, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = a[i] / (1.0f + e[i]);
}

__attribute__((target("avx2"))) void silu_finish_avx2(float* a, const float* e, int64_t n) {
  int64_t i = 0;
  const __m256 one = _mm256_set1_ps(1.0f);
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(a + i, _mm256_div_ps(_mm256_loadu_ps(a + i), _mm256_add_ps(one, _mm256_loadu_ps(e + i))));
  silu_finish_scalar(a + i, e + i, n - i);
}

}  // namespace

void silu_inplace(float* a, int64_t n, bool portable) {
  static const bool simd = have_avx2_fma_f16c();
  constexpr int64_t kChunk = 256;
  float e[kChunk];
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t c = std::min(kChunk, n - c0);
    for (int64_t i = 0; i < c; ++i) e[i] = -a[c0 + i];
    exp_inplace(e, c, portable);
    if (simd && !portable) {
      silu_finish_avx2(a + c0, e, c);
    } else {
      silu_finish_scalar(a + c0, e, c);
    }
  }
}

void swiglu_row(float* a, float* b, float* out, int64_t n) {
  round_fp16_copy(a, out, n);   // x·W1ᵀ stored fp16
  silu_inplace(out, n);
  round_fp16_inplace(out, n);   // F.silu output stored fp16
  round_fp16_inplace(b, n);     // x·W3ᵀ stored fp16
  for (int64_t i = 0; i < n; ++i) out[i] = out[i] * b[i];
  round_fp16_inplace(out, n);   // the product stored fp16
}

}  // namespace cpu
}  // namespace lgb
