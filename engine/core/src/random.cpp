// getrandom(2)-backed CSPRNG helpers and the xoshiro256** generator.
#include "herald/core/random.hpp"

#include <sys/random.h>

#include <cerrno>

namespace herald {

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
  std::size_t i = 0;
  while (i < n) {
    // Base-62 digits of the fraction x / 2^64, one 64x64->128 multiply each (no division): 62^10 < 2^60,
    // so ten symbols per draw stay close to uniform, which is all non-secret ids need.
    std::uint64_t x = next();
    for (int k = 0; k < 10 && i < n; ++k, ++i) {
      const unsigned __int128 m = static_cast<unsigned __int128>(x) * 62u;
      out[i] = kAlnum[static_cast<std::size_t>(m >> 64)];
      x = static_cast<std::uint64_t>(m);
    }
  }
}

}  // namespace herald
