// Causal grouped-query attention (mirrors cpu/attention.cc) on the CUDA cores, any head_dim: the plain version of
// attention_mma.cu, used for head_dim > 128, and the dispatch between the two.
//
// Per (nonce, query head): s = fp16(fp16(q·kᵀ) / sqrt(head_dim)) over the causal prefix, p = fp16(softmax(s)) in
// float32 (exp(s - max) * (1 / sum)), o = fp16(p·v) with float32 accumulation. Query head h reads kv head h / n_rep.
//
// One block per (nonce, head) holds that kv head's K and V (seq x head_dim fp16) in shared memory; each warp
// takes query rows round-robin, with the row's q (float) and its scores (float, seq) in its own shared slice.
#include <cmath>

#include "cuda/ops.h"
#include "cuda/reduce.cuh"

namespace lgb::cuda {
namespace {

constexpr int kWarps = 8;

__global__ void attention_kernel(const __half* __restrict__ q, const __half* __restrict__ k,
                                 const __half* __restrict__ v, __half* __restrict__ out, AttentionShape s,
                                 float sqrt_hd, bool last_only) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int64_t hd = s.head_dim, seq = s.seq, half_hd = hd / 2;
  const int64_t b = blockIdx.x / s.n_heads, head = blockIdx.x % s.n_heads;
  const int64_t kv_head = head / (s.n_heads / s.n_kv_heads);
  const int64_t q_stride = s.n_heads * hd, kv_stride = s.n_kv_heads * hd;

  __half2* ks = reinterpret_cast<__half2*>(smem);  // (seq, hd/2)
  __half2* vs = ks + seq * half_hd;                 // (seq, hd/2)
  float* warp_base = reinterpret_cast<float*>(vs + seq * half_hd);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t rows_floats = (hd + seq + 1) / 2 * 2;  // even: the float2 partials after it stay 8-byte aligned
  float* qrow = warp_base + warp * (rows_floats + 64);  // (hd)
  float* sc = qrow + hd;                                 // (seq) scores, then probabilities

  const __half2* k2 = reinterpret_cast<const __half2*>(k);
  const __half2* v2 = reinterpret_cast<const __half2*>(v);
  for (int64_t idx = threadIdx.x; idx < seq * half_hd; idx += blockDim.x) {
    const int64_t j = idx / half_hd, d2 = idx % half_hd;
    const int64_t src = ((b * seq + j) * kv_stride + kv_head * hd) / 2 + d2;
    ks[idx] = k2[src];
    vs[idx] = v2[src];
  }
  __syncthreads();

  const int64_t first = last_only ? seq - 1 + warp : warp;
  for (int64_t i = first; i < seq; i += kWarps) {
    const __half* qi = q + (b * seq + i) * q_stride + head * hd;
    for (int64_t d = lane; d < hd; d += 32) qrow[d] = __half2float(qi[d]);
    __syncwarp();

    float m = -INFINITY;
    for (int64_t j = lane; j <= i; j += 32) {
      float dot = 0.f;
      const __half2* kj = ks + j * half_hd;
      for (int64_t d2 = 0; d2 < half_hd; ++d2) {
        const float2 kf = __half22float2(kj[d2]);
        dot = fmaf(qrow[2 * d2], kf.x, dot);
        dot = fmaf(qrow[2 * d2 + 1], kf.y, dot);
      }
      const float scaled = __half2float(__float2half_rn(__fdiv_rn(__half2float(__float2half_rn(dot)), sqrt_hd)));
      sc[j] = scaled;
      m = fmaxf(m, scaled);
    }
    m = warp_max(m);
    float sum = 0.f;
    for (int64_t j = lane; j <= i; j += 32) {
      const float e = expf(__fsub_rn(sc[j], m));
      sc[j] = e;
      sum += e;
    }
    // e * (1 / sum), as cpu/attention.cc (torch's CPU softmax); only the sum's order differs.
    const float inv = __fdiv_rn(1.f, warp_sum(sum));
    for (int64_t j = lane; j <= i; j += 32) sc[j] = __half2float(__float2half_rn(__fmul_rn(sc[j], inv)));
    __syncwarp();

    // o = p·v: lane (g, d2) sums keys j = g, g + groups, ... of output pair d2; the groups' partials meet in
    // shared memory (head_dim 28 gives 2 groups of 14 lanes; head_dim >= 64 one group looping over d2).
    __half* oi = last_only ? out + b * q_stride + head * hd : out + (b * seq + i) * q_stride + head * hd;
    const int64_t groups = half_hd >= 32 ? 1 : 32 / half_hd;
    const int64_t g = lane / (groups > 1 ? half_hd : 32);
    float2* part = reinterpret_cast<float2*>(qrow + rows_floats);  // (32) per warp
    for (int64_t d2 = lane % (groups > 1 ? half_hd : 32); d2 < half_hd && g < groups; d2 += 32) {
      float a0 = 0.f, a1 = 0.f;
      for (int64_t j = g; j <= i; j += groups) {
        const float2 vf = __half22float2(vs[j * half_hd + d2]);
        a0 = fmaf(sc[j], vf.x, a0);
        a1 = fmaf(sc[j], vf.y, a1);
      }
      if (groups == 1) {
        reinterpret_cast<__half2*>(oi)[d2] = __floats2half2_rn(a0, a1);
      } else {
        part[lane] = make_float2(a0, a1);
      }
    }
    if (groups > 1) {
      __syncwarp();
      if (lane < half_hd) {
        float2 acc = part[lane];
        for (int64_t k = 1; k < groups; ++k) {
          acc.x += part[k * half_hd + lane].x;
          acc.y += part[k * half_hd + lane].y;
        }
        reinterpret_cast<__half2*>(oi)[lane] = __floats2half2_rn(acc.x, acc.y);
      }
    }
    __syncwarp();
  }
}

}  // namespace

size_t attention_simt_smem_bytes(const AttentionShape& s) {
  const size_t kv = 2 * static_cast<size_t>(s.seq) * s.head_dim * sizeof(__half);
  const size_t per_warp = static_cast<size_t>((s.head_dim + s.seq + 1) / 2 * 2 + 64) * sizeof(float);
  return kv + kWarps * per_warp;
}

cudaError_t launch_attention_simt(const __half* q, const __half* k, const __half* v, __half* out,
                                  const AttentionShape& s, bool last_only, cudaStream_t stream) {
  if (s.batch <= 0) return cudaSuccess;
  if (s.head_dim % 2 != 0 || s.n_kv_heads <= 0 || s.n_heads % s.n_kv_heads != 0) return cudaErrorInvalidValue;
  const size_t smem = attention_simt_smem_bytes(s);
  if (smem > 48 * 1024) {
    const cudaError_t err =
        cudaFuncSetAttribute(attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
    if (err != cudaSuccess) return err;
  }
  const float sqrt_hd = static_cast<float>(std::sqrt(static_cast<double>(s.head_dim)));
  attention_kernel<<<static_cast<unsigned>(s.batch * s.n_heads), kWarps * 32, smem, stream>>>(q, k, v, out, s,
                                                                                             sqrt_hd, last_only);
  return cudaGetLastError();
}

size_t attention_smem_bytes(const AttentionShape& s) {
  const size_t mma = attention_mma_smem_bytes(s);
  return mma > 0 ? mma : attention_simt_smem_bytes(s);
}

cudaError_t launch_attention(const __half* q, const __half* k, const __half* v, __half* out, const AttentionShape& s,
                             bool last_only, cudaStream_t stream) {
  return attention_mma_smem_bytes(s) > 0 ? launch_attention_mma(q, k, v, out, s, last_only, stream)
                                         : launch_attention_simt(q, k, v, out, s, last_only, stream);
}

}  // namespace lgb::cuda
