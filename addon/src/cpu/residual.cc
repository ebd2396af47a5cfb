// Residual add (ops.h): h = fp16(h + t), the fp16 tensor add.
#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {

void residual_add(Workers& workers, float* h, int64_t ldh, const float* t, int64_t ldt, int64_t rows,
                  int64_t dim) {
  workers.run(rows, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t i = 0; i < dim; ++i) h[r * ldh + i] = round_fp16(h[r * ldh + i] + t[r * ldt + i]);
  });
}

}  // namespace cpu
}  // namespace lgb
