// numpy's Generator.standard_normal (float64): the 256-layer ziggurat of docs/rng.md §4, over any source of 64-bit
// words (the generator itself, or a buffered block of them). Tables are numpy's data (ziggurat_tables.cc).
// Bit-exactness needs: no FMA contraction (-ffp-contract=off), glibc's log1p/exp at run time (docs/rng.md §4.2).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace lgb {

extern const uint64_t kZigKi[256];
extern const double kZigWi[256];
extern const double kZigFi[256];
extern const double kZigguratR;
extern const double kZigguratInvR;

// Which path produced a value (only for path statistics, docs/rng.md §4 table).
enum class ZigPath { kFast, kWedge, kTail };

// One standard normal from `src` (next_uint64() and next_double()). Consumes 1 word on the fast path, more
// otherwise. `rejections` counts wedge rejections (restarts with a fresh word), `path` the accepting path.
// The fast path is kept small and branch-light (the sign is applied by flipping the sign bit, which is exactly
// IEEE negation); everything else is ziggurat_slow.
template <class Src>
double ziggurat_slow(Src& src, uint64_t r, int* rejections, ZigPath* path);

template <class Src>
inline double ziggurat_normal(Src& src, int* rejections = nullptr, ZigPath* path = nullptr) {
  const uint64_t r = src.next_uint64();
  const unsigned idx = static_cast<unsigned>(r & 0xffu);
  const uint64_t rabs = (r >> 9) & 0x000fffffffffffffULL;
  // rabs < 2^52: the signed conversion is exact and cheaper than the unsigned one.
  double x = static_cast<double>(static_cast<int64_t>(rabs)) * kZigWi[idx];
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  bits ^= ((r >> 8) & 1u) << 63;  // sign bit 8 of the word: x = -x
  std::memcpy(&x, &bits, 8);
  if (__builtin_expect(rabs < kZigKi[idx], 1)) {
    if (path) *path = ZigPath::kFast;
    return x;
  }
  return ziggurat_slow(src, r, rejections, path);
}

// The rest of numpy's loop for a first word r that missed the fast path: the tail (idx 0) or the wedge test,
// then fresh words until one is accepted.
template <class Src>
__attribute__((noinline)) double ziggurat_slow(Src& src, uint64_t r, int* rejections, ZigPath* path) {
  for (;;) {
    const int idx = static_cast<int>(r & 0xffu);
    r >>= 8;
    const uint64_t sign = r & 1u;
    const uint64_t rabs = (r >> 1) & 0x000fffffffffffffULL;
    double x = static_cast<double>(rabs) * kZigWi[idx];
    if (sign) x = -x;
    if (rabs < kZigKi[idx]) {
      if (path) *path = ZigPath::kFast;
      return x;
    }
    if (idx == 0) {
      for (;;) {  // tail: loops over pairs of doubles only, never back to a fresh word
        const double xx = -kZigguratInvR * std::log1p(-src.next_double());
        const double yy = -std::log1p(-src.next_double());
        if (yy + yy > xx * xx) {
          if (path) *path = ZigPath::kTail;
          return ((rabs >> 8) & 1u) ? -(kZigguratR + xx) : kZigguratR + xx;  // sign from bit 8 of rabs
        }
      }
    }
    if (((kZigFi[idx - 1] - kZigFi[idx]) * src.next_double() + kZigFi[idx]) < std::exp(-0.5 * x * x)) {
      if (path) *path = ZigPath::kWedge;
      return x;
    }
    if (rejections) ++*rejections;
    r = src.next_uint64();
  }
}

}  // namespace lgb
