// The forward pass (see forward.h; docs/poc-compute.md §6), laid out as the CPU's (cpu/forward.cc). Rows are batched
// over nonces x positions for every GEMM. The last layer computes attention for the last query row only (all keys
// and values are still needed) and runs wo, the FFN, the final norm and the output projection on the last position
// alone.
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

namespace {

// One forward of `batch` nonces: the layers as the CPU's forward (cpu/forward.cc) has them — full_layer for every
// layer but the last, last_layer, feed_forward — over the GPU's fused ops. Each op is named through op(), which
// times it when a profile asks (an OpTimer) and is otherwise a plain call: the math does not carry the profiling.
class ForwardPass {
 public:
  ForwardPass(Gemm& gemm, const DeviceWeights& w, const ModelParams& p, const ParamLayout& layout, Activations& act,
              int64_t batch, cudaStream_t stream, OpTimer* timer)
      : gemm_(gemm), w_(w), p_(p), layout_(layout), act_(act), d_(p), batch_(batch), rows_(batch * d_.seq),
        eps_(static_cast<float>(p.norm_eps)), shape_{batch, d_.seq, p.n_heads, p.n_kv_heads, p.head_dim()},
        // Full batches may time cuBLASLt's candidates once per shape (gemm.h); partial ones take the heuristic's pick.
        tune_(batch == act.max_batch), stream_(stream), timer_(timer) {}

  void run() {
    const int64_t n_layers = static_cast<int64_t>(layout_.layers.size());
    // x = attention_norm_0(h)
    op("add+rmsnorm", [&] {
      LGB_CUDA(launch_add_rmsnorm(act_.h.get(), nullptr, w_.weight(layout_.layers[0].attention_norm), act_.x.get(),
                                  rows_, d_.dim, eps_, stream_));
    });
    for (int64_t l = 0; l + 1 < n_layers; ++l) full_layer(l);
    last_layer(n_layers - 1);
    op("distance", [&] {
      LGB_CUDA(launch_distance(act_.logits.get(), act_.logits_ld, act_.perm.get(), w_.target(), d_.vocab, batch_,
                               act_.dist.get(), stream_));
    });
  }

 private:
  // Layer l on every position; x holds attention_norm_l(h) on entry and attention_norm_{l+1}(h) on exit.
  void full_layer(int64_t l) {
    const LayerParamIndex& li = layout_.layers[l];
    attention(li, false);
    op("gemm wo", [&] {
      gemm_.matmul(act_.att.get(), d_.qdim, w_.weight(li.wo), d_.qdim, act_.o.get(), d_.dim, rows_, d_.dim, d_.qdim,
                   stream_, tune_);
    });
    // h += o; x = ffn_norm(h)
    op("add+rmsnorm", [&] {
      LGB_CUDA(launch_add_rmsnorm(act_.h.get(), act_.o.get(), w_.weight(li.ffn_norm), act_.x.get(), rows_, d_.dim,
                                  eps_, stream_));
    });
    feed_forward(li, rows_);
    // h += ffn; x = attention_norm_{l+1}(h)
    op("add+rmsnorm", [&] {
      LGB_CUDA(launch_add_rmsnorm(act_.h.get(), act_.o.get(), w_.weight(layout_.layers[l + 1].attention_norm),
                                  act_.x.get(), rows_, d_.dim, eps_, stream_));
    });
  }

  // The last layer: keys and values of every position, attention for the last query row only; then wo, the FFN,
  // the final norm and the output projection on the last position alone (h_last: (batch, dim)).
  void last_layer(int64_t l) {
    const LayerParamIndex& li = layout_.layers[l];
    attention(li, true);  // att holds (batch, qdim)
    op("last position (wo, ffn, norm, output)", [&] {
      LGB_CUDA(launch_gather_rows(act_.h.get(), d_.seq, d_.seq - 1, act_.h_last.get(), batch_, d_.dim, stream_));
      gemm_.matmul(act_.att.get(), d_.qdim, w_.weight(li.wo), d_.qdim, act_.o.get(), d_.dim, batch_, d_.dim, d_.qdim,
                   stream_, tune_);
      LGB_CUDA(launch_add_rmsnorm(act_.h_last.get(), act_.o.get(), w_.weight(li.ffn_norm), act_.x.get(), batch_,
                                  d_.dim, eps_, stream_));
      feed_forward(li, batch_);
      LGB_CUDA(launch_add_rmsnorm(act_.h_last.get(), act_.o.get(), w_.weight(layout_.norm), act_.x.get(), batch_,
                                  d_.dim, eps_, stream_));
      gemm_.matmul(act_.x.get(), d_.dim, w_.weight(layout_.output), d_.dim, act_.logits.get(), act_.logits_ld, batch_,
                   d_.vocab, d_.dim, stream_, tune_);
    });
  }

  // q, k, v = x·Wqᵀ, x·Wkᵀ, x·Wvᵀ; RoPE on q and k; causal attention into att (the last position's only when
  // `last_only`).
  void attention(const LayerParamIndex& li, bool last_only) {
    const int64_t hd = p_.head_dim();
    op("gemm wq wk wv", [&] {
      gemm_.matmul(act_.x.get(), d_.dim, w_.weight(li.wq), d_.dim, act_.q.get(), d_.qdim, rows_, d_.qdim, d_.dim,
                   stream_, tune_);
      gemm_.matmul(act_.x.get(), d_.dim, w_.weight(li.wk), d_.dim, act_.k.get(), d_.kvdim, rows_, d_.kvdim, d_.dim,
                   stream_, tune_);
      gemm_.matmul(act_.x.get(), d_.dim, w_.weight(li.wv), d_.dim, act_.v.get(), d_.kvdim, rows_, d_.kvdim, d_.dim,
                   stream_, tune_);
    });
    op("rope", [&] {
      LGB_CUDA(launch_rope(act_.q.get(), rows_, p_.n_heads, hd, d_.seq, w_.rope_cos(), w_.rope_sin(), stream_));
      LGB_CUDA(launch_rope(act_.k.get(), rows_, p_.n_kv_heads, hd, d_.seq, w_.rope_cos(), w_.rope_sin(), stream_));
    });
    op("attention", [&] {
      LGB_CUDA(launch_attention(act_.q.get(), act_.k.get(), act_.v.get(), act_.att.get(), shape_, last_only,
                                stream_));
    });
  }

  // o = W2·(fp16(silu(x·W1ᵀ)) * (x·W3ᵀ)) on `rows` rows of x.
  void feed_forward(const LayerParamIndex& li, int64_t rows) {
    op("gemm w1 w3", [&] {
      gemm_.matmul(act_.x.get(), d_.dim, w_.weight(li.w1), d_.dim, act_.a.get(), d_.ffn, rows, d_.ffn, d_.dim,
                   stream_, tune_);
      gemm_.matmul(act_.x.get(), d_.dim, w_.weight(li.w3), d_.dim, act_.b.get(), d_.ffn, rows, d_.ffn, d_.dim,
                   stream_, tune_);
    });
    op("swiglu", [&] { LGB_CUDA(launch_swiglu(act_.a.get(), act_.b.get(), rows * d_.ffn, stream_)); });
    op("gemm w2", [&] {
      gemm_.matmul(act_.a.get(), d_.ffn, w_.weight(li.w2), d_.ffn, act_.o.get(), d_.dim, rows, d_.dim, d_.ffn,
                   stream_, tune_);
    });
  }

  // Runs one named op; with a timer, the outermost op of a nesting is timed as one span.
  template <typename F>
  void op(const char* name, F&& enqueue) {
    const bool timed = timer_ != nullptr && depth_ == 0;
    if (timed) timer_->begin(name, stream_);
    ++depth_;
    struct Close {
      ForwardPass& f;
      bool timed;
      ~Close() {
        --f.depth_;
        if (timed) f.timer_->end(f.stream_);
      }
    } close{*this, timed};
    enqueue();
  }

  Gemm& gemm_;
  const DeviceWeights& w_;
  const ModelParams& p_;
  const ParamLayout& layout_;
  Activations& act_;
  const Dims d_;
  const int64_t batch_, rows_;
  const float eps_;
  const AttentionShape shape_;
  const bool tune_;
  cudaStream_t stream_;
  OpTimer* timer_;
  int depth_ = 0;
};

}  // namespace

void enqueue_forward(Gemm& gemm, const DeviceWeights& w, const ModelParams& p, const ParamLayout& layout,
                     Activations& act, int64_t batch, cudaStream_t stream, OpTimer* timer) {
  if (batch < 1 || batch > act.max_batch) throw Error(kErrInternal, "forward batch outside the scratch capacity");
  ForwardPass(gemm, w, p, layout, act, batch, stream, timer).run();
}

}  // namespace lgb::cuda
