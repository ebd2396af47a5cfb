// numpy's PCG64 bit generator (XSL-RR 128/64) with its buffered 32-bit draws (docs/rng.md §3), and the LCG jump-ahead
// that lets several threads start at any word of one stream.
#pragma once
#include <cstdint>

namespace lgb {

using u128 = unsigned __int128;

inline constexpr u128 kPcgMult = (static_cast<u128>(0x2360ED051FC65DA4ULL) << 64) | 0x4385DF649FCCF645ULL;

inline uint64_t pcg_output(u128 state) {
  const uint64_t hi = static_cast<uint64_t>(state >> 64), lo = static_cast<uint64_t>(state);
  const uint64_t x = hi ^ lo;
  const unsigned rot = static_cast<unsigned>(hi >> 58);
  return (x >> rot) | (x << ((-rot) & 63u));
}

// The affine map state -> mult*state + plus that advances the LCG by `steps` draws.
struct LcgJump {
  u128 mult = 1, plus = 0;
};
inline LcgJump lcg_jump(u128 inc, uint64_t steps) {
  LcgJump acc;
  u128 cur_mult = kPcgMult, cur_plus = inc;
  while (steps > 0) {
    if (steps & 1u) {
      acc.mult *= cur_mult;
      acc.plus = acc.plus * cur_mult + cur_plus;
    }
    cur_plus = (cur_mult + 1) * cur_plus;
    cur_mult *= cur_mult;
    steps >>= 1;
  }
  return acc;
}

struct Pcg64 {
  u128 state = 0;
  u128 inc = 0;
  bool has_uint32 = false;
  uint32_t uinteger = 0;

  uint64_t next_uint64() {
    state = state * kPcgMult + inc;
    return pcg_output(state);
  }
  // Low half first, high half buffered (generator state: it survives across calls).
  uint32_t next_uint32() {
    if (has_uint32) {
      has_uint32 = false;
      return uinteger;
    }
    const uint64_t u = next_uint64();
    uinteger = static_cast<uint32_t>(u >> 32);
    has_uint32 = true;
    return static_cast<uint32_t>(u);
  }
  double next_double() { return static_cast<double>(next_uint64() >> 11) * (1.0 / 9007199254740992.0); }

  // Skips `steps` 64-bit draws (the 32-bit buffer is untouched), as numpy's PCG64.advance.
  void advance(uint64_t steps) {
    const LcgJump j = lcg_jump(inc, steps);
    state = j.mult * state + j.plus;
  }
};

}  // namespace lgb
