// fp16 storage emulation for the CPU forward. Activations live in float32 arrays that only ever hold
// fp16-representable values: "store as fp16" is round_fp16(x) = float(half(x)), IEEE round-to-nearest-even with
// subnormals kept (what a GPU's __float2half_rn and torch's .half() do).
//
// The scalar conversions are core/half.h's exact integer routines; the array versions use F16C (vcvtps2ph with RNE,
// the same IEEE operation) when the CPU has it. Both give identical bits.
#pragma once
#include <cstdint>

#include "core/half.h"

namespace lgb {
namespace cpu {

inline float round_fp16(float f) { return half_to_float(float_to_half(f)); }

// True when the running CPU has AVX2, FMA and F16C (the SIMD kernels' requirement).
bool have_avx2_fma_f16c();

// x[i] = round_fp16(x[i]) for i < n.
void round_fp16_inplace(float* x, int64_t n);
// dst[i] = round_fp16(src[i]) for i < n (src == dst allowed).
void round_fp16_copy(const float* src, float* dst, int64_t n);
// dst[i] = float(src[i]) for i < n.
void fp16_to_float_array(const uint16_t* src, float* dst, int64_t n);
// dst[i] = half(src[i]) bits for i < n (src values are fp16-representable, so this is exact).
void float_to_fp16_array(const float* src, uint16_t* dst, int64_t n);

}  // namespace cpu
}  // namespace lgb
