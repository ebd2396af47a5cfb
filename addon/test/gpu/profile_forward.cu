// Where the CUDA forward's time goes (for addon/src/cuda/NOTES.md): builds a model on the GPU in each weight mode
// asked for (shifted pool copies, materialised, the pool alone), then for each batch size times whole forwards with
// CUDA events (median of 3 after a warm-up) and one forward op by op (OpTimer), and prints what the GEMM tuning
// chose per shape. Also times the w1 GEMM with its weight at each alignment from 2 to 256 bytes (what separates the
// modes), and the two SwiGLU kernels and the two tensor-core attention variants on the forward's buffers. `gemm`
// first runs the GEMM sweep: the forward's GEMM shapes and 8192³ with cuBLASLt's first pick against the tuned pick,
// at 32 and 64 MiB of workspace.
//
//   lgb_cuda_profile [v1|v2] [batch ...] [shifted_copies|materialised|pool[:h] ...] [gemm]
//                                          (":h": that mode with cuBLASLt's first pick, untuned)
//                                          one JSON object per line on stdout (default: 64, the first two modes)
// Built only on request: cmake --build build --target lgb_cuda_profile (CUDA backend on).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/nonce.h"
#include "cuda/check.h"
#include "cuda/forward.h"
#include "cuda/ops.h"

using namespace lgb;

namespace {

ModelParams preset(const std::string& name) {
  ModelParams p;
  p.vocab_size = 8196;
  p.ffn_dim_multiplier = 10.0;
  p.rope_theta = 10000.0;
  if (name == "v1") {
    p.dim = 1024, p.n_layers = 32, p.n_heads = 32, p.n_kv_heads = 32, p.multiple_of = 2048, p.seq_len = 128;
  } else {
    p.dim = 1792, p.n_layers = 64, p.n_heads = 64, p.n_kv_heads = 64, p.multiple_of = 8192, p.seq_len = 256;
  }
  return p;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void print_tunings(const char* where, const cuda::Gemm& gemm) {
  for (const auto& t : gemm.tunings()) {
    std::printf("{\"what\":\"gemm_tuning\",\"where\":\"%s\",\"m\":%lld,\"n\":%lld,\"k\":%lld,"
                "\"weight_alignment\":%u,\"candidates\":%d,\"chosen\":%d,\"first_ms\":%.4f,\"best_ms\":%.4f}\n",
                where, static_cast<long long>(t.m), static_cast<long long>(t.n), static_cast<long long>(t.k),
                t.weight_alignment, t.candidates, t.chosen, t.first_ms, t.best_ms);
  }
  std::fflush(stdout);
}

// Milliseconds of `fn` enqueued on `stream`, median of `reps` after one warm-up.
template <typename F>
double time_ms(cudaStream_t stream, int reps, F fn) {
  cudaEvent_t a, b;
  LGB_CUDA(cudaEventCreate(&a));
  LGB_CUDA(cudaEventCreate(&b));
  fn();
  std::vector<float> ms;
  for (int i = 0; i < reps; ++i) {
    LGB_CUDA(cudaEventRecord(a, stream));
    fn();
    LGB_CUDA(cudaEventRecord(b, stream));
    LGB_CUDA(cudaEventSynchronize(b));
    float t = 0;
    LGB_CUDA(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// The GEMM sweep: each shape with random operands, for each (workspace, candidates): the rate of the kept algorithm
// (median of 9 after the tuning and 3 warm-ups) and what the tuning saw.
void gemm_sweep(const ModelParams& p, int64_t batch, cudaStream_t stream) {
  const int64_t rows = batch * p.seq_len, dim = p.dim, ffn = p.ffn_hidden_dim();
  const int64_t shapes[][4] = {{rows, ffn, dim, 0}, {rows, dim, ffn, 0}, {rows, dim, dim, 0}, {8192, 8192, 8192, 1}};
  const char* names[] = {"w1 w3", "w2", "wq wk wv wo", "peak 8192^3"};
  for (size_t si = 0; si < 4; ++si) {
    const int64_t m = shapes[si][0], n = shapes[si][1], k = shapes[si][2];
    cuda::DeviceBuffer<__half> x(static_cast<size_t>(m * k)), w(static_cast<size_t>(n * k)),
        y(static_cast<size_t>(m * n));
    LGB_CUDA(cuda::launch_fill_random(x.get(), m * k, 11 + si, stream));
    LGB_CUDA(cuda::launch_fill_random(w.get(), n * k, 23 + si, stream));
    for (const size_t ws : {size_t{32} << 20, size_t{64} << 20}) {
      for (const int candidates : {1, 16}) {
        cuda::Gemm gemm(ws, candidates);
        auto run = [&] { gemm.matmul(x.get(), k, w.get(), k, y.get(), n, m, n, k, stream, true); };
        run();
        for (int i = 0; i < 2; ++i) run();
        const double ms = time_ms(stream, 9, run);
        const auto t = gemm.tunings().front();
        std::printf("{\"what\":\"gemm_sweep\",\"shape\":\"%s\",\"m\":%lld,\"n\":%lld,\"k\":%lld,\"workspace_mib\":%zu,"
                    "\"candidates_asked\":%d,\"candidates\":%d,\"chosen\":%d,\"first_ms\":%.4f,\"best_ms\":%.4f,"
                    "\"ms\":%.4f,\"tflops\":%.1f}\n",
                    names[si], static_cast<long long>(m), static_cast<long long>(n), static_cast<long long>(k),
                    ws >> 20, candidates, t.candidates, t.chosen, t.first_ms, t.best_ms, ms,
                    2.0 * m * n * k / (ms * 1e-3) / 1e12);
        std::fflush(stdout);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string name = argc > 1 ? argv[1] : "v2";
    std::vector<int64_t> batches;
    // (mode, GEMM candidates): a mode name with ":h" keeps cuBLASLt's first pick (no tuning), for comparison.
    std::vector<std::pair<cuda::WeightMode, int>> modes;
    bool sweep = false;
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      const bool heuristic = a.size() > 2 && a.compare(a.size() - 2, 2, ":h") == 0;
      if (heuristic) a.resize(a.size() - 2);
      const int candidates = heuristic ? 1 : cuda::Gemm::kDefaultCandidates;
      if (a == "gemm") sweep = true;
      else if (a == "shifted_copies") modes.emplace_back(cuda::WeightMode::kShiftedCopies, candidates);
      else if (a == "materialised") modes.emplace_back(cuda::WeightMode::kMaterialised, candidates);
      else if (a == "pool") modes.emplace_back(cuda::WeightMode::kPool, candidates);
      else batches.push_back(std::stoll(a));
    }
    if (batches.empty()) batches = {64};
    if (modes.empty()) {
      modes = {{cuda::WeightMode::kShiftedCopies, cuda::Gemm::kDefaultCandidates},
               {cuda::WeightMode::kMaterialised, cuda::Gemm::kDefaultCandidates}};
    }
    const ModelParams p = preset(name);
    const std::string block = "005C2E3978768692556A88912DD0C44BA49F87001C41E815C1C010AEF25EFF56";
    const std::string key = "02b84b25628f800e36925811aa24aaf28c9f827333d2df990762b5c3a86eff7c9b";

    LGB_CUDA(cudaSetDevice(0));
    cudaStream_t stream;
    LGB_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    if (sweep) gemm_sweep(p, batches.front(), stream);

    auto t0 = std::chrono::steady_clock::now();
    auto host = build_host_model(block, p, 0);
    const double host_s = seconds_since(t0);
    // FLOPs per nonce as addon/lib/params.ts flopsPerNonce counts them (last-position shortcut).
    const double flops_per_nonce = [&] {
      const double d = p.dim, hd = p.head_dim(), h = p.ffn_hidden_dim(), s = p.seq_len, L = p.n_layers;
      const double qkvo = d * (p.n_heads * hd) * 2 + d * (p.n_kv_heads * hd) * 2, ffn = 3 * d * h;
      const double kv = d * (p.n_kv_heads * hd) * 2;
      return (L - 1) * 2 * s * (qkvo + ffn) + 2 * s * kv + 2 * (qkvo - kv + ffn) + (L - 1) * 2 * s * s * d +
             4 * s * d + 2 * p.vocab_size * d;
    }();

    for (size_t mi = 0; mi < modes.size(); ++mi) {
      const auto [mode, candidates] = modes[mi];
      const std::string mode_name = std::string(cuda::weight_mode_name(mode)) + (candidates == 1 ? ":h" : "");
      // The product's workspace, a fresh tuning per mode (weight alignments differ).
      cuda::Gemm gemm(cuda::Gemm::kDefaultWorkspace, candidates);
      t0 = std::chrono::steady_clock::now();
      cuda::DeviceWeights weights(*host, mode, stream);
      const double upload_s = seconds_since(t0);
      std::printf("{\"what\":\"load\",\"params\":\"%s\",\"mode\":\"%s\",\"host_model_s\":%.3f,"
                  "\"device_weights_s\":%.3f,\"weight_bytes\":%llu}\n",
                  name.c_str(), mode_name.c_str(), host_s, upload_s, static_cast<unsigned long long>(weights.bytes()));
      std::fflush(stdout);

      for (int64_t batch : batches) {
        cuda::Activations act(p, batch);
        BatchInputs in;
        std::vector<uint64_t> nonces(batch);
        for (int64_t i = 0; i < batch; ++i) nonces[i] = i;
        t0 = std::chrono::steady_clock::now();
        make_batch_inputs(*host, key, nonces, 0, &in);
        const double inputs_s = seconds_since(t0);
        // The forward overwrites h, so every timed run starts from the same uploaded inputs.
        cuda::DeviceBuffer<__half> inputs(in.inputs.size());
        LGB_CUDA(cudaMemcpyAsync(inputs.get(), in.inputs.data(), inputs.bytes(), cudaMemcpyHostToDevice, stream));
        LGB_CUDA(cudaMemcpyAsync(act.perm.get(), in.permutations.data(), in.permutations.size() * 4,
                                 cudaMemcpyHostToDevice, stream));
        auto forward = [&](cuda::OpTimer* timer) {
          LGB_CUDA(cudaMemcpyAsync(act.h.get(), inputs.get(), inputs.bytes(), cudaMemcpyDeviceToDevice, stream));
          cuda::enqueue_forward(gemm, weights, p, host->layout, act, batch, stream, timer);
        };
        // The first forward of a shape also tunes its GEMMs: timed apart (the cold start pays it once).
        LGB_CUDA(cudaStreamSynchronize(stream));
        t0 = std::chrono::steady_clock::now();
        forward(nullptr);
        LGB_CUDA(cudaStreamSynchronize(stream));
        const double first_s = seconds_since(t0);
        const double ms = time_ms(stream, 3, [&] { forward(nullptr); });
        cuda::OpTimer timer;
        forward(&timer);
        LGB_CUDA(cudaStreamSynchronize(stream));
        const auto ops = timer.collect();
        double op_total = 0;
        for (const auto& [op, t] : ops) op_total += t;
        std::vector<double> dist(batch);
        LGB_CUDA(cudaMemcpy(dist.data(), act.dist.get(), batch * sizeof(double), cudaMemcpyDeviceToHost));
        std::printf("{\"what\":\"forward\",\"params\":\"%s\",\"mode\":\"%s\",\"batch\":%lld,\"ms\":%.3f,"
                    "\"nonces_per_s\":%.3f,\"tflops\":%.1f,\"first_forward_s\":%.3f,\"inputs_cpu_s\":%.4f,"
                    "\"dist0\":%.9f,\"ops_ms\":{",
                    name.c_str(), mode_name.c_str(), static_cast<long long>(batch), ms, batch / (ms * 1e-3),
                    flops_per_nonce * batch / (ms * 1e-3) / 1e12, first_s, inputs_s, dist[0]);
        for (size_t i = 0; i < ops.size(); ++i)
          std::printf("%s\"%s\":%.3f", i ? "," : "", ops[i].first.c_str(), ops[i].second);
        std::printf("},\"ops_total_ms\":%.3f}\n", op_total);
        std::fflush(stdout);

        if (batch != batches.front() || mi != 0) continue;
        const int64_t rows = batch * p.seq_len, ffn = p.ffn_hidden_dim();
        {  // The two SwiGLU kernels on the forward's a and b (a refilled before each run: no shrinking values).
          const int64_t n = rows * ffn;
          LGB_CUDA(cuda::launch_fill_random(act.b.get(), n, 7, stream));
          for (const bool vec : {false, true}) {
            std::vector<float> runs;
            for (int r = 0; r < 6; ++r) {
              LGB_CUDA(cuda::launch_fill_random(act.a.get(), n, 5 + r, stream));
              runs.push_back(static_cast<float>(time_ms(stream, 1, [&] {
                LGB_CUDA(vec ? cuda::launch_swiglu(act.a.get(), act.b.get(), n, stream)
                             : cuda::launch_swiglu_pairs(act.a.get(), act.b.get(), n, stream));
              })));
            }
            std::sort(runs.begin(), runs.end());
            std::printf("{\"what\":\"swiglu\",\"kernel\":\"%s\",\"values\":%lld,\"ms\":%.4f,\"tb_per_s\":%.3f}\n",
                        vec ? "16-byte" : "4-byte", static_cast<long long>(n), runs[runs.size() / 2],
                        6.0 * n / (runs[runs.size() / 2] * 1e-3) / 1e12);
            std::fflush(stdout);
          }
        }
        {  // Attention on the last forward's q, k, v: scores recomputed in each pass, or kept.
          const cuda::AttentionShape shape{batch, p.seq_len, p.n_heads, p.n_kv_heads, p.head_dim()};
          for (const bool keep : {false, true}) {
            const double ams = time_ms(stream, 7, [&] {
              LGB_CUDA(cuda::launch_attention_mma(act.q.get(), act.k.get(), act.v.get(), act.att.get(), shape, false,
                                                  stream, keep));
            });
            std::printf("{\"what\":\"attention\",\"kernel\":\"%s\",\"ms\":%.4f}\n", keep ? "kept" : "recomputed",
                        ams);
            std::fflush(stdout);
          }
        }
        // The w1 GEMM with its weight at 2 ... 256-byte alignment (offsets in a separate buffer).
        const auto& li = host->layout.layers[0];
        cuda::DeviceBuffer<__half> own(static_cast<size_t>(ffn * p.dim + 128));
        for (int64_t off : {0, 1, 2, 4, 8, 16, 32, 64}) {
          LGB_CUDA(cudaMemcpyAsync(own.get() + off, weights.weight(li.w1), ffn * p.dim * sizeof(__half),
                                   cudaMemcpyDeviceToDevice, stream));
          auto run = [&] {
            gemm.matmul(act.x.get(), p.dim, own.get() + off, p.dim, act.a.get(), ffn, rows, ffn, p.dim, stream, true);
          };
          run();
          const double gms = time_ms(stream, 7, run);
          std::printf("{\"what\":\"w1_gemm\",\"rows\":%lld,\"weight_alignment_bytes\":%d,\"ms\":%.4f,"
                      "\"tflops\":%.1f}\n",
                      static_cast<long long>(rows), off == 0 ? 256 : static_cast<int>(off * 2), gms,
                      2.0 * rows * ffn * p.dim / (gms * 1e-3) / 1e12);
          std::fflush(stdout);
        }
      }
      print_tunings(mode_name.c_str(), gemm);
    }
    cudaStreamDestroy(stream);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lgb_cuda_profile: %s\n", e.what());
    return 1;
  }
}
