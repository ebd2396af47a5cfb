// The forward pass on one GPU (mirrors cpu/forward.cc): scratch activations for up to max_batch nonces and the
// sequence of GEMMs and kernels that turns a batch of input embeddings into one distance per nonce.
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "core/params.h"
#include "cuda/buffer.h"
#include "cuda/gemm.h"
#include "cuda/op_timer.h"
#include "cuda/weights.h"

namespace lgb::cuda {

// Activations for up to max_batch nonces (rows = nonces x seq_len), allocated once per loaded model.
struct Activations {
  Activations(const ModelParams& p, int64_t max_batch);
  // Device bytes one nonce of batch capacity costs.
  static uint64_t bytes_per_nonce(const ModelParams& p);
  uint64_t bytes() const;

  int64_t max_batch = 0;
  int64_t logits_ld = 0;                  // vocab rounded up to 8 values: 16-byte aligned logit rows
  DeviceBuffer<__half> h;                 // (rows, dim) residual stream; the batch's inputs on entry
  DeviceBuffer<__half> x;                 // (rows, dim) normalised
  DeviceBuffer<__half> q, att;            // (rows, n_heads * head_dim)
  DeviceBuffer<__half> k, v;              // (rows, n_kv_heads * head_dim)
  DeviceBuffer<__half> o;                 // (rows, dim) projection outputs (attention wo, FFN w2)
  DeviceBuffer<__half> a, b;              // (rows, ffn_hidden) w1 and w3 outputs
  DeviceBuffer<__half> h_last;            // (batch, dim) last position's residual stream (last layer)
  DeviceBuffer<__half> logits;            // (batch, logits_ld)
  DeviceBuffer<int32_t> perm;             // (batch, vocab) the batch's permutations on entry
  DeviceBuffer<double> dist;              // (batch)
};

// Enqueues the forward of `batch` nonces (inputs in act.h, permutations in act.perm) on `stream`; afterwards
// act.dist holds each nonce's distance and act.logits its last-position logits.
void enqueue_forward(Gemm& gemm, const DeviceWeights& w, const ModelParams& p, const ParamLayout& layout,
                     Activations& act, int64_t batch, cudaStream_t stream, OpTimer* timer = nullptr);

}  // namespace lgb::cuda
