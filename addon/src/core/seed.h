// Seed strings to generators, as the reference's get_rng (docs/rng.md §1-2):
//   words = little-endian uint32 words of sha256(f"{seed}_{i}") for i < num_hashes
//   Generator(PCG64(SeedSequence(words)))
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/pcg64.h"

namespace lgb {

std::vector<uint32_t> seed_entropy(const std::string& seed, int num_hashes);

// numpy.random.SeedSequence with no spawn key and pool size 4.
class SeedSequence {
 public:
  explicit SeedSequence(const std::vector<uint32_t>& entropy);
  const std::array<uint32_t, 4>& pool() const { return pool_; }
  std::vector<uint32_t> generate_state_u32(size_t n) const;
  std::vector<uint64_t> generate_state_u64(size_t n) const;  // low word first

 private:
  std::array<uint32_t, 4> pool_{};
};

Pcg64 pcg64_from_seed_sequence(const SeedSequence& ss);
Pcg64 get_rng(const std::string& seed, int num_hashes);

}  // namespace lgb
