#include <string>
#include <vector>

#include "binding/async.h"
#include "binding/convert.h"
#include "binding/wraps.h"
#include "core/nonce.h"
#include "core/parallel.h"
#include "core/sha256.h"

namespace lgb_binding {
namespace {

struct Digest {
  std::string name;
  std::vector<int64_t> shape;
  std::string sha256;
};

struct NonceDigest {
  std::string input_sha256;
  std::string permutation_sha256;
};

int ThreadsArg(const Napi::CallbackInfo& info, size_t i) { return static_cast<int>(IntArg(info, i, "threads", 0)); }

}  // namespace

Napi::Function NativeModel::Define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {InstanceMethod("info", &NativeModel::Info),
                      InstanceMethod("weightDigests", &NativeModel::WeightDigests),
                      InstanceMethod("nonceDetails", &NativeModel::NonceDetails),
                      InstanceMethod("targetSha256", &NativeModel::TargetSha256),
                      InstanceMethod("release", &NativeModel::Release)});
}

Napi::Object NativeModel::Wrap(Napi::Env env, std::shared_ptr<const lgb::HostModel> model) {
  auto* holder = new std::shared_ptr<const lgb::HostModel>(std::move(model));
  auto ext = Napi::External<std::shared_ptr<const lgb::HostModel>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<const lgb::HostModel>* p) { delete p; });
  return env.GetInstanceData<AddonData>()->model_ctor.New({ext});
}

std::shared_ptr<const lgb::HostModel> NativeModel::From(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(env.GetInstanceData<AddonData>()->model_ctor.Value()))
    throw lgb::Error(lgb::kErrInvalidArgument, "model: expected a model from buildModel()");
  return Napi::ObjectWrap<NativeModel>::Unwrap(v.As<Napi::Object>())->Model();
}

const std::shared_ptr<const lgb::HostModel>& NativeModel::Model() const {
  if (!model_) throw lgb::Error(lgb::kErrClosed, "model: already released");
  return model_;
}

// Drops this wrapper's share of the host model now: its memory (the pool, gigabytes for large shapes) is freed as
// soon as no device and no call in flight holds it, instead of whenever V8 collects a wrapper it believes small.
Napi::Value NativeModel::Release(const Napi::CallbackInfo& info) {
  model_.reset();
  return info.Env().Undefined();
}

NativeModel::NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw CodedError(info.Env(), lgb::kErrInvalidArgument, "NativeModel is created by buildModel()");
  model_ = *info[0].As<Napi::External<std::shared_ptr<const lgb::HostModel>>>().Data();
}

Napi::Value NativeModel::Info(const Napi::CallbackInfo& info) {
  return Guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const auto& model = Model();
    Napi::Object o = Napi::Object::New(env);
    o.Set("blockHash", model->block_hash);
    o.Set("poolSize", static_cast<double>(model->pool_size));
    o.Set("totalParams", static_cast<double>(model->layout.total_numel));
    o.Set("ffnHiddenDim", static_cast<double>(model->params.ffn_hidden_dim()));
    o.Set("parameterCount", static_cast<double>(model->layout.specs.size()));
    return o;
  });
}

Napi::Value NativeModel::WeightDigests(const Napi::CallbackInfo& info) {
  return Guarded(info, [&]() -> Napi::Value {
    auto model = Model();
    int threads = ThreadsArg(info, 0);
    return PromiseWorker<std::vector<Digest>>::Start(
        info.Env(),
        [model, threads] {
          const auto& specs = model->layout.specs;
          std::vector<std::string> sha = lgb::weight_sha256_all(*model, threads);  // largest first, one at a time
          std::vector<Digest> out(specs.size());
          for (size_t i = 0; i < specs.size(); ++i) out[i] = {specs[i].name, specs[i].shape, std::move(sha[i])};
          return out;
        },
        [](Napi::Env env, std::vector<Digest>& digests) -> Napi::Value {
          Napi::Array arr = Napi::Array::New(env, digests.size());
          for (size_t i = 0; i < digests.size(); ++i) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("name", digests[i].name);
            Napi::Array shape = Napi::Array::New(env, digests[i].shape.size());
            for (size_t j = 0; j < digests[i].shape.size(); ++j)
              shape.Set(j, Napi::Number::New(env, static_cast<double>(digests[i].shape[j])));
            o.Set("shape", shape);
            o.Set("sha256", digests[i].sha256);
            arr.Set(i, o);
          }
          return arr;
        });
  });
}

Napi::Value NativeModel::NonceDetails(const Napi::CallbackInfo& info) {
  return Guarded(info, [&]() -> Napi::Value {
    auto model = Model();
    std::string public_key = StringArg(info, 0, "publicKey");
    std::vector<uint64_t> nonces = NoncesFromJs(info[1]);
    int threads = ThreadsArg(info, 2);
    return PromiseWorker<std::vector<NonceDigest>>::Start(
        info.Env(),
        [model, public_key, nonces, threads] {
          const auto& p = model->params;
          std::vector<NonceDigest> out(nonces.size());
          lgb::parallel_for(static_cast<int64_t>(nonces.size()), threads, [&](int64_t b, int64_t e) {
            std::vector<uint16_t> input(static_cast<size_t>(p.seq_len * p.dim));
            std::vector<int32_t> perm(static_cast<size_t>(p.vocab_size));
            std::vector<int64_t> perm64(perm.size());
            for (int64_t i = b; i < e; ++i) {
              lgb::nonce_input(model->block_hash, public_key, nonces[i], p.seq_len, p.dim, input.data());
              lgb::nonce_permutation(model->block_hash, public_key, nonces[i], p.vocab_size, perm.data());
              for (size_t j = 0; j < perm.size(); ++j) perm64[j] = perm[j];  // the reference hashes int64 LE
              out[i].input_sha256 = lgb::sha256_hex(input.data(), input.size() * sizeof(uint16_t));
              out[i].permutation_sha256 = lgb::sha256_hex(perm64.data(), perm64.size() * sizeof(int64_t));
            }
          });
          return out;
        },
        [](Napi::Env env, std::vector<NonceDigest>& digests) -> Napi::Value {
          Napi::Array arr = Napi::Array::New(env, digests.size());
          for (size_t i = 0; i < digests.size(); ++i) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("input_sha256", digests[i].input_sha256);
            o.Set("permutation_sha256", digests[i].permutation_sha256);
            arr.Set(i, o);
          }
          return arr;
        });
  });
}

Napi::Value NativeModel::TargetSha256(const Napi::CallbackInfo& info) {
  return Guarded(info, [&]() -> Napi::Value {
    const auto& t = Model()->target;
    return Napi::String::New(info.Env(), lgb::sha256_hex(t.data(), t.size() * sizeof(double)));
  });
}

}  // namespace lgb_binding
