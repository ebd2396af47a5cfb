// SwiGLU gate (ops.h): silu in float32 stored as fp16 (F.silu on an fp16 tensor), then the fp16 product.
#include <algorithm>
#include <cmath>

#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {

void swiglu(Workers& workers, float* a, const float* b, int64_t n) {
  workers.run(n, [&](int64_t i0, int64_t i1, int) {
    constexpr int64_t kChunk = 1024;
    for (int64_t c0 = i0; c0 < i1; c0 += kChunk) {
      const int64_t c1 = std::min(i1, c0 + kChunk);
      for (int64_t i = c0; i < c1; ++i) a[i] = a[i] / (1.0f + std::exp(-a[i]));
      round_fp16_inplace(a + c0, c1 - c0);
      for (int64_t i = c0; i < c1; ++i) a[i] = a[i] * b[i];
      round_fp16_inplace(a + c0, c1 - c0);
    }
  });
}

}  // namespace cpu
}  // namespace lgb
