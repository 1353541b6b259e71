// ASCII character classes and case-insensitive comparison: the one copy every codec (MSRP, CPIM, HTTP,
// SDP) uses. Protocol grammars are ASCII; bytes >= 0x80 are never letters or digits here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace herald::ascii {

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
constexpr bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
constexpr bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
// RFC 5234 CTL: %x00-1F / %x7F. HTAB is one; callers that allow it say so.
constexpr bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
// The value of a hexadecimal digit, or -1.
constexpr int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
constexpr bool is_hex(char c) {
  return hex_value(c) >= 0;
}
constexpr char to_lower(char c) {
  return is_upper(c) ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Equality ignoring ASCII case (RFC 5234 §2.3 quoted strings, header field names, URI schemes).
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// iequals against a lowercase constant made of letters, digits and '-' (a header name), for input that
// holds no control bytes. OR-ing 0x20 folds case exactly there: the only other byte it maps onto such a
// constant's bytes is CR (onto '-'). A word at a time, with overlapping loads that stay inside both
// strings: the MSRP parser compares every header name of every response this way.
inline bool iequals_lower(std::string_view s, std::string_view lower) {
  const std::size_t n = s.size();
  if (n != lower.size()) return false;
  const char* a = s.data();
  const char* b = lower.data();
  auto load64 = [](const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  };
  auto load32 = [](const char* p) {
    std::uint32_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  };
  if (n >= 8) {
    constexpr std::uint64_t fold = 0x2020202020202020ull;
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if ((load64(a + i) | fold) != load64(b + i)) return false;
    return (load64(a + n - 8) | fold) == load64(b + n - 8);
  }
  if (n >= 4) {
    constexpr std::uint32_t fold = 0x20202020u;
    return (load32(a) | fold) == load32(b) && (load32(a + n - 4) | fold) == load32(b + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i)
    if ((a[i] | 0x20) != b[i]) return false;
  return true;
}

// Leading and trailing SP / HTAB removed (RFC 5234 WSP).
constexpr std::string_view trim_wsp(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// 1*DIGIT into a uint64; false on empty input, a non-digit, or overflow.
constexpr bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    if (__builtin_mul_overflow(v, 10u, &v)) return false;
    if (__builtin_add_overflow(v, static_cast<std::uint64_t>(c - '0'), &v)) return false;
  }
  out = v;
  return true;
}

}  // namespace herald::ascii
