// IEEE binary16 / bfloat16 conversions as numpy and torch do them (docs/rng.md §7), bit-exact, subnormals kept.
//
//   float_to_half      float32 -> binary16, one round-to-nearest-even step (numpy, torch, CUDA __float2half_rn)
//   double_to_half     float64 -> binary16 DIRECTLY, one rounding (numpy .astype(np.float16))
//   double_to_half_torch  float64 -> float32 -> binary16, two roundings (torch.tensor(f64, dtype=float16))
//   float_to_bf16      float32 -> bfloat16 RNE (torch c10::BFloat16)
//   half_to_float      binary16 -> float32, exact
//
// Pure integer code: independent of the compiler's _Float16 support and of the FPU rounding mode.
#pragma once
#include <cstdint>
#include <cstring>

namespace lgb {

inline float double_to_float(double d) { return static_cast<float>(d); }  // IEEE RNE (SSE2 cvtsd2ss)

inline uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return ax == 0x7f800000u ? (sign | 0x7c00u) : (sign | 0x7e00u);  // inf / quiet NaN
  if (ax >= 0x47800000u) return sign | 0x7c00u;  // >= 2^16: overflow (65520..65536 is handled by rounding below)
  if (ax < 0x38800000u) {                        // below 2^-14: binary16 subnormal (quantum 2^-24) or zero
    if (ax <= 0x33000000u) return sign;          // <= 2^-25 (2^-25 itself is a tie, goes to even 0)
    const uint32_t e = ax >> 23;                 // 102..112
    const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - e;             // value / 2^-24 = m / 2^shift
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (q & 1u))) ++q;  // a carry to 0x400 is the smallest normal: correct
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t h = (ax - 0x38000000u) >> 13;          // rebias exponent 127 -> 15, keep 10 mantissa bits
  const uint32_t rem = ax & 0x1fffu;
  // Round half to even without a data-dependent branch (half the values would mispredict): rem + odd > half.
  h += (rem + (h & 1u)) > 0x1000u;                // carries into the exponent (and to inf) correctly
  return static_cast<uint16_t>(sign | h);
}

inline uint16_t double_to_half(double d) {
  uint64_t x;
  std::memcpy(&x, &d, 8);
  const uint16_t sign = static_cast<uint16_t>((x >> 48) & 0x8000u);
  const uint64_t ax = x & 0x7fffffffffffffffull;
  if (ax >= 0x7ff0000000000000ull) return ax == 0x7ff0000000000000ull ? (sign | 0x7c00u) : (sign | 0x7e00u);
  if (ax >= 0x40f0000000000000ull) return sign | 0x7c00u;  // >= 2^16
  if (ax < 0x3f10000000000000ull) {                        // below 2^-14
    if (ax <= 0x3e60000000000000ull) return sign;          // <= 2^-25
    const uint64_t e = ax >> 52;                           // 998..1008
    const uint64_t m = (ax & 0xfffffffffffffull) | (1ull << 52);
    const uint64_t shift = 1051u - e;                      // value / 2^-24 = m / 2^shift
    uint64_t q = m >> shift;
    const uint64_t rem = m & ((1ull << shift) - 1u), halfway = 1ull << (shift - 1u);
    if (rem > halfway || (rem == halfway && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint64_t h = (ax - (1008ull << 52)) >> 42;  // rebias 1023 -> 15
  const uint64_t rem = ax & ((1ull << 42) - 1u), halfway = 1ull << 41;
  h += (rem + (h & 1u)) > halfway;
  return static_cast<uint16_t>(sign | h);
}

inline uint16_t double_to_half_torch(double d) { return float_to_half(static_cast<float>(d)); }

inline uint16_t float_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fc0u;  // NaN, as torch
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  uint32_t x;
  if (e == 0x1fu) {
    x = sign | 0x7f800000u | (m << 13);
  } else if (e != 0) {
    x = sign | ((e + 112u) << 23) | (m << 13);
  } else if (m == 0) {
    x = sign;
  } else {  // subnormal: m * 2^-24, exact in float32
    float v = static_cast<float>(m) * 5.9604644775390625e-08f;
    std::memcpy(&x, &v, 4);
    x |= sign;
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

}  // namespace lgb
