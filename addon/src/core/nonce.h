// Per-nonce data (docs/poc-compute.md §5): the input embeddings and the logits permutation of one nonce.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"

namespace lgb {

// get_rng(f"{block_hash}_{public_key}_nonce{n}", 4).standard_normal((1, seq_len, dim)),
// float64 -> float32 -> fp16 (torch's double rounding). out: (seq_len, dim) fp16 bits.
void nonce_input(const std::string& block_hash, const std::string& public_key, uint64_t nonce, int64_t seq_len,
                 int64_t dim, uint16_t* out);

// get_rng(f"{block_hash}_{public_key}_nonce_{n}_permutations", 1).permutation(vocab). out: (vocab)
void nonce_permutation(const std::string& block_hash, const std::string& public_key, uint64_t nonce,
                       int64_t vocab, int32_t* out);

// get_rng(f"{block_hash}_target", 1).standard_normal((1, vocab)) / its numpy (pairwise) norm.
std::vector<double> unit_target(const std::string& block_hash, int64_t vocab);
// The same, also giving the norm it divided by.
std::vector<double> unit_target(const std::string& block_hash, int64_t vocab, double* norm_out);

// Inputs and permutations of a batch, generated on `threads` CPU threads (0 = all).
struct BatchInputs {
  int64_t count = 0;
  std::vector<uint16_t> inputs;        // (count, seq_len, dim) fp16 bits
  std::vector<int32_t> permutations;   // (count, vocab)
};
void make_batch_inputs(const HostModel& m, const std::string& public_key, const std::vector<uint64_t>& nonces,
                       int threads, BatchInputs* out);

}  // namespace lgb
