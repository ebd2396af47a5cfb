// Standalone check of the determinism core on another machine (the GPU machine builds the weight pool on ITS CPU,
// with ITS glibc log1p/exp): no Node, no npm. Prints one JSON object; exit code 1 on any mismatch.
//
//   g++ -std=c++17 -O3 -ffp-contract=off -pthread -Iaddon/src addon/test/core-determinism-check.cc \
//       addon/src/core/{sha256,seed,ziggurat_tables,normal_stream,parallel,permutation,pairwise,pool,params,rope,model,nonce}.cc \
//       -o /tmp/core-check && /tmp/core-check [--v2]
//
// Checks: the 1,000,000-normal stream of rng.json (sha256 and path-sensitive tail values included), PARAMS_V1's
// 291 weight digests (against v1_weights.json, as the sha256 of their newline-joined hex), and with --v2 the
// PARAMS_V2 pool (888,156,147 values) against its digest (equal to numpy 2.4.6 generating the same pool, x86-64).
#include <gnu/libc-version.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/model.h"
#include "core/normal_stream.h"
#include "core/pool.h"
#include "core/seed.h"
#include "core/sha256.h"

namespace {

constexpr const char* kStreamSha = "a914961675a236c3859afe6f5eb8fad5cd7db6e96160c9fd0bf524170117ae38";  // rng.json
constexpr const char* kV1DigestsSha = "c65f708304e48dae114f4e45d30585263cccff5dfc4f45cf7ba986c1c937d9a8";
constexpr const char* kV2PoolSha = "034505398a779e4fbe479b45ed5c49d578b6d890feb25fac20ca1d081ff482c5";
constexpr const char* kV2Hash = "005C2E3978768692556A88912DD0C44BA49F87001C41E815C1C010AEF25EFF56";

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const bool v2 = argc > 1 && std::strcmp(argv[1], "--v2") == 0;
  bool ok = true;
  std::printf("{\"glibc\": \"%s\", \"threads\": %u, \"shani\": %s", gnu_get_libc_version(),
              std::thread::hardware_concurrency(), lgb::sha256_uses_shani() ? "true" : "false");

  std::vector<double> z(1000000);
  lgb::normals_f64(lgb::get_rng("abc_0", 4), 1000000, z.data());
  const std::string s = lgb::sha256_hex(z.data(), z.size() * 8);
  ok &= s == kStreamSha;
  std::printf(", \"stream_1e6\": \"%s\"", s == kStreamSha ? "ok" : s.c_str());

  lgb::ModelParams v1;
  v1.dim = 1024, v1.n_layers = 32, v1.n_heads = 32, v1.n_kv_heads = 32, v1.vocab_size = 8196;
  v1.ffn_dim_multiplier = 10.0, v1.multiple_of = 2048, v1.rope_theta = 10000.0, v1.seq_len = 128;
  auto t0 = std::chrono::steady_clock::now();
  auto m = lgb::build_host_model("3f2a9c4e1b7d", v1, 0);
  const double build = since(t0);
  t0 = std::chrono::steady_clock::now();
  const std::vector<std::string> d = lgb::weight_sha256_all(*m, 0);
  const double hash = since(t0);
  std::string joined;
  for (size_t i = 0; i < d.size(); ++i) joined += (i ? "\n" : "") + d[i];
  const std::string ds = lgb::sha256_hex(joined);
  ok &= ds == kV1DigestsSha;
  std::printf(", \"v1_weights\": \"%s\", \"v1_build_s\": %.3f, \"v1_hash_s\": %.3f", ds == kV1DigestsSha ? "ok" : ds.c_str(),
              build, hash);
  m.reset();

  if (v2) {
    const int64_t n = 888156147;
    std::vector<uint16_t> pool(static_cast<size_t>(n));
    t0 = std::chrono::steady_clock::now();
    lgb::make_pool_f16(kV2Hash, n, 0, pool.data());
    const double gen = since(t0);
    const std::string ps = lgb::sha256_hex(pool.data(), pool.size() * 2);
    ok &= ps == kV2PoolSha;
    std::printf(", \"v2_pool\": \"%s\", \"v2_pool_s\": %.3f", ps == kV2PoolSha ? "ok" : ps.c_str(), gen);
  }
  std::printf(", \"ok\": %s}\n", ok ? "true" : "false");
  return ok ? 0 : 1;
}
