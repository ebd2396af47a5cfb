// cuBLASLt behind the Gemm wrapper (see gemm.h). Row-major y = x·wᵀ is the column-major product
// yᵀ (n x m) = op(W) · X with W the column-major (k x n) view of w, transposed, and X the (k x m) view of x.
#include "cuda/gemm.h"

#include <cublasLt.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/check.h"

#define LGB_CUBLAS(expr)                                                                                  \
  do {                                                                                                    \
    cublasStatus_t lgb_st_ = (expr);                                                                      \
    if (lgb_st_ != CUBLAS_STATUS_SUCCESS)                                                                 \
      throw ::lgb::Error(::lgb::kErrDevice, std::string("cuBLASLt error at ") + __FILE__ + ":" +          \
                                                std::to_string(__LINE__) + ": " + #expr + ": " +          \
                                                cublasLtGetStatusName(lgb_st_) + " (" +                   \
                                                cublasLtGetStatusString(lgb_st_) + ")");                  \
  } while (0)

namespace lgb::cuda {
namespace {

// Largest power of two (at most 256) dividing both the address and the byte size of one leading dimension:
// the alignment every row of the operand starts at.
uint32_t alignment(const void* p, int64_t ld) {
  const uint64_t bits = reinterpret_cast<uintptr_t>(p) | static_cast<uint64_t>(ld * 2) | 256u;
  return static_cast<uint32_t>(bits & (~bits + 1));
}

// The alignment a plan is made for: 256 bytes, 16 bytes (16 to 128: the shifted pool copies give every value in
// this range, and kernels for 16 take them all: one plan instead of four), or the exact smaller value.
uint32_t alignment_class(uint32_t a) { return a >= 256 ? 256 : a >= 16 ? 16 : a; }

struct Layouts {
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  ~Layouts() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
  }
};

// (m, n, k, ldx, ldw, ldy, alignment x, w, y, tuned)
using PlanKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, uint32_t, uint32_t, uint32_t, bool>;

// Reduction schemes a split-K algorithm may use: float32 partial sums only (CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE),
// so the fp16 output is one rounding of a float32 sum (the in-place and output-type schemes add fp16 partials).
constexpr uint32_t kReductionMask = 2;
constexpr int kTimedRounds = 2;
constexpr float kSampleMs = 0.5f;  // small GEMMs are repeated to about this long per timed sample
// The heuristic's first pick stays unless another candidate is this much faster: on the H100 the candidates differ
// by up to ~8% in short bursts, by less than the run-to-run spread once the card sits at its power cap (NOTES.md),
// so only a clear win replaces it (fewer choices made by noise, the same pick from run to run more often).
constexpr float kMinGain = 0.03f;
// GEMMs with fewer rows (the last position's, a few microseconds each) keep the first pick: no tuning cost.
constexpr int64_t kMinTunedRows = 1024;

}  // namespace

struct Gemm::Impl {
  cublasLtHandle_t handle = nullptr;
  cublasLtMatmulDesc_t desc = nullptr;
  DeviceBuffer<unsigned char> workspace;
  int candidates = 1;
  std::map<PlanKey, std::unique_ptr<Layouts>> plans;
  std::vector<GemmTuning> tunings;
  cudaEvent_t ev[2] = {nullptr, nullptr};

  ~Impl() {
    plans.clear();
    for (auto e : ev) {
      if (e) cudaEventDestroy(e);
    }
    if (desc) cublasLtMatmulDescDestroy(desc);
    if (handle) cublasLtDestroy(handle);
  }

  cublasStatus_t run(const Layouts& p, const cublasLtMatmulAlgo_t& algo, const __half* x, const __half* w, __half* y,
                     cudaStream_t stream) {
    const float alpha = 1.f, beta = 0.f;
    return cublasLtMatmul(handle, desc, &alpha, w, p.a, x, p.b, &beta, y, p.c, y, p.c, &algo, workspace.get(),
                          workspace.bytes(), stream);
  }

  // Milliseconds per run of `algo` (reps runs between two events), or a negative value when it fails to run.
  float time_runs(const Layouts& p, const cublasLtMatmulAlgo_t& algo, int reps, const __half* x, const __half* w,
                  __half* y, cudaStream_t stream) {
    LGB_CUDA(cudaEventRecord(ev[0], stream));
    for (int r = 0; r < reps; ++r) {
      if (run(p, algo, x, w, y, stream) != CUBLAS_STATUS_SUCCESS) {
        LGB_CUDA(cudaStreamSynchronize(stream));
        cudaGetLastError();
        return -1.f;
      }
    }
    LGB_CUDA(cudaEventRecord(ev[1], stream));
    LGB_CUDA(cudaEventSynchronize(ev[1]));
    float ms = 0;
    LGB_CUDA(cudaEventElapsedTime(&ms, ev[0], ev[1]));
    return ms / reps;
  }

  std::vector<cublasLtMatmulHeuristicResult_t> heuristic(const Layouts& p, uint32_t ax, uint32_t aw, uint32_t ay,
                                                         int count, bool limit_reduction) {
    cublasLtMatmulPreference_t pref = nullptr;
    LGB_CUBLAS(cublasLtMatmulPreferenceCreate(&pref));
    const uint64_t ws = workspace.bytes();
    cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                                             sizeof(ws));
    if (st == CUBLAS_STATUS_SUCCESS)
      st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &aw, sizeof(aw));
    if (st == CUBLAS_STATUS_SUCCESS)
      st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &ax, sizeof(ax));
    if (st == CUBLAS_STATUS_SUCCESS)
      st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &ay, sizeof(ay));
    if (st == CUBLAS_STATUS_SUCCESS)
      st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &ay, sizeof(ay));
    if (st == CUBLAS_STATUS_SUCCESS && limit_reduction) {
      st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &kReductionMask,
                                                sizeof(kReductionMask));
    }
    std::vector<cublasLtMatmulHeuristicResult_t> results(static_cast<size_t>(count));
    int found = 0;
    if (st == CUBLAS_STATUS_SUCCESS)
      st = cublasLtMatmulAlgoGetHeuristic(handle, desc, p.a, p.b, p.c, p.c, pref, count, results.data(), &found);
    cublasLtMatmulPreferenceDestroy(pref);
    if (st == CUBLAS_STATUS_NOT_SUPPORTED) found = 0;  // nothing for these constraints
    else LGB_CUBLAS(st);
    results.resize(static_cast<size_t>(std::max(found, 0)));
    results.erase(std::remove_if(results.begin(), results.end(),
                                 [](const auto& r) { return r.state != CUBLAS_STATUS_SUCCESS; }),
                  results.end());
    return results;
  }

  const Layouts& plan(const PlanKey& key, const __half* x, const __half* w, __half* y, cudaStream_t stream) {
    auto it = plans.find(key);
    if (it != plans.end()) return *it->second;
    const auto [m, n, k, ldx, ldw, ldy, ax, aw, ay, tuned] = key;
    auto p = std::make_unique<Layouts>();
    LGB_CUBLAS(cublasLtMatrixLayoutCreate(&p->a, CUDA_R_16F, k, n, ldw));
    LGB_CUBLAS(cublasLtMatrixLayoutCreate(&p->b, CUDA_R_16F, k, m, ldx));
    LGB_CUBLAS(cublasLtMatrixLayoutCreate(&p->c, CUDA_R_16F, n, m, ldy));
    const int count = tuned ? candidates : 1;
    auto results = heuristic(*p, ax, aw, ay, count, true);
    if (results.empty()) results = heuristic(*p, ax, aw, ay, count, false);
    if (results.empty()) {
      throw Error(kErrDevice, "cuBLASLt has no fp16 GEMM algorithm for m=" + std::to_string(m) +
                                  " n=" + std::to_string(n) + " k=" + std::to_string(k));
    }
    GemmTuning t;
    t.m = m, t.n = n, t.k = k, t.weight_alignment = aw, t.candidates = static_cast<int>(results.size());
    p->algo = results[0].algo;
    if (results.size() > 1) {
      // Warm-up run of each candidate (also drops those that fail), then interleaved timed rounds: best per candidate.
      std::vector<float> best(results.size(), -1.f);
      std::vector<int> reps(results.size(), 1);
      for (size_t i = 0; i < results.size(); ++i) {
        const float ms = time_runs(*p, results[i].algo, 1, x, w, y, stream);
        if (ms < 0) continue;
        reps[i] = std::clamp(static_cast<int>(kSampleMs / std::max(ms, 1e-3f)), 1, 64);
        best[i] = 1e30f;
      }
      for (int round = 0; round < kTimedRounds; ++round) {
        for (size_t i = 0; i < results.size(); ++i) {
          if (best[i] < 0) continue;
          const float ms = time_runs(*p, results[i].algo, reps[i], x, w, y, stream);
          if (ms < 0) best[i] = -1.f;
          else best[i] = std::min(best[i], ms);
        }
      }
      // The heuristic's first pick stays unless another is at least kMinGain faster.
      int chosen = best[0] > 0 ? 0 : -1;
      for (size_t i = 1; i < results.size(); ++i) {
        if (best[i] > 0 && (chosen < 0 || best[i] < (1.f - kMinGain) * best[chosen])) chosen = static_cast<int>(i);
      }
      if (chosen < 0) {
        throw Error(kErrDevice, "no cuBLASLt algorithm ran for m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                    " k=" + std::to_string(k));
      }
      p->algo = results[static_cast<size_t>(chosen)].algo;
      t.chosen = chosen;
      t.first_ms = std::max(best[0], 0.f);
      t.best_ms = best[static_cast<size_t>(chosen)];
    }
    tunings.push_back(t);
    return *plans.emplace(key, std::move(p)).first->second;
  }
};

Gemm::Gemm(size_t workspace_bytes, int candidates) : impl_(std::make_unique<Impl>()) {
  impl_->candidates = std::max(1, candidates);
  LGB_CUBLAS(cublasLtCreate(&impl_->handle));
  LGB_CUBLAS(cublasLtMatmulDescCreate(&impl_->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  LGB_CUBLAS(cublasLtMatmulDescSetAttribute(impl_->desc, CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof(transa)));
  LGB_CUBLAS(cublasLtMatmulDescSetAttribute(impl_->desc, CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof(transb)));
  for (auto& e : impl_->ev) LGB_CUDA(cudaEventCreate(&e));
  impl_->workspace = DeviceBuffer<unsigned char>(workspace_bytes);
}

Gemm::~Gemm() = default;

size_t Gemm::workspace_bytes() const { return impl_->workspace.bytes(); }

std::vector<GemmTuning> Gemm::tunings() const { return impl_->tunings; }

void Gemm::matmul(const __half* x, int64_t ldx, const __half* w, int64_t ldw, __half* y, int64_t ldy, int64_t m,
                  int64_t n, int64_t k, cudaStream_t stream, bool tune) {
  if (m <= 0 || n <= 0) return;
  const PlanKey key{m,
                    n,
                    k,
                    ldx,
                    ldw,
                    ldy,
                    alignment_class(alignment(x, ldx)),
                    alignment_class(alignment(w, ldw)),
                    alignment_class(alignment(y, ldy)),
                    tune && impl_->candidates > 1 && m >= kMinTunedRows};
  const Layouts& p = impl_->plan(key, x, w, y, stream);
  LGB_CUBLAS(impl_->run(p, p.algo, x, w, y, stream));
}

}  // namespace lgb::cuda
