#include "binding/convert.h"

#include <cmath>

#include "core/error.h"

namespace lgb_binding {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

double NumberField(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw lgb::Error(lgb::kErrInvalidParams, std::string(key) + ": must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t IntField(const Napi::Object& o, const char* key) {
  double d = NumberField(o, key);
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > kMaxSafeInteger)
    throw lgb::Error(lgb::kErrInvalidParams, std::string(key) + ": must be an integer");
  return static_cast<int64_t>(d);
}

}  // namespace

lgb::ModelParams ParamsFromJs(const Napi::Value& v) {
  if (!v.IsObject()) throw lgb::Error(lgb::kErrInvalidParams, "params: must be an object");
  Napi::Object o = v.As<Napi::Object>();
  lgb::ModelParams p;
  p.dim = IntField(o, "dim");
  p.n_layers = IntField(o, "n_layers");
  p.n_heads = IntField(o, "n_heads");
  p.n_kv_heads = IntField(o, "n_kv_heads");
  p.vocab_size = IntField(o, "vocab_size");
  p.ffn_dim_multiplier = NumberField(o, "ffn_dim_multiplier");
  p.multiple_of = IntField(o, "multiple_of");
  p.norm_eps = NumberField(o, "norm_eps");
  p.rope_theta = NumberField(o, "rope_theta");
  Napi::Value scaled = o.Get("use_scaled_rope");
  if (!scaled.IsBoolean()) throw lgb::Error(lgb::kErrInvalidParams, "use_scaled_rope: must be a boolean");
  p.use_scaled_rope = scaled.As<Napi::Boolean>().Value();
  p.seq_len = IntField(o, "seq_len");
  lgb::validate(p);
  return p;
}

std::vector<uint64_t> NoncesFromJs(const Napi::Value& v) {
  std::vector<uint64_t> out;
  auto push = [&](double d) {
    if (!(d >= 0) || d != std::floor(d) || d > kMaxSafeInteger)
      throw lgb::Error(lgb::kErrInvalidArgument, "nonces: each nonce must be a non-negative safe integer");
    out.push_back(static_cast<uint64_t>(d));
  };
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    Napi::Float64Array a = v.As<Napi::Float64Array>();
    out.reserve(a.ElementLength());
    for (size_t i = 0; i < a.ElementLength(); ++i) push(a[i]);
  } else if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    out.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value e = a.Get(i);
      if (!e.IsNumber()) throw lgb::Error(lgb::kErrInvalidArgument, "nonces: each nonce must be a number");
      push(e.As<Napi::Number>().DoubleValue());
    }
  } else {
    throw lgb::Error(lgb::kErrInvalidArgument, "nonces: must be a Float64Array or an array of numbers");
  }
  if (out.empty()) throw lgb::Error(lgb::kErrInvalidArgument, "nonces: at least one nonce is required");
  return out;
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString())
    throw lgb::Error(lgb::kErrInvalidArgument, std::string(name) + ": must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::string BackendArg(const Napi::CallbackInfo& info, size_t i) {
  std::string b = StringArg(info, i, "backend");
  if (b != "cpu" && b != "cuda") throw lgb::Error(lgb::kErrInvalidArgument, "backend: must be cpu or cuda");
  return b;
}

double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name, double fallback) {
  if (info.Length() <= i || info[i].IsUndefined()) return fallback;
  if (!info[i].IsNumber()) throw lgb::Error(lgb::kErrInvalidArgument, std::string(name) + ": must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t fallback) {
  const double d = NumberArg(info, i, name, static_cast<double>(fallback));
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > kMaxSafeInteger)
    throw lgb::Error(lgb::kErrInvalidArgument, std::string(name) + ": must be an integer");
  return static_cast<int64_t>(d);
}

Napi::Object DeviceInfoToJs(Napi::Env env, const lgb::DeviceInfo& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", d.backend);
  o.Set("index", d.index);
  o.Set("name", d.name);
  o.Set("totalMemory", static_cast<double>(d.total_memory));
  o.Set("freeMemory", static_cast<double>(d.free_memory));
  o.Set("threads", d.threads);
  o.Set("arch", d.arch);
  return o;
}

}  // namespace lgb_binding
