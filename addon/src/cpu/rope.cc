// RoPE (ops.h): x.float() rotated with the fp16 cos/sin tables, products and sums in float32, stored as fp16.
#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {

void rope(Workers& workers, float* x, int64_t ldx, int64_t rows, int64_t heads, int64_t head_dim,
          int64_t rows_per_seq, int64_t first_pos, const float* cos, const float* sin) {
  const int64_t half = head_dim / 2;
  workers.run(rows, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t pos = first_pos + r % rows_per_seq;
      const float* c = cos + pos * half;
      const float* s = sin + pos * half;
      for (int64_t h = 0; h < heads; ++h) {
        float* xh = x + r * ldx + h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
          float x0 = xh[2 * i], x1 = xh[2 * i + 1];
          float a = x0 * c[i], b = x1 * s[i];
          float d = x1 * c[i], e = x0 * s[i];
          xh[2 * i] = a - b;
          xh[2 * i + 1] = d + e;
        }
      }
      round_fp16_inplace(x + r * ldx, heads * head_dim);
    }
  });
}

}  // namespace cpu
}  // namespace lgb
