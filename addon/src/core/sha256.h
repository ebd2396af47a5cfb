// SHA-256 (FIPS 180-4): seeds (docs/rng.md §1), parameter keys (docs/poc-compute.md §4) and every golden digest.
// Uses the x86 SHA extensions when the CPU has them (about 4x faster: the weights check hashes 5.9 GB),
// otherwise a portable implementation; both give the same digest.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace lgb {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  void update(const std::string& s) { update(s.data(), s.size()); }
  void finish(uint8_t digest[32]);  // the object must not be updated afterwards
  std::string finish_hex();

 private:
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

void sha256(const void* data, size_t len, uint8_t digest[32]);
std::string sha256_hex(const void* data, size_t len);
inline std::string sha256_hex(const std::string& s) { return sha256_hex(s.data(), s.size()); }
std::string to_hex(const uint8_t* bytes, size_t len);

// True when the SHA-NI code path is in use (for benchmarks and logs).
bool sha256_uses_shani();
// One-shot digest with the portable code only (tests compare it with the dispatched one).
std::string sha256_hex_portable(const void* data, size_t len);

}  // namespace lgb
