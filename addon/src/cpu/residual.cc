// Residual add (ops.h): h = fp16(h + t), the fp16 tensor add.
#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {

void residual_add(Workers& workers, float* h, int64_t ldh, const float* t, int64_t ldt, int64_t rows,
                  int64_t dim) {
  workers.run(rows, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r) {
      float* hr = h + r * ldh;
      const float* tr = t + r * ldt;
      for (int64_t i = 0; i < dim; ++i) hr[i] = hr[i] + tr[i];
      round_fp16_inplace(hr, dim);
    }
  });
}

}  // namespace cpu
}  // namespace lgb
