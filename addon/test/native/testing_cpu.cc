#include "testing_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "binding/convert.h"
#include "binding/errors.h"
#include "core/error.h"
#include "core/half.h"
#include "cpu/fp16.h"
#include "cpu/gemm.h"
#include "cpu/ops.h"
#include "cpu/workers.h"

namespace lgb_binding {
namespace {

int64_t BoundedInt(const Napi::CallbackInfo& info, size_t i, int64_t lo, int64_t hi) {
  if (info.Length() <= i || info[i].IsUndefined()) throw lgb::Error(lgb::kErrInvalidArgument, "argument: missing");
  const int64_t v = IntArg(info, i, "argument", 0);
  if (v < lo || v > hi) throw lgb::Error(lgb::kErrInvalidArgument, "argument: out of range");
  return v;
}

// { simd, mismatches, checked }: how a SIMD path compared with its portable twin.
Napi::Object Agreement(Napi::Env env, int64_t mismatches, size_t checked) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("simd", lgb::cpu::have_avx2_fma_f16c());
  out.Set("mismatches", static_cast<double>(mismatches));
  out.Set("checked", static_cast<double>(checked));
  return out;
}

// gemmKernelsAgree(m, n, k, threads, seed) -> { simd, mismatches, checked }: the same random GEMM (fp16 values of
// N(0,1) activations and N(0,0.02) weights) through the best and the portable kernel; mismatches counts output bits
// that differ. Also checks a handful of outputs against gemm.h's summation order written out plainly.
Napi::Value GemmKernelsAgree(const Napi::CallbackInfo& info) {
  const int64_t m = BoundedInt(info, 0, 1, 4096), n = BoundedInt(info, 1, 1, 65536), k = BoundedInt(info, 2, 1, 65536);
  const int threads = static_cast<int>(BoundedInt(info, 3, 0, 256));
  std::mt19937_64 rng(static_cast<uint64_t>(BoundedInt(info, 4, 0, INT64_MAX)));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(m * k);
  for (auto& v : x) v = lgb::cpu::round_fp16(normal(rng));
  std::vector<uint16_t> w(n * k);
  for (auto& v : w) v = lgb::float_to_half(0.02f * normal(rng));
  lgb::cpu::Workers workers(threads);
  lgb::cpu::GemmScratch scratch;
  lgb::cpu::PackedRows packed;
  lgb::cpu::pack_rows(workers, x.data(), k, m, k, &packed);
  std::vector<float> best(m * n), portable(m * n);
  lgb::cpu::gemm_fp16w(workers, scratch, packed, w.data(), n, best.data(), n, lgb::cpu::GemmKernel::kBest);
  lgb::cpu::gemm_fp16w(workers, scratch, packed, w.data(), n, portable.data(), n, lgb::cpu::GemmKernel::kPortable);
  int64_t mismatches = std::memcmp(best.data(), portable.data(), best.size() * 4) == 0 ? 0 : -1;
  if (mismatches != 0) {
    mismatches = 0;
    for (size_t i = 0; i < best.size(); ++i) mismatches += std::memcmp(&best[i], &portable[i], 4) != 0;
  }
  int64_t reference_mismatches = 0;
  for (int64_t t = 0; t < 64; ++t) {
    const int64_t r = static_cast<int64_t>(rng() % m), c = static_cast<int64_t>(rng() % n);
    float acc = 0.0f;
    for (int64_t k0 = 0; k0 < k; k0 += lgb::cpu::kGemmKBlock) {
      float block = 0.0f;
      for (int64_t kk = k0; kk < std::min(k, k0 + lgb::cpu::kGemmKBlock); ++kk)
        block = std::fma(x[r * k + kk], lgb::half_to_float(w[c * k + kk]), block);
      acc = k0 == 0 ? block : acc + block;
    }
    reference_mismatches += lgb::cpu::round_fp16(acc) != best[r * n + c];
  }
  Napi::Object out = Agreement(info.Env(), mismatches, best.size());
  out.Set("referenceMismatches", static_cast<double>(reference_mismatches));
  return out;
}

// roundFp16Agree(count, seed) -> { mismatches, checked }: round_fp16_inplace (F16C when available) against the
// scalar core/half.h routine, on random float32 bit patterns plus every fp16 rounding boundary and its neighbours
// (ties, subnormals, overflow). NaNs are left out (their payloads are not part of the contract).
Napi::Value RoundFp16Agree(const Napi::CallbackInfo& info) {
  const int64_t count = BoundedInt(info, 0, 0, 100000000);
  std::mt19937 rng(static_cast<uint32_t>(BoundedInt(info, 1, 0, UINT32_MAX)));
  std::vector<uint32_t> bits;
  bits.reserve(count + 65536 * 6);
  for (int64_t i = 0; i < count; ++i) bits.push_back(rng());
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    // The float32 midpoint between fp16 h and h+1, and its neighbours; both signs.
    float lo = lgb::half_to_float(static_cast<uint16_t>(h)), hi = lgb::half_to_float(static_cast<uint16_t>(h + 1));
    float mid = lo + (hi - lo) / 2;  // exact: fp16 neighbours differ in few bits
    uint32_t b;
    std::memcpy(&b, &mid, 4);
    for (uint32_t d : {b - 1, b, b + 1}) {
      bits.push_back(d);
      bits.push_back(d | 0x80000000u);
    }
  }
  std::vector<float> values;
  values.reserve(bits.size());
  for (uint32_t b : bits) {
    float f;
    std::memcpy(&f, &b, 4);
    if (!std::isnan(f)) values.push_back(f);
  }
  std::vector<float> rounded = values;
  lgb::cpu::round_fp16_inplace(rounded.data(), static_cast<int64_t>(rounded.size()));
  int64_t mismatches = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    float expect = lgb::cpu::round_fp16(values[i]);
    mismatches += std::memcmp(&expect, &rounded[i], 4) != 0;
  }
  return Agreement(info.Env(), mismatches, values.size());
}

// siluAgree(count, seed) -> { simd, mismatches, checked }: the SIMD silu (double-precision exp, AVX2) against the
// portable one on random float32 values over the whole range where silu is neither 0 nor x, plus edge values.
Napi::Value SiluAgree(const Napi::CallbackInfo& info) {
  const int64_t count = BoundedInt(info, 0, 0, 100000000);
  std::mt19937 rng(static_cast<uint32_t>(BoundedInt(info, 1, 0, UINT32_MAX)));
  std::uniform_real_distribution<float> wide(-120.0f, 120.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x;
  for (int64_t i = 0; i < count; ++i) x.push_back(i % 2 ? wide(rng) : normal(rng));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 88.7f, -88.7f, 103.9f, -103.9f, 150.0f, -150.0f, 1e30f, -1e30f,
                  INFINITY, -INFINITY})
    x.push_back(v);
  std::vector<float> best = x, portable = x;
  lgb::cpu::silu_inplace(best.data(), static_cast<int64_t>(best.size()));
  lgb::cpu::silu_inplace(portable.data(), static_cast<int64_t>(portable.size()), true);
  int64_t mismatches = 0;
  for (size_t i = 0; i < x.size(); ++i) mismatches += std::memcmp(&best[i], &portable[i], 4) != 0;
  return Agreement(info.Env(), mismatches, x.size());
}

}  // namespace

void InitTestingCpu(Napi::Env env, Napi::Object exports) {
  Napi::Object t = Napi::Object::New(env);
  auto def = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    t.Set(name, Napi::Function::New(env, [fn](const Napi::CallbackInfo& info) {
      return Guarded(info, [&] { return fn(info); });
    }, name));
  };
  def("gemmKernelsAgree", GemmKernelsAgree);
  def("roundFp16Agree", RoundFp16Agree);
  def("siluAgree", SiluAgree);
  exports.Set("testingCpu", t);
}

}  // namespace lgb_binding
