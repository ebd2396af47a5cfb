// GEMM y = round_fp16(x · Wᵀ) (see gemm.h for the contract and summation order). BLIS-style: x is packed into
// 6-row panels once; each worker takes groups of 16-column panels of W in turn, converts (F16C) and transposes a
// kc x 16 block of W at a time into float32, and runs the 6x16 register kernel over every row panel, accumulating
// in a per-worker block that stays in cache until the last k block, where it is rounded to fp16 and stored.
#include "cpu/gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {
namespace {

constexpr int64_t kMR = 6;    // rows per register tile
constexpr int64_t kNR = 16;   // columns per register tile (two 8-float vectors)
// k block: one W panel block (kKC x 16 floats = 16 KiB) stays in L1. Part of the summation order (gemm.h): each
// block's products are summed from zero, then added to the running sum, as BLAS kernels do.
constexpr int64_t kKC = kGemmKBlock;
constexpr int64_t kNG = 4;    // W panels a worker converts per k block and reuses across all row panels

// ---- kernels -------------------------------------------------------------------------------------------------

// c (6, 16) [ldc] = (accumulate ? c + : ) a (kc, 6) · b (kc, 16), the product one fma chain per element from 0,
// k ascending, then added to c with one float add.
void kernel_scalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  float acc[kMR][kNR] = {};
  for (int64_t k = 0; k < kc; ++k, a += kMR, b += kNR)
    for (int64_t i = 0; i < kMR; ++i)
      for (int64_t j = 0; j < kNR; ++j) acc[i][j] = std::fma(a[i], b[j], acc[i][j]);
  for (int64_t i = 0; i < kMR; ++i)
    for (int64_t j = 0; j < kNR; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

__attribute__((target("avx2,fma"))) void kernel_avx2(int64_t kc, const float* a, const float* b, float* c,
                                                      int64_t ldc, bool accumulate) {
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += kMR, b += kNR) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(x, b0, c00), c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10), c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20), c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30), c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40), c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50), c51 = _mm256_fmadd_ps(x, b1, c51);
  }
  if (accumulate) {
    c00 = _mm256_add_ps(_mm256_loadu_ps(c + 0 * ldc), c00), c01 = _mm256_add_ps(_mm256_loadu_ps(c + 0 * ldc + 8), c01);
    c10 = _mm256_add_ps(_mm256_loadu_ps(c + 1 * ldc), c10), c11 = _mm256_add_ps(_mm256_loadu_ps(c + 1 * ldc + 8), c11);
    c20 = _mm256_add_ps(_mm256_loadu_ps(c + 2 * ldc), c20), c21 = _mm256_add_ps(_mm256_loadu_ps(c + 2 * ldc + 8), c21);
    c30 = _mm256_add_ps(_mm256_loadu_ps(c + 3 * ldc), c30), c31 = _mm256_add_ps(_mm256_loadu_ps(c + 3 * ldc + 8), c31);
    c40 = _mm256_add_ps(_mm256_loadu_ps(c + 4 * ldc), c40), c41 = _mm256_add_ps(_mm256_loadu_ps(c + 4 * ldc + 8), c41);
    c50 = _mm256_add_ps(_mm256_loadu_ps(c + 5 * ldc), c50), c51 = _mm256_add_ps(_mm256_loadu_ps(c + 5 * ldc + 8), c51);
  }
  _mm256_storeu_ps(c + 0 * ldc, c00), _mm256_storeu_ps(c + 0 * ldc + 8, c01);
  _mm256_storeu_ps(c + 1 * ldc, c10), _mm256_storeu_ps(c + 1 * ldc + 8, c11);
  _mm256_storeu_ps(c + 2 * ldc, c20), _mm256_storeu_ps(c + 2 * ldc + 8, c21);
  _mm256_storeu_ps(c + 3 * ldc, c30), _mm256_storeu_ps(c + 3 * ldc + 8, c31);
  _mm256_storeu_ps(c + 4 * ldc, c40), _mm256_storeu_ps(c + 4 * ldc + 8, c41);
  _mm256_storeu_ps(c + 5 * ldc, c50), _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}

// ---- packing W -----------------------------------------------------------------------------------------------

// b (kc, 16) = float(W[n0 + j][k0 + k]) for j < 16 (zero for n0 + j >= n).
void pack_w_scalar(const uint16_t* w, int64_t n, int64_t K, int64_t n0, int64_t k0, int64_t kc, float* b) {
  for (int64_t j = 0; j < kNR; ++j) {
    const uint16_t* row = w + (n0 + j) * K + k0;
    bool live = n0 + j < n;
    for (int64_t k = 0; k < kc; ++k) b[k * kNR + j] = live ? half_to_float(row[k]) : 0.0f;
  }
}

// In-register 8x8 transpose: r[i] holds row i; afterwards r[k] holds column k.
__attribute__((target("avx2"))) inline void transpose8(__m256 r[8]) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20), r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20), r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31), r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31), r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

__attribute__((target("avx2,f16c"))) void pack_w_f16c(const uint16_t* w, int64_t n, int64_t K, int64_t n0,
                                                       int64_t k0, int64_t kc, float* b) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    for (int64_t half = 0; half < 2; ++half) {
      __m256 r[8];
      for (int64_t j = 0; j < 8; ++j) {
        int64_t row = n0 + half * 8 + j;
        r[j] = row < n ? _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + row * K + k0 + k)))
                       : _mm256_setzero_ps();
      }
      transpose8(r);
      for (int64_t kk = 0; kk < 8; ++kk) _mm256_store_ps(b + (k + kk) * kNR + half * 8, r[kk]);
    }
  }
  for (; k < kc; ++k)
    for (int64_t j = 0; j < kNR; ++j)
      b[k * kNR + j] = n0 + j < n ? half_to_float(w[(n0 + j) * K + k0 + k]) : 0.0f;
}

struct Kernels {
  void (*kernel)(int64_t, const float*, const float*, float*, int64_t, bool);
  void (*pack_w)(const uint16_t*, int64_t, int64_t, int64_t, int64_t, int64_t, float*);
};

Kernels select_kernels() {
  if (have_avx2_fma_f16c()) return {kernel_avx2, pack_w_f16c};
  return {kernel_scalar, pack_w_scalar};
}

}  // namespace

uint64_t GemmScratch::bytes() const {
  uint64_t total = 0;
  for (const auto& b : b_panels) total += b.bytes();
  for (const auto& b : acc) total += b.bytes();
  return total;
}

void pack_rows(Workers& workers, const float* x, int64_t ldx, int64_t rows, int64_t k, PackedRows* out) {
  out->rows = rows;
  out->k = k;
  out->panels = (rows + kMR - 1) / kMR;
  float* dst = out->data.reserve(out->panels * k * kMR);
  const int64_t panels = out->panels;
  workers.run(panels, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      for (int64_t k0 = 0; k0 < k; k0 += kKC) {
        const int64_t kc = std::min(kKC, k - k0);
        float* panel = dst + k0 * kMR * panels + p * kc * kMR;
        for (int64_t i = 0; i < kMR; ++i) {
          const int64_t r = p * kMR + i;
          if (r < rows) {
            const float* src = x + r * ldx + k0;
            for (int64_t kk = 0; kk < kc; ++kk) panel[kk * kMR + i] = src[kk];
          } else {
            for (int64_t kk = 0; kk < kc; ++kk) panel[kk * kMR + i] = 0.0f;
          }
        }
      }
    }
  });
}

namespace {

// The shared driver: y-blocks of x · W_tᵀ for nw weights of the same shape (n, K), one accumulator block per weight;
// store(acc[], ldc, c0, c1) turns a finished column group [c0, c1) of every row into output.
template <typename Store>
void run_gemm(Workers& workers, GemmScratch& scratch, const PackedRows& x, const uint16_t* const* w, int nw, int64_t n,
              const Kernels& kernels, const Store& store) {
  const int64_t K = x.k, panels_m = x.panels;
  const int64_t panels_n = (n + kNR - 1) / kNR;
  const int64_t ldc = kNG * kNR, acc_floats = panels_m * kMR * ldc, panel_floats = kKC * kNR;
  if (static_cast<int>(scratch.b_panels.size()) < workers.size()) {
    scratch.b_panels.resize(workers.size());
    scratch.acc.resize(workers.size());
  }
  // Reserve on this thread so an allocation failure surfaces here.
  for (int wi = 0; wi < workers.size(); ++wi) {
    scratch.b_panels[wi].reserve(nw * kNG * panel_floats);
    scratch.acc[wi].reserve(nw * acc_floats);
  }
  // Groups of up to kNG column panels, handed out one at a time (a worker slowed by another process on the
  // machine takes fewer); at least ~4 groups per worker when there are enough panels.
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(kNG, panels_n / (4 * workers.size())));
  const int64_t groups = (panels_n + group - 1) / group;
  std::atomic<int64_t> next{0};
  workers.run(workers.size(), [&](int64_t, int64_t, int wi) {
    float* bp = scratch.b_panels[wi].data();
    float* acc[2] = {scratch.acc[wi].data(), scratch.acc[wi].data() + acc_floats};
    for (int64_t gi = next++; gi < groups; gi = next++) {
      const int64_t g = gi * group, ng = std::min(group, panels_n - g);
      for (int64_t k0 = 0; k0 < K; k0 += kKC) {
        const int64_t kc = std::min(kKC, K - k0);
        for (int t = 0; t < nw; ++t)
          for (int64_t j = 0; j < ng; ++j)
            kernels.pack_w(w[t], n, K, (g + j) * kNR, k0, kc, bp + (t * kNG + j) * panel_floats);
        for (int64_t i = 0; i < panels_m; ++i) {
          const float* a = x.data.data() + k0 * kMR * panels_m + i * kc * kMR;
          for (int t = 0; t < nw; ++t)
            for (int64_t j = 0; j < ng; ++j)
              kernels.kernel(kc, a, bp + (t * kNG + j) * panel_floats, acc[t] + i * kMR * ldc + j * kNR, ldc, k0 > 0);
        }
      }
      store(acc, ldc, g * kNR, std::min(n, (g + ng) * kNR));
    }
  });
}

Kernels kernels_for(GemmKernel which) {
  static const Kernels best = select_kernels();
  return which == GemmKernel::kBest ? best : Kernels{kernel_scalar, pack_w_scalar};
}

}  // namespace

void gemm_fp16w(Workers& workers, GemmScratch& scratch, const PackedRows& x, const uint16_t* w, int64_t n,
                float* y, int64_t ldy, GemmKernel which) {
  run_gemm(workers, scratch, x, &w, 1, n, kernels_for(which),
           [&](float* const* acc, int64_t ldc, int64_t c0, int64_t c1) {
             for (int64_t m = 0; m < x.rows; ++m) round_fp16_copy(acc[0] + m * ldc, y + m * ldy + c0, c1 - c0);
           });
}

void gemm_fp16w_swiglu(Workers& workers, GemmScratch& scratch, const PackedRows& x, const uint16_t* w1,
                       const uint16_t* w3, int64_t n, float* y, int64_t ldy, GemmKernel which) {
  const uint16_t* w[2] = {w1, w3};
  run_gemm(workers, scratch, x, w, 2, n, kernels_for(which),
           [&](float* const* acc, int64_t ldc, int64_t c0, int64_t c1) {
             for (int64_t m = 0; m < x.rows; ++m)
               swiglu_row(acc[0] + m * ldc, acc[1] + m * ldc, y + m * ldy + c0, c1 - c0);
           });
}

}  // namespace cpu
}  // namespace lgb
