// Causal grouped-query attention on the tensor cores (mma.sync m16n8k16, fp16 in, float32 accumulate): the same
// function as attention.cu (cpu/attention.cc's rounding points), for head_dim up to 128 padded to 16/32/64/128.
//
// One block per (nonce, head) holds K (seq16 x hdp, row-major) and Vᵀ (hdp x seq16) of its kv head in shared memory,
// zero-padded (seq16 = seq rounded up to 16, hdp = the padded head_dim). Each warp takes 16-row query tiles, paired
// (t, T-1-t) so that the causal work is even across warps. For a tile the warp makes three passes over its keys:
// the row max, then the sum of exp(s - max), then p = fp16(exp(s - max) * (1 / sum)) fed straight from the
// accumulator layout into the p·v mma. Scores are s = fp16(fp16(q·k) / sqrt(head_dim)) exactly as in attention.cu;
// keys after the query are left out. When they fit (KEEP), the first pass stores each thread's scores (fp16, exact:
// they are fp16 values) in a per-warp shared-memory slice that only that thread reads back, so the second and third
// passes skip the q·kᵀ mma and the correctly rounded divisions; otherwise each pass recomputes them.
#include <cmath>

#include "cuda/ops.h"

namespace lgb::cuda {
namespace {

// Warps per block: 4, or 8 when the scores are kept (the larger block shares K and Vᵀ between more warps).
template <bool KEEP>
constexpr int kWarps = KEEP ? 8 : 4;

// d (16x8, f32) += a (16x16, f16, row) · b (16x8, f16, col). Fragment layouts: PTX ISA, "mma.m16n8k16".
__device__ __forceinline__ void mma16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t pack(float lo, float hi) {
  const __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&h);
}

__device__ __forceinline__ float score(float dot, float sqrt_hd) {
  return __half2float(__float2half_rn(__fdiv_rn(__half2float(__float2half_rn(dot)), sqrt_hd)));
}

template <int HDP>
struct Tile {
  static constexpr int kKst = HDP + 8;  // K row stride (halves): conflict-free fragment loads
  const __half* ks;                     // (seq16, kKst)
  const __half* vt;                     // (HDP, vst)
  int vst, seq, hd;
  float sqrt_hd;

  // Scores of key chunk c (keys 8c .. 8c+7) for this thread's 4 accumulator slots:
  // slot i: row r0 + g + 8 * (i / 2), key 8c + 2 * tg + i % 2.
  __device__ void scores(const uint32_t (&qa)[HDP / 16][4], int c, int g, int tg, float (&s)[4]) const {
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    const __half* krow = ks + (8 * c + g) * kKst + 2 * tg;
#pragma unroll
    for (int kk = 0; kk < HDP / 16; ++kk) {
      const uint32_t b0 = *reinterpret_cast<const uint32_t*>(krow + 16 * kk);
      const uint32_t b1 = *reinterpret_cast<const uint32_t*>(krow + 16 * kk + 8);
      mma16816(acc, qa[kk], b0, b1);
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) s[i] = score(acc[i], sqrt_hd);
  }
};

// A thread's 4 scores of one 8-key chunk as 4 fp16 values (8 bytes).
__device__ __forceinline__ uint2 pack4(const float (&sc)[4]) {
  return make_uint2(pack(sc[0], sc[1]), pack(sc[2], sc[3]));
}

__device__ __forceinline__ void unpack4(uint2 u, float (&sc)[4]) {
  const float2 a = __half22float2(*reinterpret_cast<const __half2*>(&u.x));
  const float2 b = __half22float2(*reinterpret_cast<const __half2*>(&u.y));
  sc[0] = a.x, sc[1] = a.y, sc[2] = b.x, sc[3] = b.y;
}

template <int HDP, bool KEEP>
__global__ void __launch_bounds__(kWarps<KEEP> * 32)
    attention_mma_kernel(const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
                         __half* __restrict__ out, AttentionShape s, float sqrt_hd, bool last_only) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int hd = static_cast<int>(s.head_dim), seq = static_cast<int>(s.seq);
  const int seq16 = (seq + 15) / 16 * 16, vst = seq16 + 8;
  const int64_t b = blockIdx.x / s.n_heads, head = blockIdx.x % s.n_heads;
  const int64_t kv_head = head / (s.n_heads / s.n_kv_heads);
  const int64_t q_stride = s.n_heads * s.head_dim, kv_stride = s.n_kv_heads * s.head_dim;
  constexpr int kKst = Tile<HDP>::kKst;
  __half* ks = reinterpret_cast<__half*>(smem);  // (seq16, kKst)
  __half* vt = ks + seq16 * kKst;                // (HDP, vst)
  // KEEP: per warp, (seq16 / 8 chunks, 32 lanes) of 4 scores each, after K and Vᵀ.
  uint2* keep = reinterpret_cast<uint2*>(vt + HDP * vst) + (threadIdx.x >> 5) * (seq16 / 8) * 32;

  for (int idx = threadIdx.x; idx < seq16 * HDP; idx += blockDim.x) {
    const int j = idx / HDP, d = idx % HDP;
    __half kv = __ushort_as_half(0), vv = __ushort_as_half(0);
    if (j < seq && d < hd) {
      const int64_t src = (b * seq + j) * kv_stride + kv_head * s.head_dim + d;
      kv = k[src];
      vv = v[src];
    }
    ks[j * kKst + d] = kv;
    vt[d * vst + j] = vv;
  }
  __syncthreads();

  const Tile<HDP> tile{ks, vt, vst, seq, hd, sqrt_hd};
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, tg = lane & 3;
  const int tiles = seq16 / 16;
  const int pairs = last_only ? 1 : (tiles + 1) / 2;
  for (int pi = warp; pi < pairs; pi += kWarps<KEEP>) {
    for (int side = 0; side < 2; ++side) {
      const int t = last_only ? (seq - 1) / 16 : (side == 0 ? pi : tiles - 1 - pi);
      if (side == 1 && (last_only || t == pi)) break;
      const int r0 = 16 * t;

      // Q fragments (rows r0 + g, r0 + g + 8; d pairs 2tg, 2tg + 8 per 16-wide k step), zero past seq and hd.
      uint32_t qa[HDP / 16][4];
#pragma unroll
      for (int kk = 0; kk < HDP / 16; ++kk) {
#pragma unroll
        for (int r = 0; r < 4; ++r) {
          const int row = r0 + g + 8 * (r & 1), d = 16 * kk + 2 * tg + 8 * (r >> 1);
          qa[kk][r] = row < seq && d < hd
                          ? *reinterpret_cast<const uint32_t*>(q + (b * seq + row) * q_stride + head * s.head_dim + d)
                          : 0u;
        }
      }
      const int rows[2] = {r0 + g, r0 + g + 8};
      const int chunks = 2 * (t + 1);  // 8-key chunks covering keys 0 .. r0 + 15

      // Pass 1: row max over the causal keys (4 threads of a group share a row).
      float m[2] = {-INFINITY, -INFINITY};
      for (int c = 0; c < chunks; ++c) {
        float sc[4];
        tile.scores(qa, c, g, tg, sc);
        if constexpr (KEEP) keep[c * 32 + lane] = pack4(sc);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          if (8 * c + 2 * tg + (i & 1) <= rows[i >> 1]) m[i >> 1] = fmaxf(m[i >> 1], sc[i]);
        }
      }
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        m[r] = fmaxf(m[r], __shfl_xor_sync(0xffffffffu, m[r], 1));
        m[r] = fmaxf(m[r], __shfl_xor_sync(0xffffffffu, m[r], 2));
      }
      // Pass 2: sum of exp(s - max).
      float sum[2] = {0.f, 0.f};
      for (int c = 0; c < chunks; ++c) {
        float sc[4];
        if constexpr (KEEP) unpack4(keep[c * 32 + lane], sc);
        else tile.scores(qa, c, g, tg, sc);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          if (8 * c + 2 * tg + (i & 1) <= rows[i >> 1]) sum[i >> 1] += expf(__fsub_rn(sc[i], m[i >> 1]));
        }
      }
      float inv[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], 1);
        sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], 2);
        inv[r] = __fdiv_rn(1.f, sum[r]);
      }
      // Pass 3: p = fp16(e * inv), straight into the A fragment of p·v (two 8-key chunks make one 16-key step).
      float o[HDP / 8][4];
#pragma unroll
      for (int nd = 0; nd < HDP / 8; ++nd) o[nd][0] = o[nd][1] = o[nd][2] = o[nd][3] = 0.f;
      for (int kc = 0; kc <= t; ++kc) {
        float p[2][4];
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int c = 2 * kc + h;
          float sc[4];
          if constexpr (KEEP) unpack4(keep[c * 32 + lane], sc);
          else tile.scores(qa, c, g, tg, sc);
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            const bool ok = 8 * c + 2 * tg + (i & 1) <= rows[i >> 1];
            p[h][i] = ok ? __half2float(__float2half_rn(__fmul_rn(expf(__fsub_rn(sc[i], m[i >> 1])), inv[i >> 1])))
                         : 0.f;
          }
        }
        const uint32_t pa[4] = {pack(p[0][0], p[0][1]), pack(p[0][2], p[0][3]), pack(p[1][0], p[1][1]),
                                pack(p[1][2], p[1][3])};
#pragma unroll
        for (int nd = 0; nd < HDP / 8; ++nd) {
          const __half* vrow = vt + (8 * nd + g) * vst + 16 * kc + 2 * tg;
          mma16816(o[nd], pa, *reinterpret_cast<const uint32_t*>(vrow), *reinterpret_cast<const uint32_t*>(vrow + 8));
        }
      }
      // o slots: row r0 + g (+8), d = 8nd + 2tg (+1).
#pragma unroll
      for (int nd = 0; nd < HDP / 8; ++nd) {
        const int d = 8 * nd + 2 * tg;
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const int row = rows[r];
          if (d >= hd || row >= seq || (last_only && row != seq - 1)) continue;
          __half* dst = last_only ? out + b * q_stride + head * s.head_dim + d
                                  : out + (b * seq + row) * q_stride + head * s.head_dim + d;
          *reinterpret_cast<__half2*>(dst) = __floats2half2_rn(o[nd][2 * r], o[nd][2 * r + 1]);
        }
      }
    }
  }
}

int padded_head_dim(int64_t hd) { return hd <= 16 ? 16 : hd <= 32 ? 32 : hd <= 64 ? 64 : hd <= 128 ? 128 : 0; }

// Shared memory the kept scores take (every warp: seq16 / 8 chunks x 32 lanes x 8 bytes).
size_t keep_bytes(const AttentionShape& s) {
  return static_cast<size_t>(kWarps<true>) * ((s.seq + 15) / 16 * 2) * 32 * 8;
}

template <int HDP, bool KEEP>
cudaError_t launch_kernel(const __half* q, const __half* k, const __half* v, __half* out, const AttentionShape& s,
                          bool last_only, size_t smem, cudaStream_t stream) {
  if (smem > 48 * 1024) {
    const cudaError_t err = cudaFuncSetAttribute(attention_mma_kernel<HDP, KEEP>,
                                                 cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
    if (err != cudaSuccess) return err;
  }
  const float sqrt_hd = static_cast<float>(std::sqrt(static_cast<double>(s.head_dim)));
  attention_mma_kernel<HDP, KEEP><<<static_cast<unsigned>(s.batch * s.n_heads), kWarps<KEEP> * 32, smem, stream>>>(
      q, k, v, out, s, sqrt_hd, last_only);
  return cudaGetLastError();
}

template <int HDP>
cudaError_t launch(const __half* q, const __half* k, const __half* v, __half* out, const AttentionShape& s,
                   bool last_only, size_t smem, bool keep, cudaStream_t stream) {
  // Scores are kept when K, Vᵀ and the scores fit in the shared memory this GPU grants a block.
  int device = 0, optin = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  if (err != cudaSuccess) return err;
  if (keep && smem + keep_bytes(s) <= static_cast<size_t>(optin))
    return launch_kernel<HDP, true>(q, k, v, out, s, last_only, smem + keep_bytes(s), stream);
  return launch_kernel<HDP, false>(q, k, v, out, s, last_only, smem, stream);
}

}  // namespace

size_t attention_mma_smem_bytes(const AttentionShape& s) {
  const int hdp = padded_head_dim(s.head_dim);
  if (hdp == 0) return 0;
  const size_t seq16 = (s.seq + 15) / 16 * 16;
  return (seq16 * (hdp + 8) + static_cast<size_t>(hdp) * (seq16 + 8)) * sizeof(__half);
}

cudaError_t launch_attention_mma(const __half* q, const __half* k, const __half* v, __half* out,
                                 const AttentionShape& s, bool last_only, cudaStream_t stream, bool keep_scores) {
  if (s.batch <= 0) return cudaSuccess;
  if (s.head_dim % 2 != 0 || s.n_kv_heads <= 0 || s.n_heads % s.n_kv_heads != 0) return cudaErrorInvalidValue;
  const size_t smem = attention_mma_smem_bytes(s);
  switch (padded_head_dim(s.head_dim)) {
    case 16: return launch<16>(q, k, v, out, s, last_only, smem, keep_scores, stream);
    case 32: return launch<32>(q, k, v, out, s, last_only, smem, keep_scores, stream);
    case 64: return launch<64>(q, k, v, out, s, last_only, smem, keep_scores, stream);
    case 128: return launch<128>(q, k, v, out, s, last_only, smem, keep_scores, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace lgb::cuda
