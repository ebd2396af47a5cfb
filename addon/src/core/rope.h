// RoPE cos/sin tables as the reference builds them (llama31.py precompute_freqs_cis, on the CPU, float32):
//   freqs[i] = 1 / theta^(float(2i) / head_dim)           i < head_dim/2, theta as float32
//   use_scaled_rope: Llama 3.1 scaling (factor 8, low 1, high 4, old context 8192), each op rounded to float32
//   angle = float(pos) * freqs[i];  cos/sin in float32 (glibc cosf/sinf, as torch.polar on CPU)
// The model then casts both tables to fp16.
#pragma once
#include <cstdint>
#include <vector>

#include "core/params.h"

namespace lgb {

std::vector<float> rope_freqs(const ModelParams& p);

// (rows, head_dim/2) tables for positions 0..rows-1.
void rope_tables_f32(const ModelParams& p, int64_t rows, std::vector<float>* cos, std::vector<float>* sin);
void rope_tables_f16(const ModelParams& p, int64_t rows, std::vector<uint16_t>* cos, std::vector<uint16_t>* sin);

}  // namespace lgb
