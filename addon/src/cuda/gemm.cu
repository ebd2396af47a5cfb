// cuBLASLt behind the Gemm wrapper (see gemm.h). Row-major y = x·wᵀ is the column-major product
// yᵀ (n x m) = op(W) · X with W the column-major (k x n) view of w, transposed, and X the (k x m) view of x.
#include "cuda/gemm.h"

#include <cublasLt.h>

#include <map>
#include <string>
#include <tuple>

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

struct Layouts {
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  ~Layouts() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
  }
};

using PlanKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, uint32_t, uint32_t, uint32_t>;

}  // namespace

struct Gemm::Impl {
  cublasLtHandle_t handle = nullptr;
  cublasLtMatmulDesc_t desc = nullptr;
  DeviceBuffer<unsigned char> workspace;
  std::map<PlanKey, std::unique_ptr<Layouts>> plans;

  ~Impl() {
    plans.clear();
    if (desc) cublasLtMatmulDescDestroy(desc);
    if (handle) cublasLtDestroy(handle);
  }

  const Layouts& plan(const PlanKey& key) {
    auto it = plans.find(key);
    if (it != plans.end()) return *it->second;
    const auto [m, n, k, ldx, ldw, ldy, ax, aw, ay] = key;
    auto p = std::make_unique<Layouts>();
    LGB_CUBLAS(cublasLtMatrixLayoutCreate(&p->a, CUDA_R_16F, k, n, ldw));
    LGB_CUBLAS(cublasLtMatrixLayoutCreate(&p->b, CUDA_R_16F, k, m, ldx));
    LGB_CUBLAS(cublasLtMatrixLayoutCreate(&p->c, CUDA_R_16F, n, m, ldy));
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
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    if (st == CUBLAS_STATUS_SUCCESS)
      st = cublasLtMatmulAlgoGetHeuristic(handle, desc, p->a, p->b, p->c, p->c, pref, 1, &result, &found);
    cublasLtMatmulPreferenceDestroy(pref);
    LGB_CUBLAS(st);
    if (found < 1) {
      throw Error(kErrDevice, "cuBLASLt has no fp16 GEMM algorithm for m=" + std::to_string(m) +
                                  " n=" + std::to_string(n) + " k=" + std::to_string(k));
    }
    p->algo = result.algo;
    return *plans.emplace(key, std::move(p)).first->second;
  }
};

Gemm::Gemm(size_t workspace_bytes) : impl_(std::make_unique<Impl>()) {
  LGB_CUBLAS(cublasLtCreate(&impl_->handle));
  LGB_CUBLAS(cublasLtMatmulDescCreate(&impl_->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  LGB_CUBLAS(cublasLtMatmulDescSetAttribute(impl_->desc, CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof(transa)));
  LGB_CUBLAS(cublasLtMatmulDescSetAttribute(impl_->desc, CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof(transb)));
  impl_->workspace = DeviceBuffer<unsigned char>(workspace_bytes);
}

Gemm::~Gemm() = default;

size_t Gemm::workspace_bytes() const { return impl_->workspace.bytes(); }

void Gemm::matmul(const __half* x, int64_t ldx, const __half* w, int64_t ldw, __half* y, int64_t ldy, int64_t m,
                  int64_t n, int64_t k, cudaStream_t stream) {
  if (m <= 0 || n <= 0) return;
  const PlanKey key{m, n, k, ldx, ldw, ldy, alignment(x, ldx), alignment(w, ldw), alignment(y, ldy)};
  const Layouts& p = impl_->plan(key);
  const float alpha = 1.f, beta = 0.f;
  LGB_CUBLAS(cublasLtMatmul(impl_->handle, impl_->desc, &alpha, w, p.a, x, p.b, &beta, y, p.c, y, p.c, &p.algo,
                            impl_->workspace.get(), impl_->workspace.bytes(), stream));
}

}  // namespace lgb::cuda
