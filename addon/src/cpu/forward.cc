// The batch forward (forward.h). One full layer on all B*S rows:
//
//   x = rmsnorm(h)·attention_norm      q,k,v = x·Wq/Wk/Wvᵀ      q,k = rope(q,k)      o = attention(q,k,v)
//   h = fp16(h + o·Woᵀ)                x = rmsnorm(h)·ffn_norm  a = swiglu(x·W1ᵀ, x·W3ᵀ)  h = fp16(h + a·W2ᵀ)
//                                      (the gate fused into the two FFN GEMMs: gemm_fp16w_swiglu)
//
// The last layer needs every position's keys and values but only the last position's query, so from the query
// on it works on B rows; then the final norm and the output projection give the (B, vocab) logits.
#include "cpu/forward.h"

#include <algorithm>
#include <cstring>

#include "cpu/fp16.h"

namespace lgb {
namespace cpu {
namespace {

std::vector<float> to_float(const uint16_t* h, int64_t n) {
  std::vector<float> f(n);
  fp16_to_float_array(h, f.data(), n);
  return f;
}

}  // namespace

Forward::Forward(const HostModel& model)
    : m_(model),
      dim_(model.params.dim),
      seq_(model.params.seq_len),
      heads_(model.params.n_heads),
      kv_heads_(model.params.n_kv_heads),
      head_dim_(model.params.head_dim()),
      hidden_(model.params.ffn_hidden_dim()),
      vocab_(model.params.vocab_size),
      eps_(static_cast<float>(model.params.norm_eps)) {
  const ParamLayout& lay = model.layout;
  for (const LayerParamIndex& li : lay.layers) {
    std::vector<float> a = to_float(model.weight(li.attention_norm), dim_);
    std::vector<float> f = to_float(model.weight(li.ffn_norm), dim_);
    attn_norm_.insert(attn_norm_.end(), a.begin(), a.end());
    ffn_norm_.insert(ffn_norm_.end(), f.begin(), f.end());
  }
  final_norm_ = to_float(model.weight(lay.norm), dim_);
  cos_ = to_float(model.rope_cos.data(), static_cast<int64_t>(model.rope_cos.size()));
  sin_ = to_float(model.rope_sin.data(), static_cast<int64_t>(model.rope_sin.size()));
}

uint64_t Forward::scratch_bytes_for(const ModelParams& p, int64_t batch, int threads) {
  const int64_t rows = batch * p.seq_len, kvd = p.n_kv_heads * p.head_dim(), f = p.ffn_hidden_dim();
  const int64_t packed = (rows + 5) / 6 * 6 * std::max(p.dim, f);
  // h, x, q, att, tmp; k, v; the FFN gate; packed rows; the last positions; per worker: two GEMM accumulator
  // blocks and two sets of weight panels, attention rows.
  const int64_t floats = rows * (5 * p.dim + 2 * kvd + f) + packed + batch * p.dim +
                         static_cast<int64_t>(threads) * (2 * (rows + 5) / 6 * 6 * 64 + 2 * 4 * 256 * 16 +
                                                          p.head_dim() * p.seq_len + p.seq_len + p.head_dim());
  return static_cast<uint64_t>(floats) * sizeof(float);
}

uint64_t Forward::scratch_bytes() const {
  return h_.bytes() + x_.bytes() + q_.bytes() + k_.bytes() + v_.bytes() + att_.bytes() + tmp_.bytes() +
         a1_.bytes() + last_h_.bytes() + packed_.data.bytes() + gemm_.bytes() +
         attn_.per_worker.bytes();
}

// x = RMSNorm(h) on every position, packed; keys and values of every position (k with RoPE). Both kinds of
// layer need all of them: each GEMM's result depends on its own operands only, so q may come before or after.
void Forward::keys_and_values(Workers& w, size_t l, int64_t rows) {
  const LayerParamIndex& li = m_.layout.layers[l];
  const int64_t kvd = kv_heads_ * head_dim_;
  rmsnorm(w, h_.data(), dim_, rows, dim_, attn_norm_.data() + l * dim_, eps_, x_.data(), dim_);
  pack_rows(w, x_.data(), dim_, rows, dim_, &packed_);
  gemm_fp16w(w, gemm_, packed_, m_.weight(li.wk), kvd, k_.data(), kvd);
  gemm_fp16w(w, gemm_, packed_, m_.weight(li.wv), kvd, v_.data(), kvd);
  rope(w, k_.data(), kvd, rows, kv_heads_, head_dim_, seq_, 0, cos_.data(), sin_.data());
}

void Forward::full_layer(Workers& w, size_t l, int64_t batch) {
  const LayerParamIndex& li = m_.layout.layers[l];
  const int64_t rows = batch * seq_;
  keys_and_values(w, l, rows);
  gemm_fp16w(w, gemm_, packed_, m_.weight(li.wq), dim_, q_.data(), dim_);  // packed_ still holds x
  rope(w, q_.data(), dim_, rows, heads_, head_dim_, seq_, 0, cos_.data(), sin_.data());
  attention(w, attn_, q_.data(), k_.data(), v_.data(), batch, seq_, seq_, heads_, kv_heads_, head_dim_, att_.data());
  pack_rows(w, att_.data(), dim_, rows, dim_, &packed_);
  gemm_fp16w(w, gemm_, packed_, m_.weight(li.wo), dim_, tmp_.data(), dim_);
  residual_add(w, h_.data(), dim_, tmp_.data(), dim_, rows, dim_);

  feed_forward(w, l, h_.data(), rows);
}

void Forward::last_layer(Workers& w, size_t l, int64_t batch) {
  const LayerParamIndex& li = m_.layout.layers[l];
  keys_and_values(w, l, batch * seq_);
  // From here on, the last position of each nonce only: rows b*S + S-1 (stride S*dim).
  const int64_t last = seq_ - 1;
  pack_rows(w, x_.data() + last * dim_, seq_ * dim_, batch, dim_, &packed_);
  gemm_fp16w(w, gemm_, packed_, m_.weight(li.wq), dim_, q_.data(), dim_);
  rope(w, q_.data(), dim_, batch, heads_, head_dim_, 1, last, cos_.data(), sin_.data());
  attention(w, attn_, q_.data(), k_.data(), v_.data(), batch, seq_, 1, heads_, kv_heads_, head_dim_, att_.data());
  pack_rows(w, att_.data(), dim_, batch, dim_, &packed_);
  gemm_fp16w(w, gemm_, packed_, m_.weight(li.wo), dim_, tmp_.data(), dim_);
  float* hl = last_h_.data();  // (batch, dim)
  for (int64_t b = 0; b < batch; ++b) std::memcpy(hl + b * dim_, h_.data() + (b * seq_ + last) * dim_, dim_ * 4);
  residual_add(w, hl, dim_, tmp_.data(), dim_, batch, dim_);

  feed_forward(w, l, hl, batch);
}

// h (rows, dim) += W2·(silu(W1·x) * W3·x) with x = RMSNorm(h): the FFN half of layer l.
void Forward::feed_forward(Workers& w, size_t l, float* h, int64_t rows) {
  const LayerParamIndex& li = m_.layout.layers[l];
  rmsnorm(w, h, dim_, rows, dim_, ffn_norm_.data() + l * dim_, eps_, x_.data(), dim_);
  pack_rows(w, x_.data(), dim_, rows, dim_, &packed_);
  gemm_fp16w_swiglu(w, gemm_, packed_, m_.weight(li.w1), m_.weight(li.w3), hidden_, a1_.data(), hidden_);
  pack_rows(w, a1_.data(), hidden_, rows, hidden_, &packed_);
  gemm_fp16w(w, gemm_, packed_, m_.weight(li.w2), dim_, tmp_.data(), dim_);
  residual_add(w, h, dim_, tmp_.data(), dim_, rows, dim_);
}

void Forward::run(Workers& w, const uint16_t* inputs, int64_t batch, uint16_t* logits) {
  const int64_t rows = batch * seq_, kvd = kv_heads_ * head_dim_;
  h_.reserve(rows * dim_);
  x_.reserve(rows * dim_);
  q_.reserve(rows * dim_);
  k_.reserve(rows * kvd);
  v_.reserve(rows * kvd);
  att_.reserve(rows * dim_);
  tmp_.reserve(rows * dim_);
  a1_.reserve(rows * hidden_);
  last_h_.reserve(batch * dim_);

  fp16_to_float_array(inputs, h_.data(), rows * dim_);
  const size_t n_layers = m_.layout.layers.size();
  for (size_t l = 0; l + 1 < n_layers; ++l) full_layer(w, l, batch);
  last_layer(w, n_layers - 1, batch);

  // Final norm and output projection of the last position: logits (batch, vocab), fp16.
  rmsnorm(w, last_h_.data(), dim_, batch, dim_, final_norm_.data(), eps_, x_.data(), dim_);
  pack_rows(w, x_.data(), dim_, batch, dim_, &packed_);
  float* out = a1_.reserve(std::max(rows * hidden_, batch * vocab_));
  gemm_fp16w(w, gemm_, packed_, m_.weight(m_.layout.output), vocab_, out, vocab_);
  float_to_fp16_array(out, logits, batch * vocab_);
}

}  // namespace cpu
}  // namespace lgb
