#include "core/model.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/nonce.h"
#include "core/parallel.h"
#include "core/pool.h"
#include "core/rope.h"
#include "core/sha256.h"

namespace lgb {

std::vector<ParamPlacement> place_params(const std::string& block_hash, const ParamLayout& layout,
                                         int64_t pool_size) {
  std::vector<ParamPlacement> out;
  out.reserve(layout.specs.size());
  for (const ParamSpec& s : layout.specs) out.push_back(place_param(param_key(block_hash, s.name), s.numel, pool_size));
  return out;
}

std::shared_ptr<const HostModel> build_host_model(const std::string& block_hash, const ModelParams& params,
                                                  int threads) {
  validate(params);
  auto m = std::make_shared<HostModel>();
  m->block_hash = block_hash;
  m->params = params;
  m->layout = named_parameters(params);
  m->pool_size = pool_size_for(m->layout.total_numel);
  try {
    m->pool.resize(static_cast<size_t>(m->pool_size));
  } catch (const std::bad_alloc&) {
    throw Error(kErrOutOfMemory, "cannot allocate the weight pool (" + std::to_string(m->pool_size * 2) + " bytes)");
  }
  make_pool_f16(block_hash, m->pool_size, threads, m->pool.data());
  m->placement = place_params(block_hash, m->layout, m->pool_size);

  m->tiled.resize(m->layout.specs.size());
  std::vector<size_t> tiled_ids;
  for (size_t i = 0; i < m->placement.size(); ++i)
    if (!m->placement[i].sliced) tiled_ids.push_back(i);
  parallel_for(static_cast<int64_t>(tiled_ids.size()), threads, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k) {
      const size_t i = tiled_ids[k];
      const int64_t n = m->layout.specs[i].numel;
      m->tiled[i].resize(static_cast<size_t>(n));
      fill_tiled(m->pool.data(), m->pool_size, n, m->placement[i].rotate, m->tiled[i].data());
    }
  });

  m->target = unit_target(block_hash, params.vocab_size);
  rope_tables_f16(params, 2 * params.seq_len, &m->rope_cos, &m->rope_sin);
  return m;
}

std::string weight_sha256(const HostModel& m, size_t i) {
  return sha256_hex(m.weight(i), static_cast<size_t>(m.layout.specs[i].numel) * sizeof(uint16_t));
}

std::vector<std::string> weight_sha256_all(const HostModel& m, int threads) {
  const size_t n = m.layout.specs.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  // Largest first, then pulled one at a time: the threads finish together.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return m.layout.specs[a].numel > m.layout.specs[b].numel; });
  std::vector<std::string> out(n);
  parallel_for_each(static_cast<int64_t>(n), threads, [&](int64_t k) { out[order[k]] = weight_sha256(m, order[k]); });
  return out;
}

}  // namespace lgb
