// The transformer forward of docs/poc-compute.md §6 for a batch of nonces, on the CPU, with fp16 storage emulated at
// every point where the fp16 PyTorch model stores a tensor (see ops.h and gemm.h for each op's rounding).
//
// Only the last position's logits are needed, so the last layer computes keys and values for every position but
// queries, attention output, FFN and the final norm + output projection for the last position only.
#pragma once
#include <cstdint>
#include <vector>

#include "core/model.h"
#include "cpu/buffer.h"
#include "cpu/gemm.h"
#include "cpu/ops.h"
#include "cpu/workers.h"

namespace lgb {
namespace cpu {

class Forward {
 public:
  explicit Forward(const HostModel& model);

  // inputs (batch, seq_len, dim) fp16 bits -> logits (batch, vocab) fp16 bits of the last position.
  void run(Workers& workers, const uint16_t* inputs, int64_t batch, uint16_t* logits);

  // Bytes of activations and workspace a batch of `batch` nonces needs (an estimate within a few percent).
  static uint64_t scratch_bytes_for(const ModelParams& p, int64_t batch, int threads);
  uint64_t scratch_bytes() const;

 private:
  void keys_and_values(Workers& workers, size_t l, int64_t rows);
  void full_layer(Workers& workers, size_t l, int64_t batch);
  void last_layer(Workers& workers, size_t l, int64_t batch);
  void feed_forward(Workers& workers, size_t l, float* h, int64_t rows);

  const HostModel& m_;
  int64_t dim_, seq_, heads_, kv_heads_, head_dim_, hidden_, vocab_;
  float eps_;
  std::vector<float> attn_norm_, ffn_norm_, final_norm_;  // (n_layers, dim), (n_layers, dim), (dim)
  std::vector<float> cos_, sin_;                          // (2*seq_len, head_dim/2)

  // Activations: (rows, width) with rows = batch*seq_len (the last layer uses the first `batch` rows of some).
  FloatBuffer h_, x_, q_, k_, v_, att_, tmp_, a1_, last_h_;
  PackedRows packed_;
  GemmScratch gemm_;
  AttentionScratch attn_;
};

}  // namespace cpu
}  // namespace lgb
