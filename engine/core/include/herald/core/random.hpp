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

namespace detail {
// Id characters for every 12 bits of a draw, two at a time: [A-Za-z0-9] through a 64-entry table in
// which two symbols appear twice (5.95 bits per character), lowest 6 bits first. fast_rng::alnum and
// the fan-out stamper's register-held ids both read it, so the same draws give the same ids.
struct alnum_pair_table {
  char pair[4096][2];
};
extern const alnum_pair_table alnum_pairs;
}  // namespace detail

// xoshiro256**: transaction ids need uniqueness, not secrecy, and must be cheap per recipient.
class fast_rng {
 public:
  explicit fast_rng(std::uint64_t seed);
  fast_rng();  // seeded from the CSPRNG
  // Inline: one draw per 10 transaction-id characters of every recipient of a fan-out.
  std::uint64_t next() {
    std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // n characters from the MSRP transaction-id alphabet subset [A-Za-z0-9]: ten per draw, from its
  // lowest bits up, through detail::alnum_pairs; only as many draws as n needs.
  void alnum(char* out, std::size_t n);

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace herald
