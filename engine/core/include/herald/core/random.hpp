// Randomness: the OS CSPRNG for session ids and a fast PRNG for transaction ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace herald {

// Fills out from getrandom(2); returns 0 or -errno.
int csprng_fill(std::span<std::byte> out);

// Writes n characters from [A-Za-z0-9] drawn from the CSPRNG (n * 5.95 bits); returns 0 or -errno.
int csprng_alnum(char* out, std::size_t n);

// Constant-time equality, for secrets (session ids, bearer tokens): time depends only on lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

// xoshiro256**: transaction ids need uniqueness, not secrecy, and must be cheap per recipient.
class fast_rng {
 public:
  explicit fast_rng(std::uint64_t seed);
  fast_rng();  // seeded from the CSPRNG
  std::uint64_t next();
  // n characters from the MSRP transaction-id alphabet subset [A-Za-z0-9].
  void alnum(char* out, std::size_t n);

 private:
  std::uint64_t s_[4];
};

}  // namespace herald
