#include "core/seed.h"

#include "core/sha256.h"

namespace lgb {
namespace {

constexpr uint32_t kInitA = 0x43B0D7E5u, kMultA = 0x931E8875u;
constexpr uint32_t kInitB = 0x8B51F9DDu, kMultB = 0x58F38DEDu;
constexpr uint32_t kMixMultL = 0xCA01F9DDu, kMixMultR = 0x4973F715u;

// hashmix with the running multiplier `hc` shared by every call of one construction.
inline uint32_t hashmix(uint32_t value, uint32_t* hc) {
  value ^= *hc;
  *hc *= kMultA;
  value *= *hc;
  return value ^ (value >> 16);
}

inline uint32_t mix(uint32_t x, uint32_t y) {
  uint32_t r = kMixMultL * x - kMixMultR * y;
  return r ^ (r >> 16);
}

}  // namespace

std::vector<uint32_t> seed_entropy(const std::string& seed, int num_hashes) {
  std::vector<uint32_t> words;
  words.reserve(static_cast<size_t>(num_hashes) * 8);
  for (int i = 0; i < num_hashes; ++i) {
    uint8_t d[32];
    const std::string s = seed + "_" + std::to_string(i);
    sha256(s.data(), s.size(), d);
    for (int w = 0; w < 8; ++w)
      words.push_back(uint32_t(d[4 * w]) | (uint32_t(d[4 * w + 1]) << 8) | (uint32_t(d[4 * w + 2]) << 16) |
                      (uint32_t(d[4 * w + 3]) << 24));
  }
  return words;
}

SeedSequence::SeedSequence(const std::vector<uint32_t>& entropy) {
  uint32_t hc = kInitA;
  const size_t n = entropy.size();
  for (size_t i = 0; i < 4; ++i) pool_[i] = hashmix(i < n ? entropy[i] : 0u, &hc);
  for (size_t src = 0; src < 4; ++src)
    for (size_t dst = 0; dst < 4; ++dst)
      if (src != dst) pool_[dst] = mix(pool_[dst], hashmix(pool_[src], &hc));
  for (size_t src = 4; src < n; ++src)
    for (size_t dst = 0; dst < 4; ++dst) pool_[dst] = mix(pool_[dst], hashmix(entropy[src], &hc));
}

std::vector<uint32_t> SeedSequence::generate_state_u32(size_t n) const {
  std::vector<uint32_t> out(n);
  uint32_t h = kInitB;
  for (size_t i = 0; i < n; ++i) {
    uint32_t v = pool_[i % 4] ^ h;
    h *= kMultB;
    v *= h;
    out[i] = v ^ (v >> 16);
  }
  return out;
}

std::vector<uint64_t> SeedSequence::generate_state_u64(size_t n) const {
  const std::vector<uint32_t> w = generate_state_u32(2 * n);
  std::vector<uint64_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = uint64_t(w[2 * i]) | (uint64_t(w[2 * i + 1]) << 32);
  return out;
}

Pcg64 pcg64_from_seed_sequence(const SeedSequence& ss) {
  const std::vector<uint64_t> v = ss.generate_state_u64(4);
  const u128 initstate = (u128(v[0]) << 64) | v[1];  // high half first
  const u128 initseq = (u128(v[2]) << 64) | v[3];
  Pcg64 g;
  g.inc = (initseq << 1) | 1u;
  g.state = 0;
  g.state = g.state * kPcgMult + g.inc;
  g.state += initstate;
  g.state = g.state * kPcgMult + g.inc;
  return g;
}

Pcg64 get_rng(const std::string& seed, int num_hashes) {
  return pcg64_from_seed_sequence(SeedSequence(seed_entropy(seed, num_hashes)));
}

}  // namespace lgb
