#include "core/nonce.h"

#include <string>

#include "core/error.h"
#include "core/normal_stream.h"
#include "core/pairwise.h"
#include "core/parallel.h"
#include "core/permutation.h"
#include "core/seed.h"
#include "core/ziggurat.h"

namespace lgb {

void nonce_input(const std::string& block_hash, const std::string& public_key, uint64_t nonce, int64_t seq_len,
                 int64_t dim, uint16_t* out) {
  const Pcg64 g = get_rng(block_hash + "_" + public_key + "_nonce" + std::to_string(nonce), 4);
  normals_f16_torch(g, seq_len * dim, out);
}

void nonce_permutation(const std::string& block_hash, const std::string& public_key, uint64_t nonce,
                       int64_t vocab, int32_t* out) {
  Pcg64 g = get_rng(block_hash + "_" + public_key + "_nonce_" + std::to_string(nonce) + "_permutations", 1);
  permutation(g, vocab, out);
}

std::vector<double> unit_target(const std::string& block_hash, int64_t vocab, double* norm_out) {
  if (vocab < 0) throw Error(kErrInvalidArgument, "vocab_size: must be >= 0");
  Pcg64 g = get_rng(block_hash + "_target", 1);
  std::vector<double> y(static_cast<size_t>(vocab));
  for (auto& v : y) v = ziggurat_normal(g);
  const double norm = numpy_norm(y.data(), vocab);
  for (auto& v : y) v /= norm;
  if (norm_out) *norm_out = norm;
  return y;
}

std::vector<double> unit_target(const std::string& block_hash, int64_t vocab) {
  return unit_target(block_hash, vocab, nullptr);
}

void make_batch_inputs(const HostModel& m, const std::string& public_key, const std::vector<uint64_t>& nonces,
                       int threads, BatchInputs* out) {
  const int64_t count = static_cast<int64_t>(nonces.size());
  const int64_t in_size = m.params.seq_len * m.params.dim, vocab = m.params.vocab_size;
  out->count = count;
  out->inputs.resize(static_cast<size_t>(count * in_size));
  out->permutations.resize(static_cast<size_t>(count * vocab));
  parallel_for(count, threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      nonce_input(m.block_hash, public_key, nonces[i], m.params.seq_len, m.params.dim,
                  out->inputs.data() + i * in_size);
      nonce_permutation(m.block_hash, public_key, nonces[i], vocab, out->permutations.data() + i * vocab);
    }
  });
}

}  // namespace lgb
