// The forward pass (see forward.h; poc-compute.md §6). Rows are batched over nonces x positions for every GEMM.
// The last layer computes attention for the last query row only (all keys and values are still needed) and runs
// wo, the FFN, the final norm and the output projection on the last position alone.
#include "cuda/forward.h"

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/ops.h"

namespace lgb::cuda {
namespace {

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

struct Dims {
  int64_t dim, qdim, kvdim, ffn, vocab, seq;
  explicit Dims(const ModelParams& p)
      : dim(p.dim),
        qdim(p.n_heads * p.head_dim()),
        kvdim(p.n_kv_heads * p.head_dim()),
        ffn(p.ffn_hidden_dim()),
        vocab(p.vocab_size),
        seq(p.seq_len) {}
};

}  // namespace

uint64_t Activations::bytes_per_nonce(const ModelParams& p) {
  const Dims d(p);
  const uint64_t per_row = 3 * d.dim + 2 * d.qdim + 2 * d.kvdim + 2 * d.ffn;  // h x o, q att, k v, a b
  return (per_row * d.seq + d.dim + round_up(d.vocab, 8)) * sizeof(__half) + d.vocab * sizeof(int32_t) +
         sizeof(double);
}

Activations::Activations(const ModelParams& p, int64_t batch) : max_batch(batch) {
  const Dims d(p);
  const size_t rows = static_cast<size_t>(batch * d.seq);
  logits_ld = round_up(d.vocab, 8);
  h = DeviceBuffer<__half>(rows * d.dim);
  x = DeviceBuffer<__half>(rows * d.dim);
  o = DeviceBuffer<__half>(rows * d.dim);
  q = DeviceBuffer<__half>(rows * d.qdim);
  att = DeviceBuffer<__half>(rows * d.qdim);
  k = DeviceBuffer<__half>(rows * d.kvdim);
  v = DeviceBuffer<__half>(rows * d.kvdim);
  a = DeviceBuffer<__half>(rows * d.ffn);
  b = DeviceBuffer<__half>(rows * d.ffn);
  h_last = DeviceBuffer<__half>(static_cast<size_t>(batch * d.dim));
  logits = DeviceBuffer<__half>(static_cast<size_t>(batch * logits_ld));
  perm = DeviceBuffer<int32_t>(static_cast<size_t>(batch * d.vocab));
  dist = DeviceBuffer<double>(static_cast<size_t>(batch));
}

uint64_t Activations::bytes() const {
  return h.bytes() + x.bytes() + o.bytes() + q.bytes() + att.bytes() + k.bytes() + v.bytes() + a.bytes() +
         b.bytes() + h_last.bytes() + logits.bytes() + perm.bytes() + dist.bytes();
}

OpTimer::~OpTimer() {
  for (auto& s : spans_) {
    cudaEventDestroy(s.start);
    cudaEventDestroy(s.stop);
  }
  for (auto e : free_) cudaEventDestroy(e);
}

cudaEvent_t OpTimer::take() {
  if (!free_.empty()) {
    cudaEvent_t e = free_.back();
    free_.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  LGB_CUDA(cudaEventCreate(&e));
  return e;
}

void OpTimer::begin(const char* op, cudaStream_t stream) {
  cudaEvent_t start = take(), stop = take();
  spans_.push_back({op, start, stop});
  LGB_CUDA(cudaEventRecord(start, stream));
}

// Runs in destructors: a failed record surfaces in collect() (elapsed time of an unrecorded event).
void OpTimer::end(cudaStream_t stream) noexcept { cudaEventRecord(spans_.back().stop, stream); }

std::vector<std::pair<std::string, double>> OpTimer::collect() {
  std::vector<std::pair<std::string, double>> totals;
  for (auto& s : spans_) {
    float ms = 0;
    LGB_CUDA(cudaEventElapsedTime(&ms, s.start, s.stop));
    auto it = totals.begin();
    while (it != totals.end() && it->first != s.op) ++it;
    if (it == totals.end()) totals.emplace_back(s.op, ms);
    else it->second += ms;
    free_.push_back(s.start);
    free_.push_back(s.stop);
  }
  spans_.clear();
  return totals;
}

namespace {

// Times one op when a timer is given (RAII: begin in the constructor, end in the destructor).
class Span {
 public:
  Span(OpTimer* t, const char* op, cudaStream_t s) : t_(t), s_(s) {
    if (t_) t_->begin(op, s_);
  }
  ~Span() {
    if (t_) t_->end(s_);
  }

 private:
  OpTimer* t_;
  cudaStream_t s_;
};

// FFN on `rows` rows: out = W2ᵀ-proj(fp16(silu(x·W1ᵀ)) * (x·W3ᵀ)).
void ffn(Gemm& gemm, const DeviceWeights& w, const LayerParamIndex& li, const Dims& d, Activations& act,
         int64_t rows, bool tune, cudaStream_t stream, OpTimer* timer) {
  {
    Span span(timer, "gemm w1 w3", stream);
    gemm.matmul(act.x.get(), d.dim, w.weight(li.w1), d.dim, act.a.get(), d.ffn, rows, d.ffn, d.dim, stream, tune);
    gemm.matmul(act.x.get(), d.dim, w.weight(li.w3), d.dim, act.b.get(), d.ffn, rows, d.ffn, d.dim, stream, tune);
  }
  {
    Span span(timer, "swiglu", stream);
    LGB_CUDA(launch_swiglu(act.a.get(), act.b.get(), rows * d.ffn, stream));
  }
  Span span(timer, "gemm w2", stream);
  gemm.matmul(act.a.get(), d.ffn, w.weight(li.w2), d.ffn, act.o.get(), d.dim, rows, d.dim, d.ffn, stream, tune);
}

}  // namespace

void enqueue_forward(Gemm& gemm, const DeviceWeights& w, const ModelParams& p, const ParamLayout& layout,
                     Activations& act, int64_t batch, cudaStream_t stream, OpTimer* timer) {
  if (batch < 1 || batch > act.max_batch) throw Error(kErrInternal, "forward batch outside the scratch capacity");
  const Dims d(p);
  const int64_t rows = batch * d.seq, hd = p.head_dim();
  const float eps = static_cast<float>(p.norm_eps);
  const int64_t n_layers = static_cast<int64_t>(layout.layers.size());
  const AttentionShape shape{batch, d.seq, p.n_heads, p.n_kv_heads, hd};
  // Full batches may time cuBLASLt's candidates once per shape (gemm.h); partial ones take the heuristic's pick.
  const bool tune = batch == act.max_batch;

  // x = attention_norm_0(h)
  {
    Span span(timer, "add+rmsnorm", stream);
    LGB_CUDA(launch_add_rmsnorm(act.h.get(), nullptr, w.weight(layout.layers[0].attention_norm), act.x.get(), rows,
                                d.dim, eps, stream));
  }
  for (int64_t l = 0; l < n_layers; ++l) {
    const LayerParamIndex& li = layout.layers[l];
    const bool last = l == n_layers - 1;
    {
      Span span(timer, "gemm wq wk wv", stream);
      gemm.matmul(act.x.get(), d.dim, w.weight(li.wq), d.dim, act.q.get(), d.qdim, rows, d.qdim, d.dim, stream,
                  tune);
      gemm.matmul(act.x.get(), d.dim, w.weight(li.wk), d.dim, act.k.get(), d.kvdim, rows, d.kvdim, d.dim, stream,
                  tune);
      gemm.matmul(act.x.get(), d.dim, w.weight(li.wv), d.dim, act.v.get(), d.kvdim, rows, d.kvdim, d.dim, stream,
                  tune);
    }
    {
      Span span(timer, "rope", stream);
      LGB_CUDA(launch_rope(act.q.get(), rows, p.n_heads, hd, d.seq, w.rope_cos(), w.rope_sin(), stream));
      LGB_CUDA(launch_rope(act.k.get(), rows, p.n_kv_heads, hd, d.seq, w.rope_cos(), w.rope_sin(), stream));
    }
    {
      Span span(timer, "attention", stream);
      LGB_CUDA(launch_attention(act.q.get(), act.k.get(), act.v.get(), act.att.get(), shape, last, stream));
    }

    if (!last) {
      {
        Span span(timer, "gemm wo", stream);
        gemm.matmul(act.att.get(), d.qdim, w.weight(li.wo), d.qdim, act.o.get(), d.dim, rows, d.dim, d.qdim,
                    stream, tune);
      }
      {
        // h += o; x = ffn_norm(h)
        Span span(timer, "add+rmsnorm", stream);
        LGB_CUDA(launch_add_rmsnorm(act.h.get(), act.o.get(), w.weight(li.ffn_norm), act.x.get(), rows, d.dim, eps,
                                    stream));
      }
      ffn(gemm, w, li, d, act, rows, tune, stream, timer);
      // h += ffn; x = attention_norm_{l+1}(h)
      Span span(timer, "add+rmsnorm", stream);
      LGB_CUDA(launch_add_rmsnorm(act.h.get(), act.o.get(), w.weight(layout.layers[l + 1].attention_norm),
                                  act.x.get(), rows, d.dim, eps, stream));
      continue;
    }
    // Last layer, last position only: att holds (batch, qdim).
    Span span(timer, "last position (wo, ffn, norm, output)", stream);
    LGB_CUDA(launch_gather_rows(act.h.get(), d.seq, d.seq - 1, act.h_last.get(), batch, d.dim, stream));
    gemm.matmul(act.att.get(), d.qdim, w.weight(li.wo), d.qdim, act.o.get(), d.dim, batch, d.dim, d.qdim, stream,
                tune);
    LGB_CUDA(launch_add_rmsnorm(act.h_last.get(), act.o.get(), w.weight(li.ffn_norm), act.x.get(), batch, d.dim,
                                eps, stream));
    ffn(gemm, w, li, d, act, batch, tune, stream, nullptr);
    LGB_CUDA(launch_add_rmsnorm(act.h_last.get(), act.o.get(), w.weight(layout.norm), act.x.get(), batch, d.dim,
                                eps, stream));
    gemm.matmul(act.x.get(), d.dim, w.weight(layout.output), d.dim, act.logits.get(), act.logits_ld, batch, d.vocab,
                d.dim, stream, tune);
  }
  Span span(timer, "distance", stream);
  LGB_CUDA(launch_distance(act.logits.get(), act.logits_ld, act.perm.get(), w.target(), d.vocab, batch,
                           act.dist.get(), stream));
}

}  // namespace lgb::cuda
