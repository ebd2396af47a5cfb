#include "core/params.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace lgb {
namespace {

// Generous bounds that keep every derived size far from int64 overflow (the engine checks memory separately).
constexpr int64_t kMaxWidth = int64_t{1} << 24;   // dim, vocab_size, multiple_of
constexpr int64_t kMaxCount = int64_t{1} << 16;   // n_layers, n_heads, n_kv_heads
constexpr int64_t kMaxSeqLen = int64_t{1} << 20;
constexpr int64_t kMaxFfn = int64_t{1} << 31;
constexpr int64_t kMaxTotal = int64_t{1} << 53;   // pool_size = int(total * 0.05) is exact below this

[[noreturn]] void fail(const char* field, const std::string& reason) {
  throw Error(kErrInvalidParams, std::string(field) + ": " + reason);
}

void check_int(const char* field, int64_t v, int64_t max) {
  if (v <= 0) fail(field, "must be positive (got " + std::to_string(v) + ")");
  if (v > max) fail(field, "must be at most " + std::to_string(max) + " (got " + std::to_string(v) + ")");
}

void check_positive(const char* field, double v) {
  if (!std::isfinite(v) || !(v > 0)) fail(field, "must be a finite number > 0");
}

// Python: h = int(2 * (4*dim) / 3); h = int(mult * h) -- float64 true division and product, truncated.
int64_t ffn_unrounded(int64_t dim, double mult) {
  const double h0 = std::trunc(static_cast<double>(2 * 4 * dim) / 3.0);
  return static_cast<int64_t>(std::trunc(mult * h0));
}

}  // namespace

int64_t ModelParams::ffn_hidden_dim() const {
  const int64_t h = ffn_unrounded(dim, ffn_dim_multiplier);
  return multiple_of * ((h + multiple_of - 1) / multiple_of);
}

void validate(const ModelParams& p) {
  check_int("dim", p.dim, kMaxWidth);
  check_int("n_layers", p.n_layers, kMaxCount);
  check_int("n_heads", p.n_heads, kMaxCount);
  check_int("n_kv_heads", p.n_kv_heads, kMaxCount);
  check_int("vocab_size", p.vocab_size, kMaxWidth);
  check_int("multiple_of", p.multiple_of, kMaxWidth);
  check_int("seq_len", p.seq_len, kMaxSeqLen);
  check_positive("ffn_dim_multiplier", p.ffn_dim_multiplier);
  check_positive("norm_eps", p.norm_eps);
  check_positive("rope_theta", p.rope_theta);
  if (p.dim % p.n_heads != 0)
    fail("dim", "must be divisible by n_heads (" + std::to_string(p.n_heads) + ")");
  if (p.n_heads % p.n_kv_heads != 0)
    fail("n_heads", "must be divisible by n_kv_heads (" + std::to_string(p.n_kv_heads) + ")");
  if (p.head_dim() % 2 != 0)
    fail("dim", "dim / n_heads (head_dim) must be even for RoPE (got " + std::to_string(p.head_dim()) + ")");
  // The unrounded FFN width must be representable before rounding up to multiple_of.
  if (!(p.ffn_dim_multiplier * std::trunc(static_cast<double>(8 * p.dim) / 3.0) < static_cast<double>(kMaxFfn)))
    fail("ffn_dim_multiplier", "gives an FFN width above 2^31");
  const int64_t ffn = p.ffn_hidden_dim();
  if (ffn <= 0) fail("ffn_dim_multiplier", "gives an FFN width of 0");
  if (ffn > kMaxFfn) fail("ffn_dim_multiplier", "gives an FFN width above 2^31");
  const __int128 per_layer = static_cast<__int128>(p.dim) * (p.n_heads * p.head_dim()) * 2 +
                             static_cast<__int128>(p.dim) * (p.n_kv_heads * p.head_dim()) * 2 +
                             static_cast<__int128>(p.dim) * ffn * 3 + 2 * p.dim;
  const __int128 total = per_layer * p.n_layers + static_cast<__int128>(p.vocab_size) * p.dim * 2 + p.dim;
  if (total > kMaxTotal) fail("n_layers", "the model would have more than 2^53 parameters");
}

ParamLayout named_parameters(const ModelParams& p) {
  ParamLayout L;
  auto add = [&L](std::string name, std::vector<int64_t> shape) {
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    L.total_numel += numel;
    L.specs.push_back(ParamSpec{std::move(name), std::move(shape), numel});
    return L.specs.size() - 1;
  };
  const int64_t hd = p.head_dim(), ffn = p.ffn_hidden_dim();
  L.tok_embeddings = add("tok_embeddings.weight", {p.vocab_size, p.dim});
  L.layers.reserve(static_cast<size_t>(p.n_layers));
  for (int64_t i = 0; i < p.n_layers; ++i) {
    const std::string pre = "layers." + std::to_string(i) + ".";
    LayerParamIndex li{};
    li.wq = add(pre + "attention.wq.weight", {p.n_heads * hd, p.dim});
    li.wk = add(pre + "attention.wk.weight", {p.n_kv_heads * hd, p.dim});
    li.wv = add(pre + "attention.wv.weight", {p.n_kv_heads * hd, p.dim});
    li.wo = add(pre + "attention.wo.weight", {p.dim, p.n_heads * hd});
    li.w1 = add(pre + "feed_forward.w1.weight", {ffn, p.dim});
    li.w2 = add(pre + "feed_forward.w2.weight", {p.dim, ffn});
    li.w3 = add(pre + "feed_forward.w3.weight", {ffn, p.dim});
    li.attention_norm = add(pre + "attention_norm.weight", {p.dim});
    li.ffn_norm = add(pre + "ffn_norm.weight", {p.dim});
    L.layers.push_back(li);
  }
  L.norm = add("norm.weight", {p.dim});
  L.output = add("output.weight", {p.vocab_size, p.dim});
  return L;
}

}  // namespace lgb
