#include "testing.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "binding/convert.h"
#include "binding/errors.h"
#include "core/error.h"
#include "core/half.h"
#include "core/model.h"
#include "core/nonce.h"
#include "core/normal_stream.h"
#include "core/pairwise.h"
#include "core/params.h"
#include "core/permutation.h"
#include "core/pool.h"
#include "core/rope.h"
#include "core/seed.h"
#include "core/sha256.h"
#include "core/word_block.h"
#include "core/ziggurat.h"

namespace lgb_binding {
namespace {

using Fn = std::function<Napi::Value(const Napi::CallbackInfo&)>;

// Every export reports failures as the engine's do (Guarded) and reads arguments with the binding's readers.
Napi::Function Wrap(Napi::Env env, const char* name, Fn fn) {
  return Napi::Function::New(
      env, [fn](const Napi::CallbackInfo& info) -> Napi::Value { return Guarded(info, [&] { return fn(info); }); },
      name);
}

std::string Str(const Napi::CallbackInfo& info, size_t i) { return StringArg(info, i, "argument"); }
int64_t Int(const Napi::CallbackInfo& info, size_t i, int64_t def = 0) { return IntArg(info, i, "argument", def); }
double Num(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) throw lgb::Error(lgb::kErrInvalidArgument, "argument: missing");
  return NumberArg(info, i, "argument", 0);
}

std::string Hex64(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
  return b;
}
std::string Hex128(lgb::u128 v) {
  char b[40];
  std::snprintf(b, sizeof b, "0x%016llx%016llx", static_cast<unsigned long long>(v >> 64),
                static_cast<unsigned long long>(v));
  return b;
}

template <class T, class A>
A NewTyped(Napi::Env env, const std::vector<T>& v) {
  A a = A::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}
Napi::Float64Array F64(Napi::Env env, const std::vector<double>& v) { return NewTyped<double, Napi::Float64Array>(env, v); }
Napi::Float32Array F32(Napi::Env env, const std::vector<float>& v) { return NewTyped<float, Napi::Float32Array>(env, v); }
Napi::Uint16Array U16(Napi::Env env, const std::vector<uint16_t>& v) { return NewTyped<uint16_t, Napi::Uint16Array>(env, v); }
Napi::Int32Array I32(Napi::Env env, const std::vector<int32_t>& v) { return NewTyped<int32_t, Napi::Int32Array>(env, v); }

template <class T>
std::vector<T> VecArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsTypedArray()) throw lgb::Error(lgb::kErrInvalidArgument, "argument " + std::to_string(i) + ": typed array");
  auto a = info[i].As<Napi::TypedArrayOf<T>>();
  return std::vector<T>(a.Data(), a.Data() + a.ElementLength());
}

Napi::Array NumArray(Napi::Env env, const std::vector<uint32_t>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, v[i]));
  return a;
}

// A params object as parseParams (addon/lib/params.ts) produces it; absent keys keep the reference defaults.
lgb::ModelParams ParamsArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsObject()) throw lgb::Error(lgb::kErrInvalidParams, "params: must be an object");
  Napi::Object o = info[i].As<Napi::Object>();
  lgb::ModelParams p;
  auto get_int = [&](const char* k, int64_t* dst) {
    if (!o.Has(k)) return;
    Napi::Value v = o.Get(k);
    if (!v.IsNumber()) throw lgb::Error(lgb::kErrInvalidParams, std::string(k) + ": must be a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) throw lgb::Error(lgb::kErrInvalidParams, std::string(k) + ": must be an integer");
    *dst = static_cast<int64_t>(d);
  };
  auto get_num = [&](const char* k, double* dst) {
    if (!o.Has(k)) return;
    Napi::Value v = o.Get(k);
    if (!v.IsNumber()) throw lgb::Error(lgb::kErrInvalidParams, std::string(k) + ": must be a number");
    *dst = v.As<Napi::Number>().DoubleValue();
  };
  get_int("dim", &p.dim);
  get_int("n_layers", &p.n_layers);
  get_int("n_heads", &p.n_heads);
  get_int("n_kv_heads", &p.n_kv_heads);
  get_int("vocab_size", &p.vocab_size);
  get_int("multiple_of", &p.multiple_of);
  get_int("seq_len", &p.seq_len);
  get_num("ffn_dim_multiplier", &p.ffn_dim_multiplier);
  get_num("norm_eps", &p.norm_eps);
  get_num("rope_theta", &p.rope_theta);
  if (o.Has("use_scaled_rope")) p.use_scaled_rope = o.Get("use_scaled_rope").ToBoolean().Value();
  lgb::validate(p);
  return p;
}

Napi::Array SpecsToJs(Napi::Env env, const lgb::ParamLayout& L) {
  Napi::Array a = Napi::Array::New(env, L.specs.size());
  for (size_t i = 0; i < L.specs.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", L.specs[i].name);
    Napi::Array shape = Napi::Array::New(env, L.specs[i].shape.size());
    for (size_t d = 0; d < L.specs[i].shape.size(); ++d)
      shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(L.specs[i].shape[d])));
    o.Set("shape", shape);
    o.Set("numel", Napi::Number::New(env, static_cast<double>(L.specs[i].numel)));
    a.Set(static_cast<uint32_t>(i), o);
  }
  return a;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Words handed out by a generator (for path statistics).
struct CountingSource {
  lgb::Pcg64 g;
  int64_t words = 0;
  uint64_t next_uint64() {
    ++words;
    return g.next_uint64();
  }
  double next_double() {
    ++words;
    return g.next_double();
  }
};

}  // namespace

void InitTesting(Napi::Env env, Napi::Object exports) {
  // Another test namespace may have created `testing` first: add to it.
  Napi::Object t = exports.Has("testing") && exports.Get("testing").IsObject() ? exports.Get("testing").As<Napi::Object>()
                                                                              : Napi::Object::New(env);
  auto def = [&](const char* name, Fn fn) { t.Set(name, Wrap(env, name, std::move(fn))); };

  // --- SHA-256 ---
  def("sha256Hex", [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (info[0].IsString()) return Napi::String::New(info.Env(), lgb::sha256_hex(Str(info, 0)));
    const std::vector<uint8_t> b = VecArg<uint8_t>(info, 0);
    return Napi::String::New(info.Env(), lgb::sha256_hex(b.data(), b.size()));
  });
  def("sha256PortableHex", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::vector<uint8_t> b = VecArg<uint8_t>(info, 0);
    return Napi::String::New(info.Env(), lgb::sha256_hex_portable(b.data(), b.size()));
  });
  def("sha256UsesShani", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), lgb::sha256_uses_shani());
  });

  // --- seeding and raw draws (docs/rng.md §1-3) ---
  def("seedInfo", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    const std::vector<uint32_t> e = lgb::seed_entropy(Str(info, 0), static_cast<int>(Int(info, 1)));
    const lgb::SeedSequence ss(e);
    const lgb::Pcg64 g = lgb::pcg64_from_seed_sequence(ss);
    Napi::Object o = Napi::Object::New(env);
    o.Set("entropy", NumArray(env, e));
    o.Set("pool", NumArray(env, std::vector<uint32_t>(ss.pool().begin(), ss.pool().end())));
    o.Set("stateU32", NumArray(env, ss.generate_state_u32(8)));
    const std::vector<uint64_t> u64 = ss.generate_state_u64(4);
    Napi::Array a = Napi::Array::New(env, u64.size());
    for (size_t i = 0; i < u64.size(); ++i) a.Set(static_cast<uint32_t>(i), Hex64(u64[i]));
    o.Set("stateU64", a);
    o.Set("pcgState", Hex128(g.state));
    o.Set("pcgInc", Hex128(g.inc));
    return o;
  });
  // draws(seed, numHashes, kind, n, skip?): first n 'u64' (hex) | 'u32' (numbers) | 'double' draws of a fresh
  // generator, after skipping `skip` 64-bit words with the LCG jump-ahead. 'u64block' uses the buffered WordBlock.
  def("draws", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    lgb::Pcg64 g = lgb::get_rng(Str(info, 0), static_cast<int>(Int(info, 1)));
    const std::string kind = Str(info, 2);
    const int64_t n = Int(info, 3);
    g.advance(static_cast<uint64_t>(Int(info, 4, 0)));
    if (kind == "u64" || kind == "u64block") {
      lgb::WordBlock wb(g);
      Napi::Array a = Napi::Array::New(env, n);
      for (int64_t i = 0; i < n; ++i)
        a.Set(static_cast<uint32_t>(i), Hex64(kind == "u64" ? g.next_uint64() : wb.next_uint64()));
      return a;
    }
    if (kind == "u32") {
      std::vector<uint32_t> v(n);
      for (auto& x : v) x = g.next_uint32();
      return NumArray(env, v);
    }
    if (kind == "double") {
      std::vector<double> v(n);
      for (auto& x : v) x = g.next_double();
      return F64(env, v);
    }
    throw lgb::Error(lgb::kErrInvalidArgument, "kind: u64, u64block, u32 or double");
  });

  // --- normals (docs/rng.md §4-5) ---
  def("standardNormal", [](const Napi::CallbackInfo& info) -> Napi::Value {
    lgb::Pcg64 g = lgb::get_rng(Str(info, 0), static_cast<int>(Int(info, 1)));
    std::vector<double> v(Int(info, 2));
    for (auto& x : v) x = lgb::ziggurat_normal(g);
    return F64(info.Env(), v);
  });
  // normalStream(seed, numHashes, n, {threads, chunkWords, marginWords, minParallel}): the parallel exact stream.
  def("normalStream", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    const lgb::Pcg64 g = lgb::get_rng(Str(info, 0), static_cast<int>(Int(info, 1)));
    std::vector<double> v(Int(info, 2));
    lgb::NormalStreamOptions opt;
    if (info.Length() > 3 && info[3].IsObject()) {
      Napi::Object o = info[3].As<Napi::Object>();
      if (o.Has("threads")) opt.threads = o.Get("threads").As<Napi::Number>().Int32Value();
      if (o.Has("chunkWords")) opt.chunk_words = o.Get("chunkWords").As<Napi::Number>().Int64Value();
      if (o.Has("marginWords")) opt.margin_words = o.Get("marginWords").As<Napi::Number>().Int64Value();
      if (o.Has("minParallel")) opt.min_parallel = o.Get("minParallel").As<Napi::Number>().Int64Value();
    }
    lgb::NormalStreamStats st;
    lgb::normals_f64(g, static_cast<int64_t>(v.size()), v.data(), opt, &st);
    Napi::Object o = Napi::Object::New(env);
    o.Set("values", F64(env, v));
    o.Set("words", Napi::Number::New(env, static_cast<double>(st.words)));
    o.Set("chunks", Napi::Number::New(env, static_cast<double>(st.chunks)));
    o.Set("fallbacks", Napi::Number::New(env, static_cast<double>(st.fallbacks)));
    o.Set("fallbackValues", Napi::Number::New(env, static_cast<double>(st.fallback_values)));
    return o;
  });
  // normalPaths(seed, numHashes, n): per value, its path (0 fast, 1 wedge, 2 tail, 3 fast after >= 1 wedge
  // rejection) and the words it consumed; plus the total.
  def("normalPaths", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    CountingSource src{lgb::get_rng(Str(info, 0), static_cast<int>(Int(info, 1)))};
    const int64_t n = Int(info, 2);
    Napi::Uint8Array path = Napi::Uint8Array::New(env, n);
    Napi::Uint16Array words = Napi::Uint16Array::New(env, n);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t before = src.words;
      int rejections = 0;
      lgb::ZigPath p = lgb::ZigPath::kFast;
      lgb::ziggurat_normal(src, &rejections, &p);
      path[static_cast<size_t>(i)] = p == lgb::ZigPath::kWedge ? 1 : p == lgb::ZigPath::kTail ? 2 : rejections > 0 ? 3 : 0;
      words[static_cast<size_t>(i)] = static_cast<uint16_t>(src.words - before);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("path", path);
    o.Set("words", words);
    o.Set("totalWords", Napi::Number::New(env, static_cast<double>(src.words)));
    return o;
  });
  // normal(seed, numHashes, loc, scale, n): Generator.normal, float64, one generator in order.
  def("normal", [](const Napi::CallbackInfo& info) -> Napi::Value {
    lgb::Pcg64 g = lgb::get_rng(Str(info, 0), static_cast<int>(Int(info, 1)));
    const double loc = Num(info, 2), scale = Num(info, 3);
    std::vector<double> v(Int(info, 4));
    for (auto& x : v) x = lgb::ziggurat_normal(g) * scale + loc;
    return F64(info.Env(), v);
  });
  // normalF32(seed, numHashes, loc, scale, n, threads?): normal(...).astype(float32) on the parallel stream.
  def("normalF32", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const lgb::Pcg64 g = lgb::get_rng(Str(info, 0), static_cast<int>(Int(info, 1)));
    std::vector<float> v(Int(info, 4));
    lgb::NormalStreamOptions opt;
    opt.threads = static_cast<int>(Int(info, 5, 0));
    opt.min_parallel = 0;
    lgb::normals_f32(g, static_cast<int64_t>(v.size()), Num(info, 2), Num(info, 3), v.data(), opt);
    return F32(info.Env(), v);
  });
  // timeNormals(seed, numHashes, n, threads, kind): seconds to generate n normals into memory ('f64': standard
  // normals; 'pool': the fp16 weight pool transform), measured in C++ (benchmarks only), and the output's sha256.
  def("timeNormals", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    const lgb::Pcg64 g = lgb::get_rng(Str(info, 0), static_cast<int>(Int(info, 1)));
    const int64_t n = Int(info, 2);
    lgb::NormalStreamOptions opt;
    opt.threads = static_cast<int>(Int(info, 3, 0));
    const std::string kind = Str(info, 4);
    std::string digest;
    double seconds = 0;
    if (kind == "f64") {
      std::vector<double> v(static_cast<size_t>(n));
      const auto t0 = std::chrono::steady_clock::now();
      lgb::normals_f64(g, n, v.data(), opt);
      seconds = Seconds(t0);
      digest = lgb::sha256_hex(v.data(), v.size() * sizeof(double));
    } else if (kind == "pool") {
      std::vector<uint16_t> v(static_cast<size_t>(n));
      const auto t0 = std::chrono::steady_clock::now();
      lgb::normals_f16(g, n, 0.0, 0.02, v.data(), opt);
      seconds = Seconds(t0);
      digest = lgb::sha256_hex(v.data(), v.size() * sizeof(uint16_t));
    } else {
      throw lgb::Error(lgb::kErrInvalidArgument, "kind: f64 or pool");
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("seconds", Napi::Number::New(env, seconds));
    o.Set("sha256", digest);
    return o;
  });
  // timeBatchInputs(blockHash, publicKey, params, count, threads): seconds for make_batch_inputs of nonces
  // 0..count-1 (inputs and permutations; no pool is built), measured in C++ (benchmarks only).
  def("timeBatchInputs", [](const Napi::CallbackInfo& info) -> Napi::Value {
    lgb::HostModel m;  // make_batch_inputs reads only block_hash and params
    m.block_hash = Str(info, 0);
    m.params = ParamsArg(info, 2);
    std::vector<uint64_t> nonces(static_cast<size_t>(Int(info, 3)));
    for (size_t i = 0; i < nonces.size(); ++i) nonces[i] = i;
    lgb::BatchInputs b;
    const auto t0 = std::chrono::steady_clock::now();
    lgb::make_batch_inputs(m, Str(info, 1), nonces, static_cast<int>(Int(info, 4, 0)), &b);
    return Napi::Number::New(info.Env(), Seconds(t0));
  });
  // poolPrefix(blockHash, n, threads?): the first n fp16 values of the weight pool of any model of this hash.
  def("poolPrefix", [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::vector<uint16_t> v(Int(info, 1));
    lgb::make_pool_f16(Str(info, 0), static_cast<int64_t>(v.size()), static_cast<int>(Int(info, 2, 0)), v.data());
    return U16(info.Env(), v);
  });

  // zigguratTables(): the compiled-in tables (ki as hex strings), to compare with numpy's data.
  def("zigguratTables", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Array ki = Napi::Array::New(env, 256);
    for (uint32_t i = 0; i < 256; ++i) {
      char b[24];
      std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(lgb::kZigKi[i]));
      ki.Set(i, b);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("ki", ki);
    o.Set("wi", F64(env, std::vector<double>(lgb::kZigWi, lgb::kZigWi + 256)));
    o.Set("fi", F64(env, std::vector<double>(lgb::kZigFi, lgb::kZigFi + 256)));
    o.Set("r", Napi::Number::New(env, lgb::kZigguratR));
    o.Set("invR", Napi::Number::New(env, lgb::kZigguratInvR));
    return o;
  });

  // --- conversions (docs/rng.md §7) ---
  def("f16Numpy", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::vector<double> d = VecArg<double>(info, 0);
    std::vector<uint16_t> h(d.size());
    for (size_t i = 0; i < d.size(); ++i) h[i] = lgb::double_to_half(d[i]);
    return U16(info.Env(), h);
  });
  def("f16Torch", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::vector<double> d = VecArg<double>(info, 0);
    std::vector<uint16_t> h(d.size());
    for (size_t i = 0; i < d.size(); ++i) h[i] = lgb::double_to_half_torch(d[i]);
    return U16(info.Env(), h);
  });
  def("f32", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::vector<double> d = VecArg<double>(info, 0);
    std::vector<float> f(d.size());
    for (size_t i = 0; i < d.size(); ++i) f[i] = lgb::double_to_float(d[i]);
    return F32(info.Env(), f);
  });
  def("f16FromF32", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::vector<float> f = VecArg<float>(info, 0);
    std::vector<uint16_t> h(f.size());
    for (size_t i = 0; i < f.size(); ++i) h[i] = lgb::float_to_half(f[i]);
    return U16(info.Env(), h);
  });
  def("bf16FromF32", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::vector<float> f = VecArg<float>(info, 0);
    std::vector<uint16_t> h(f.size());
    for (size_t i = 0; i < f.size(); ++i) h[i] = lgb::float_to_bf16(f[i]);
    return U16(info.Env(), h);
  });
  def("halfToFloat", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::vector<uint16_t> h = VecArg<uint16_t>(info, 0);
    std::vector<float> f(h.size());
    for (size_t i = 0; i < h.size(); ++i) f[i] = lgb::half_to_float(h[i]);
    return F32(info.Env(), f);
  });

  // --- permutations, target (docs/rng.md §6, §8) ---
  // permutation(seed, numHashes, n, extraU32?): {perm, hasUint32, nextU32: the next extraU32 32-bit draws}.
  def("permutation", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    lgb::Pcg64 g = lgb::get_rng(Str(info, 0), static_cast<int>(Int(info, 1)));
    std::vector<int32_t> perm(Int(info, 2));
    lgb::permutation(g, static_cast<int64_t>(perm.size()), perm.data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("perm", I32(env, perm));
    o.Set("hasUint32", Napi::Boolean::New(env, g.has_uint32));
    std::vector<uint32_t> next(Int(info, 3, 0));
    for (auto& x : next) x = g.next_uint32();
    o.Set("nextU32", NumArray(env, next));
    return o;
  });
  def("unitTarget", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    double norm = 0;
    const std::vector<double> u = lgb::unit_target(Str(info, 0), Int(info, 1), &norm);
    Napi::Object o = Napi::Object::New(env);
    o.Set("unit", F64(env, u));
    o.Set("norm", Napi::Number::New(env, norm));
    return o;
  });
  def("pairwiseSum", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::vector<double> d = VecArg<double>(info, 0);
    return Napi::Number::New(info.Env(), lgb::pairwise_sum(d.data(), static_cast<int64_t>(d.size())));
  });

  // --- per-nonce data (docs/poc-compute.md §5) ---
  def("nonceInput", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const int64_t seq = Int(info, 3), dim = Int(info, 4);
    std::vector<uint16_t> v(static_cast<size_t>(seq * dim));
    lgb::nonce_input(Str(info, 0), Str(info, 1), static_cast<uint64_t>(Int(info, 2)), seq, dim, v.data());
    return U16(info.Env(), v);
  });
  def("noncePermutation", [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::vector<int32_t> v(Int(info, 3));
    lgb::nonce_permutation(Str(info, 0), Str(info, 1), static_cast<uint64_t>(Int(info, 2)),
                           static_cast<int64_t>(v.size()), v.data());
    return I32(info.Env(), v);
  });
  // batchInputs(blockHash, params, publicKey, nonces[], threads): make_batch_inputs over a built host model.
  def("batchInputs", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    const lgb::ModelParams p = ParamsArg(info, 1);
    const int threads = static_cast<int>(Int(info, 4, 0));
    auto m = lgb::build_host_model(Str(info, 0), p, threads);
    Napi::Array arr = info[3].As<Napi::Array>();
    std::vector<uint64_t> nonces(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); ++i) nonces[i] = static_cast<uint64_t>(arr.Get(i).As<Napi::Number>().Int64Value());
    lgb::BatchInputs b;
    lgb::make_batch_inputs(*m, Str(info, 2), nonces, threads, &b);
    Napi::Object o = Napi::Object::New(env);
    o.Set("inputs", U16(env, b.inputs));
    o.Set("permutations", I32(env, b.permutations));
    return o;
  });

  // --- model shape, placements, weights, RoPE (docs/poc-compute.md §2-4) ---
  def("validateParams", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const lgb::ModelParams p = ParamsArg(info, 0);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("ffnHiddenDim", Napi::Number::New(info.Env(), static_cast<double>(p.ffn_hidden_dim())));
    o.Set("headDim", Napi::Number::New(info.Env(), static_cast<double>(p.head_dim())));
    return o;
  });
  def("namedParameters", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return SpecsToJs(info.Env(), lgb::named_parameters(ParamsArg(info, 0)));
  });
  // placements(blockHash, params): pool size and every parameter's key/start without generating the pool.
  def("placements", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    const std::string hash = Str(info, 0);
    const lgb::ParamLayout L = lgb::named_parameters(ParamsArg(info, 1));
    const int64_t pool_size = lgb::pool_size_for(L.total_numel);
    const std::vector<lgb::ParamPlacement> pl = lgb::place_params(hash, L, pool_size);
    Napi::Array a = Napi::Array::New(env, pl.size());
    for (size_t i = 0; i < pl.size(); ++i) {
      Napi::Object o = Napi::Object::New(env);
      char key[16];
      std::snprintf(key, sizeof key, "%08x", pl[i].key);
      o.Set("name", L.specs[i].name);
      o.Set("key", key);
      o.Set("sliced", Napi::Boolean::New(env, pl[i].sliced));
      o.Set("start", Napi::Number::New(env, static_cast<double>(pl[i].start)));
      o.Set("rotate", Napi::Number::New(env, static_cast<double>(pl[i].rotate)));
      a.Set(static_cast<uint32_t>(i), o);
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("poolSize", Napi::Number::New(env, static_cast<double>(pool_size)));
    r.Set("totalNumel", Napi::Number::New(env, static_cast<double>(L.total_numel)));
    r.Set("params", a);
    return r;
  });
  // weightDigests(blockHash, params, threads): builds the host model and hashes every parameter, timed.
  def("weightDigests", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    const lgb::ModelParams p = ParamsArg(info, 1);
    const int threads = static_cast<int>(Int(info, 2, 0));
    const auto t0 = std::chrono::steady_clock::now();
    auto m = lgb::build_host_model(Str(info, 0), p, threads);
    const double build_s = Seconds(t0);
    const auto t1 = std::chrono::steady_clock::now();
    const std::vector<std::string> digests = lgb::weight_sha256_all(*m, threads);
    const double hash_s = Seconds(t1);
    Napi::Array specs = SpecsToJs(env, m->layout);
    for (size_t i = 0; i < digests.size(); ++i) specs.Get(static_cast<uint32_t>(i)).As<Napi::Object>().Set("sha256", digests[i]);
    Napi::Object o = Napi::Object::New(env);
    o.Set("weights", specs);
    o.Set("poolSize", Napi::Number::New(env, static_cast<double>(m->pool_size)));
    o.Set("totalNumel", Napi::Number::New(env, static_cast<double>(m->layout.total_numel)));
    o.Set("targetSha256", lgb::sha256_hex(m->target.data(), m->target.size() * sizeof(double)));
    o.Set("buildSeconds", Napi::Number::New(env, build_s));
    o.Set("hashSeconds", Napi::Number::New(env, hash_s));
    return o;
  });
  // ropeTables(params, rows): float32 freqs and tables, and the fp16 tables the model uses.
  def("ropeTables", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    const lgb::ModelParams p = ParamsArg(info, 0);
    const int64_t rows = Int(info, 1, 2 * p.seq_len);
    std::vector<float> c, s;
    std::vector<uint16_t> ch, sh;
    lgb::rope_tables_f32(p, rows, &c, &s);
    lgb::rope_tables_f16(p, rows, &ch, &sh);
    Napi::Object o = Napi::Object::New(env);
    o.Set("freqs", F32(env, lgb::rope_freqs(p)));
    o.Set("cosF32", F32(env, c));
    o.Set("sinF32", F32(env, s));
    o.Set("cos", U16(env, ch));
    o.Set("sin", U16(env, sh));
    return o;
  });

  exports.Set("testing", t);
}

}  // namespace lgb_binding
