// A buffered source of PCG64 words for bulk decoding: the same words as Pcg64::next_uint64, produced 64 at a time
// on four interleaved LCG lanes (independent multiply chains, about twice the throughput of one chain).
// Knows how many words it has handed out, which the parallel normal stream uses as a position.
#pragma once
#include <cstdint>

#include "core/pcg64.h"

namespace lgb {

class WordBlock {
 public:
  static constexpr int kLanes = 4, kSize = 64;

  explicit WordBlock(const Pcg64& g) {
    const LcgJump j = lcg_jump(g.inc, kLanes);
    mult4_ = j.mult;
    plus4_ = j.plus;
    u128 s = g.state;
    for (int l = 0; l < kLanes; ++l) {
      s = s * kPcgMult + g.inc;
      lane_[l] = s;  // the state whose output is word l
    }
  }

  uint64_t next_uint64() {
    if (i_ == kSize) refill();
    return buf_[i_++];
  }
  double next_double() { return static_cast<double>(next_uint64() >> 11) * (1.0 / 9007199254740992.0); }
  int64_t consumed() const { return base_ + i_ - kSize; }

 private:
  void refill() {
    for (int k = 0; k < kSize; k += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        buf_[k + l] = pcg_output(lane_[l]);
        lane_[l] = lane_[l] * mult4_ + plus4_;
      }
    }
    base_ += kSize;
    i_ = 0;
  }

  u128 lane_[kLanes];
  u128 mult4_, plus4_;
  uint64_t buf_[kSize];
  int i_ = kSize;
  int64_t base_ = 0;  // words handed out before the current buffer, plus kSize
};

}  // namespace lgb
