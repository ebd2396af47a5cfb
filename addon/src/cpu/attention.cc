// Causal grouped-query attention (ops.h), one (nonce, query head) per work item:
//   scores = q·kᵀ           fp32 sums over head_dim ascending, stored fp16      (torch.matmul in fp16)
//   scores = scores / sqrt  float32 division, stored fp16                       (fp16 tensor / python float)
//   + mask                  keys after the query position are -inf: left out (exp(-inf) = 0)
//   p = softmax(float32)    max, exp(s - max) (exp.h), sum as torch orders it, e * (1 / sum); stored fp16
//   o = p·v                 fp32 sums over keys ascending, stored fp16
// The key matrix of the head is transposed first so that the score loop runs over keys (vectorisable, each
// score still summed over head_dim in order).
#include <algorithm>
#include <cmath>

#include "cpu/exp.h"
#include "cpu/fp16.h"
#include "cpu/ops.h"

namespace lgb {
namespace cpu {
namespace {

// The softmax denominator in the order of torch's CPU softmax (vec::reduce_all over the full row of `row` keys,
// masked ones contributing exp(-inf) = 0): 8 lane sums (key j in lane j % 8, keys ascending), then the AVX2
// horizontal tree ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)); a row shorter than 8 is summed in order.
float softmax_sum(const float* e, int64_t n, int64_t row) {
  if (row < 8) {
    float sum = e[0];
    for (int64_t j = 1; j < n; ++j) sum += e[j];
    return sum;
  }
  float lane[8];
  for (int64_t l = 0; l < 8; ++l) lane[l] = l < n ? e[l] : 0.0f;
  for (int64_t j = 8; j < n; ++j) lane[j % 8] += e[j];
  return ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
}

}  // namespace

void attention(Workers& workers, AttentionScratch& scratch, const float* q, const float* k, const float* v,
               int64_t batch, int64_t seq, int64_t q_rows, int64_t heads, int64_t kv_heads, int64_t head_dim,
               float* out) {
  const int64_t n_rep = heads / kv_heads;
  const int64_t qd = heads * head_dim, kvd = kv_heads * head_dim;
  const float scale = static_cast<float>(std::sqrt(static_cast<double>(head_dim)));
  const int64_t per_worker = head_dim * seq + seq + head_dim;
  float* base = scratch.per_worker.reserve(per_worker * workers.size());
  workers.run(batch * heads, [&](int64_t i0, int64_t i1, int w) {
    float* kt = base + w * per_worker;  // (head_dim, seq)
    float* s = kt + head_dim * seq;      // (seq)
    float* acc = s + seq;                // (head_dim)
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t b = item / heads, h = item % heads, g = h / n_rep;
      const float* kb = k + b * seq * kvd + g * head_dim;
      const float* vb = v + b * seq * kvd + g * head_dim;
      for (int64_t j = 0; j < seq; ++j)
        for (int64_t d = 0; d < head_dim; ++d) kt[d * seq + j] = kb[j * kvd + d];
      for (int64_t i = 0; i < q_rows; ++i) {
        const int64_t pos = seq - q_rows + i, n_keys = pos + 1;
        const float* qr = q + (b * q_rows + i) * qd + h * head_dim;
        std::fill(s, s + n_keys, 0.0f);
        for (int64_t d = 0; d < head_dim; ++d) {
          const float qv = qr[d];
          const float* kr = kt + d * seq;
          for (int64_t j = 0; j < n_keys; ++j) s[j] = s[j] + qv * kr[j];
        }
        round_fp16_inplace(s, n_keys);
        for (int64_t j = 0; j < n_keys; ++j) s[j] = s[j] / scale;
        round_fp16_inplace(s, n_keys);
        float mx = -INFINITY;
        for (int64_t j = 0; j < n_keys; ++j) mx = std::max(mx, s[j]);
        for (int64_t j = 0; j < n_keys; ++j) s[j] = s[j] - mx;
        exp_inplace(s, n_keys);
        const float inv = 1.0f / softmax_sum(s, n_keys, seq);
        for (int64_t j = 0; j < n_keys; ++j) s[j] = s[j] * inv;
        round_fp16_inplace(s, n_keys);
        std::fill(acc, acc + head_dim, 0.0f);
        for (int64_t j = 0; j < n_keys; ++j) {
          const float p = s[j];
          const float* vr = vb + j * kvd;
          for (int64_t d = 0; d < head_dim; ++d) acc[d] = acc[d] + p * vr[d];
        }
        float* o = out + (b * q_rows + i) * qd + h * head_dim;
        for (int64_t d = 0; d < head_dim; ++d) o[d] = acc[d];
        round_fp16_inplace(o, head_dim);
      }
    }
  });
}

}  // namespace cpu
}  // namespace lgb
