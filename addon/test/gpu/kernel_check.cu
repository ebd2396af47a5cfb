// Each CUDA kernel against its CPU counterpart (addon/src/cpu/, the reference) on random fp16 data, one op at a
// time, so that a failing golden comparison can be traced to an op (llm.c's dev/cuda habit). Shapes include the
// awkward ones: head_dim 28, odd row counts, a vocabulary not a multiple of 8, a weight at a 2-byte offset.
//
// For each op: the largest difference in fp16 ulps and the share of elements that differ. Ops whose float32 math
// is the CPU's op for op (rope, swiglu, residual) must match exactly up to expf's last bit (<= 1 ulp, rare);
// reductions (rmsnorm, GEMM) sum in another order and may differ by 1 ulp now and then. Attention is the exception
// that amplifies: a score whose fp16 rounding flips (another summation order) moves its softmax weight by up to
// one fp16 ulp of the score, and through exp that moves the row's outputs by several ulps. So attention passes when
// at most 1e-3 of its values (at least one) are off by more than 2 ulps (the first H100 run: 9 ulps at worst, 3.7e-4
// differing). A tuned GEMM (cuda/gemm.h) gets the same allowance: another summation order, near-zero sums.
//
//   lgb_cuda_kernel_check        one JSON object per op on stdout; exit 1 when an op is off
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/distance.h"
#include "core/half.h"
#include "cpu/fp16.h"
#include "cpu/gemm.h"
#include "cpu/ops.h"
#include "cuda/buffer.h"
#include "cuda/check.h"
#include "cuda/gemm.h"
#include "cuda/ops.h"

using namespace lgb;
using cuda::DeviceBuffer;

namespace {

std::mt19937_64 rng(12345);

// Random fp16 bit patterns of N(0, scale) values (fresh data for every op).
std::vector<uint16_t> random_half(int64_t n, float scale) {
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<uint16_t> v(n);
  for (auto& x : v) x = float_to_half(dist(rng));
  return v;
}

std::vector<float> to_float(const std::vector<uint16_t>& h) {
  std::vector<float> f(h.size());
  for (size_t i = 0; i < h.size(); ++i) f[i] = half_to_float(h[i]);
  return f;
}

DeviceBuffer<__half> upload(const std::vector<uint16_t>& h) {
  DeviceBuffer<__half> d(h.size());
  LGB_CUDA(cudaMemcpy(d.get(), h.data(), h.size() * 2, cudaMemcpyHostToDevice));
  return d;
}

std::vector<uint16_t> download(const DeviceBuffer<__half>& d, size_t n) {
  std::vector<uint16_t> h(n);
  LGB_CUDA(cudaDeviceSynchronize());
  LGB_CUDA(cudaMemcpy(h.data(), d.get(), n * 2, cudaMemcpyDeviceToHost));
  return h;
}

// fp16 values ordered as integers: the distance in ulps between two finite halves.
int64_t ordered(uint16_t h) { return h & 0x8000 ? -static_cast<int64_t>(h & 0x7fff) : static_cast<int64_t>(h); }

// ok: every value within 2 ulps, or (allowed_share > 0) at most that share of values (at least one) beyond 2 ulps.
bool report(const std::string& op, const std::vector<uint16_t>& gpu, const std::vector<float>& cpu_vals,
            double allowed_share = 0) {
  int64_t max_ulp = 0, differ = 0, beyond = 0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    const uint16_t c = float_to_half(cpu_vals[i]);
    const bool nan = (gpu[i] & 0x7c00) == 0x7c00;
    const int64_t u = nan ? 1 << 20 : std::llabs(ordered(gpu[i]) - ordered(c));
    max_ulp = std::max(max_ulp, u);
    differ += u != 0;
    beyond += u > 2;
  }
  // At least one value may be beyond 2 ulps wherever a share is allowed (a last-row case has only a few hundred).
  const double allowed = allowed_share > 0 ? std::max(1.0, std::ceil(allowed_share * gpu.size())) : 0.0;
  const bool ok = max_ulp < (1 << 20) && static_cast<double>(beyond) <= allowed;
  std::printf("{\"op\":\"%s\",\"values\":%zu,\"max_ulp\":%lld,\"share_differing\":%.2e,\"beyond_2_ulps\":%lld,"
              "\"ok\":%s}\n",
              op.c_str(), gpu.size(), static_cast<long long>(max_ulp), static_cast<double>(differ) / gpu.size(),
              static_cast<long long>(beyond), ok ? "true" : "false");
  std::fflush(stdout);
  return ok;
}

}  // namespace

int main() {
  try {
    cpu::Workers workers(0);
    bool ok = true;
    cudaStream_t st = nullptr;  // legacy default stream: every launch in order

    for (int64_t dim : {100, 112, 1792}) {  // residual add + RMSNorm (100: the 2-byte kernel, else 16-byte)
      const int64_t rows = 37;
      auto h = random_half(rows * dim, 1.f), delta = random_half(rows * dim, 0.5f), w = random_half(dim, 1.f);
      auto dh = upload(h), dd = upload(delta), dw = upload(w);
      DeviceBuffer<__half> out(rows * dim);
      LGB_CUDA(cuda::launch_add_rmsnorm(dh.get(), dd.get(), dw.get(), out.get(), rows, dim, 1e-5f, st));
      auto fh = to_float(h), fd = to_float(delta), fw = to_float(w);
      std::vector<float> fo(rows * dim);
      cpu::residual_add(workers, fh.data(), dim, fd.data(), dim, rows, dim);
      cpu::rmsnorm(workers, fh.data(), dim, rows, dim, fw.data(), 1e-5f, fo.data(), dim);
      ok &= report("residual dim " + std::to_string(dim), download(dh, rows * dim), fh);
      ok &= report("add+rmsnorm dim " + std::to_string(dim), download(out, rows * dim), fo);
    }

    for (const int64_t heads : {5, 64}) {  // RoPE: 2 nonces x 24 positions of 28-wide heads (64 heads: 16-byte)
      const int64_t seq = 24, rows = 2 * seq, hd = 28;
      auto x = random_half(rows * heads * hd, 1.f);
      auto c = random_half(2 * seq * hd / 2, 0.7f), s = random_half(2 * seq * hd / 2, 0.7f);
      auto dx = upload(x), dc = upload(c), ds = upload(s);
      LGB_CUDA(cuda::launch_rope(dx.get(), rows, heads, hd, seq, dc.get(), ds.get(), st));
      auto fx = to_float(x), fc = to_float(c), fs = to_float(s);
      cpu::rope(workers, fx.data(), heads * hd, rows, heads, hd, seq, 0, fc.data(), fs.data());
      ok &= report("rope heads " + std::to_string(heads), download(dx, x.size()), fx);
    }

    // Attention: GQA 6 heads over 2 kv heads, odd sequence length; both kernels (tensor-core one: head_dim <= 128).
    const int64_t attention_cases[][2] = {{16, 33}, {28, 33}, {28, 256}, {32, 33}, {96, 33}, {160, 33}};
    for (const auto& hd_seq : attention_cases) {
      const int64_t hd = hd_seq[0], seq = hd_seq[1], batch = 3, heads = 6, kv = 2;
      auto q = random_half(batch * seq * heads * hd, 1.f), k = random_half(batch * seq * kv * hd, 1.f),
           v = random_half(batch * seq * kv * hd, 1.f);
      auto dq = upload(q), dk = upload(k), dv = upload(v);
      auto fq = to_float(q), fk = to_float(k), fv = to_float(v);
      std::vector<float> fo(batch * seq * heads * hd);
      cpu::AttentionScratch scratch;
      cpu::attention(workers, scratch, fq.data(), fk.data(), fv.data(), batch, seq, seq, heads, kv, hd, fo.data());
      std::vector<float> flast;
      for (int64_t b = 0; b < batch; ++b)
        flast.insert(flast.end(), fo.begin() + ((b * seq + seq - 1) * heads * hd),
                     fo.begin() + ((b * seq + seq) * heads * hd));
      const cuda::AttentionShape shape{batch, seq, heads, kv, hd};
      for (const int kernel : {0, 1, 2}) {  // CUDA cores; tensor cores recomputing the scores; keeping them
        const bool mma = kernel > 0;
        if (mma && cuda::attention_mma_smem_bytes(shape) == 0) continue;
        auto launch = [&](__half* o, bool last_only) {
          return mma ? cuda::launch_attention_mma(dq.get(), dk.get(), dv.get(), o, shape, last_only, st, kernel == 2)
                     : cuda::launch_attention_simt(dq.get(), dk.get(), dv.get(), o, shape, last_only, st);
        };
        const char* names[] = {"attention simt", "attention mma", "attention mma kept"};
        const std::string name = std::string(names[kernel]) + " hd " + std::to_string(hd) + " seq " +
                                 std::to_string(seq);
        DeviceBuffer<__half> out(batch * seq * heads * hd), last(batch * heads * hd);
        LGB_CUDA(launch(out.get(), false));
        LGB_CUDA(launch(last.get(), true));
        ok &= report(name, download(out, out.size()), fo, 1e-3);
        ok &= report(name + " last row", download(last, last.size()), flast, 1e-3);
      }
    }

    // SwiGLU: the 16-byte kernel with a scalar tail (1001, 4100), without (4096), and the 4-byte kernel.
    for (int64_t n : {1001, 4096, 4100, -4096}) {
      const bool pairs = n < 0;
      n = pairs ? -n : n;
      auto a = random_half(n, 2.f), b = random_half(n, 1.f);
      auto da = upload(a), db = upload(b);
      LGB_CUDA(pairs ? cuda::launch_swiglu_pairs(da.get(), db.get(), n, st)
                     : cuda::launch_swiglu(da.get(), db.get(), n, st));
      // The CPU's silu (cpu/swiglu.cc), then fp16(fp16(silu(a)) * b) (report rounds the product to fp16).
      auto fa = to_float(a), fb = to_float(b);
      cpu::silu_inplace(fa.data(), n);
      for (int64_t i = 0; i < n; ++i) fa[i] = half_to_float(float_to_half(fa[i])) * fb[i];
      ok &= report(std::string(pairs ? "swiglu 4-byte n " : "swiglu n ") + std::to_string(n), download(da, n), fa);
    }

    // GEMM, weight at a 16-byte and at a 2-byte aligned address; the heuristic's pick, then the tuned one.
    for (const int64_t variant : {0, 3, 10, 13}) try {
      const int64_t offset = variant % 10;
      const bool tune = variant >= 10;
      const int64_t m = tune ? 1031 : 37, n = 97, k = 112, ldy = 104;  // tuning takes 1024 rows or more
      auto x = random_half(m * k, 1.f), w = random_half(n * k + offset, 0.05f);
      auto dx = upload(x), dw = upload(w);
      DeviceBuffer<__half> y(m * ldy);
      cuda::Gemm gemm(4u << 20);
      gemm.matmul(dx.get(), k, dw.get() + offset, k, y.get(), ldy, m, n, k, st, tune);
      auto fx = to_float(x);
      cpu::PackedRows packed;
      cpu::pack_rows(workers, fx.data(), k, m, k, &packed);
      cpu::GemmScratch scratch;
      std::vector<float> fy(m * n);
      cpu::gemm_fp16w(workers, scratch, packed, w.data() + offset, n, fy.data(), n);
      auto gy = download(y, m * ldy);
      std::vector<uint16_t> packed_y;
      for (int64_t r = 0; r < m; ++r) packed_y.insert(packed_y.end(), gy.begin() + r * ldy, gy.begin() + r * ldy + n);
      // A tuned pick may sum in another order (split-K with a float32 reduction): a sum that cancels to near zero
      // can then differ by a few of its own (tiny) ulps, as attention's flips do.
      ok &= report(std::string(tune ? "gemm tuned " : "gemm ") + std::to_string(m) + "x97x112 weight offset " +
                       std::to_string(offset),
                   packed_y, fy, tune ? 1e-3 : 0);
    } catch (const std::exception& e) {
      std::printf("{\"op\":\"gemm variant %lld\",\"error\":\"%s\",\"ok\":false}\n",
                  static_cast<long long>(variant), e.what());
      ok = false;
    }

    {  // distance: same logits in, bit-identical distance out (numpy's pairwise order on both sides)
      const int64_t batch = 3, vocab = 8196, ld = 8200;
      auto logits = random_half(batch * ld, 0.02f);
      std::vector<int32_t> perm(batch * vocab);
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t j = 0; j < vocab; ++j) perm[b * vocab + j] = static_cast<int32_t>(j);
        std::shuffle(perm.begin() + b * vocab, perm.begin() + (b + 1) * vocab, rng);
      }
      std::vector<double> target(vocab);
      std::normal_distribution<double> nd(0, 1);
      double nn = 0;
      for (auto& t : target) nn += (t = nd(rng)) * t;
      for (auto& t : target) t /= std::sqrt(nn);
      auto dl = upload(logits);
      DeviceBuffer<int32_t> dp(perm.size());
      DeviceBuffer<double> dt(vocab), dd(batch);
      LGB_CUDA(cudaMemcpy(dp.get(), perm.data(), perm.size() * 4, cudaMemcpyHostToDevice));
      LGB_CUDA(cudaMemcpy(dt.get(), target.data(), vocab * 8, cudaMemcpyHostToDevice));
      LGB_CUDA(cuda::launch_distance(dl.get(), ld, dp.get(), dt.get(), vocab, batch, dd.get(), st));
      std::vector<double> got(batch);
      LGB_CUDA(cudaDeviceSynchronize());
      LGB_CUDA(cudaMemcpy(got.data(), dd.get(), batch * 8, cudaMemcpyDeviceToHost));
      double max_diff = 0;
      for (int64_t b = 0; b < batch; ++b) {
        std::vector<float> z(vocab);
        for (int64_t j = 0; j < vocab; ++j) z[j] = half_to_float(logits[b * ld + j]);
        max_diff = std::max(max_diff, std::fabs(got[b] - distance_to_target(z.data(), perm.data() + b * vocab,
                                                                             target.data(), vocab)));
      }
      std::printf("{\"op\":\"distance\",\"max_abs_diff\":%.3e,\"ok\":%s}\n", max_diff, max_diff == 0 ? "true" : "false");
      ok &= max_diff < 1e-12;
    }
    std::printf("{\"all_ok\":%s}\n", ok ? "true" : "false");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lgb_cuda_kernel_check: %s\n", e.what());
    return 1;
  }
}
