// SwiGLU gate (ops.h): silu in float32 stored as fp16 (F.silu on an fp16 tensor), then the fp16 product.
#include <cmath>

#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {

void swiglu(Workers& workers, float* a, const float* b, int64_t n) {
  workers.run(n, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; ++i) {
      float x = a[i];
      float silu = round_fp16(x / (1.0f + std::exp(-x)));
      a[i] = round_fp16(silu * b[i]);
    }
  });
}

}  // namespace cpu
}  // namespace lgb
