// The model shape of a job (docs/poc-compute.md §2-3): fields, derived sizes and the named_parameters() list.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lgb {

struct ModelParams {
  int64_t dim = 2048;
  int64_t n_layers = 16;
  int64_t n_heads = 16;
  int64_t n_kv_heads = 16;
  int64_t vocab_size = 8192;
  double ffn_dim_multiplier = 1.3;
  int64_t multiple_of = 1024;
  double norm_eps = 1e-5;
  double rope_theta = 500000.0;
  bool use_scaled_rope = false;
  int64_t seq_len = 16;

  int64_t head_dim() const { return dim / n_heads; }
  int64_t n_rep() const { return n_heads / n_kv_heads; }
  // int(2*(4*dim)/3), then int(ffn_dim_multiplier*h), then rounded up to a multiple of multiple_of.
  int64_t ffn_hidden_dim() const;
};

// Throws lgb::Error(kErrInvalidParams, "<field>: <reason>") for impossible shapes.
void validate(const ModelParams& p);

// One parameter of the reference model, in named_parameters() order.
struct ParamSpec {
  std::string name;            // e.g. "layers.3.feed_forward.w1.weight"
  std::vector<int64_t> shape;  // (out_features, in_features) for linear weights, (dim) for norms
  int64_t numel = 0;
};

// Index of each parameter of one layer inside the named_parameters() list.
struct LayerParamIndex {
  size_t wq, wk, wv, wo, w1, w2, w3, attention_norm, ffn_norm;
};

struct ParamLayout {
  std::vector<ParamSpec> specs;        // named_parameters() order
  size_t tok_embeddings = 0;
  std::vector<LayerParamIndex> layers; // n_layers entries
  size_t norm = 0;
  size_t output = 0;
  int64_t total_numel = 0;             // tok_embeddings included
};

ParamLayout named_parameters(const ModelParams& p);

}  // namespace lgb
