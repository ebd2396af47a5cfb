// RMSNorm (ops.h): statistics in float32, normalised value stored as fp16, then the fp16 product with the weight.
//
// The mean of squares is summed in the order of PyTorch's CPU sum kernel (the reference's fp16-emulated run was a
// torch CPU run; aten/src/ATen/native/cpu/SumKernel.cpp, cascade_sum -> vectorized_inner_sum with 8-float AVX2
// vectors): each lane of the row's 8-float vectors is summed by row_sum (4 interleaved partial sums, each a
// multi-level cascade with 16-step levels, the leftover vectors added to the first partial, then the partials
// added in order), then the scalar tail and the 8 lanes are added to 0 in order. Matching it matters: a plain
// sequential sum moved one golden nonce's distance by 1.4e-5 through a single flipped fp16 rounding.
#include <algorithm>
#include <cmath>

#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {
namespace {

constexpr int64_t kLanes = 8, kIlp = 4, kLevels = 4, kLevelPower = 4;

// The cascade of one lane over vectors [0, n_ilp*4): v(i) is that lane's value in vector i.
template <typename V>
void multi_row_sum(const V& v, int64_t n_ilp, float out[kIlp]) {
  constexpr int64_t step = int64_t{1} << kLevelPower, mask = step - 1;
  float acc[kLevels][kIlp] = {};
  int64_t i = 0;
  while (i + step <= n_ilp) {
    for (int64_t j = 0; j < step; ++j, ++i)
      for (int64_t k = 0; k < kIlp; ++k) acc[0][k] += v(i * kIlp + k);
    for (int64_t j = 1; j < kLevels; ++j) {
      for (int64_t k = 0; k < kIlp; ++k) {
        acc[j][k] += acc[j - 1][k];
        acc[j - 1][k] = 0.0f;
      }
      if ((i & (mask << (j * kLevelPower))) != 0) break;
    }
  }
  for (; i < n_ilp; ++i)
    for (int64_t k = 0; k < kIlp; ++k) acc[0][k] += v(i * kIlp + k);
  for (int64_t j = 1; j < kLevels; ++j)
    for (int64_t k = 0; k < kIlp; ++k) acc[0][k] += acc[j][k];
  for (int64_t k = 0; k < kIlp; ++k) out[k] = acc[0][k];
}

// torch's row_sum: 4 interleaved partial sums (each a cascade), the leftovers into the first, then combined.
template <typename V>
float row_sum(const V& v, int64_t n) {
  float partial[kIlp];
  const int64_t n_ilp = n / kIlp;
  multi_row_sum(v, n_ilp, partial);
  for (int64_t i = n_ilp * kIlp; i < n; ++i) partial[0] += v(i);
  for (int64_t k = 1; k < kIlp; ++k) partial[0] += partial[k];
  return partial[0];
}

// sum_i x[i]*x[i] (each square rounded to float32) in torch's order: per lane of the 8-float vectors when the row
// has at least one vector (vectorized_inner_sum), else the scalar row_sum (scalar_inner_sum).
float torch_sum_of_squares(const float* x, int64_t n) {
  auto square = [x](int64_t i) { return x[i] * x[i]; };
  const int64_t n_vec = n / kLanes;
  if (n_vec == 0) return 0.0f + row_sum(square, n);
  float total = 0.0f;
  for (int64_t i = n_vec * kLanes; i < n; ++i) total += square(i);
  for (int64_t lane = 0; lane < kLanes; ++lane)
    total += row_sum([&](int64_t vec) { return square(vec * kLanes + lane); }, n_vec);
  return total;
}

}  // namespace

void rmsnorm(Workers& workers, const float* x, int64_t ldx, int64_t rows, int64_t dim, const float* weight,
             float eps, float* out, int64_t ldo) {
  const float fdim = static_cast<float>(dim);
  workers.run(rows, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * ldx;
      float* o = out + r * ldo;
      const float inv = 1.0f / std::sqrt(torch_sum_of_squares(xr, dim) / fdim + eps);
      for (int64_t i = 0; i < dim; ++i) o[i] = xr[i] * inv;
      round_fp16_inplace(o, dim);
      for (int64_t i = 0; i < dim; ++i) o[i] = o[i] * weight[i];
      round_fp16_inplace(o, dim);
    }
  });
}

}  // namespace cpu
}  // namespace lgb
