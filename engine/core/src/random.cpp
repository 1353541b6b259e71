// getrandom(2)-backed CSPRNG helpers and the xoshiro256** generator.
#include "herald/core/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace herald {

namespace detail {
namespace {
constexpr char kAlnum64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789xy";
constexpr alnum_pair_table make_alnum_pairs() {
  alnum_pair_table t{};
  for (int i = 0; i < 4096; ++i) {
    t.pair[i][0] = kAlnum64[i & 63];
    t.pair[i][1] = kAlnum64[i >> 6];
  }
  return t;
}
}  // namespace
constinit const alnum_pair_table alnum_pairs = make_alnum_pairs();
}  // namespace detail

namespace {
constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::uint64_t splitmix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

int csprng_fill(std::span<std::byte> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

int csprng_alnum(char* out, std::size_t n) {
  // Rejection sampling keeps the distribution uniform over 62 symbols.
  std::byte pool[64];
  std::size_t used = sizeof(pool);
  std::size_t i = 0;
  while (i < n) {
    if (used == sizeof(pool)) {
      if (int rc = csprng_fill(pool); rc < 0) return rc;
      used = 0;
    }
    auto v = static_cast<unsigned>(pool[used++]);
    if (v < 248) out[i++] = kAlnum[v % 62];
  }
  return 0;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  // Volatile read stops the compiler from turning the loop into an early-exit memcmp.
  volatile unsigned char result = diff;
  return result == 0;
}

fast_rng::fast_rng(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix(seed);
}

fast_rng::fast_rng() {
  std::uint64_t seed = 0;
  if (csprng_fill(std::as_writable_bytes(std::span(&seed, 1))) < 0) seed = 0x6865726c64;
  for (auto& s : s_) s = splitmix(seed);
}

void fast_rng::alnum(char* out, std::size_t n) {
  // Fixed-size copies only: a variable-length memcpy here became a libc call per id.
  auto pair = [](std::uint64_t x, int k) { return detail::alnum_pairs.pair[(x >> (12 * k)) & 4095]; };
  for (; n >= 10; n -= 10, out += 10) {
    const std::uint64_t x = next();
    for (int k = 0; k < 5; ++k) std::memcpy(out + 2 * k, pair(x, k), 2);
  }
  if (n == 0) return;
  const std::uint64_t x = next();
  int k = 0;
  for (; n >= 2; n -= 2, out += 2, ++k) std::memcpy(out, pair(x, k), 2);
  if (n == 1) *out = pair(x, k)[0];
}

}  // namespace herald
