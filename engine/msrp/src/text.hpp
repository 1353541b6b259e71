// Character-class and number helpers shared by the MSRP parser, URI parser and encoder (internal).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "herald/core/ascii.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace herald::msrp::detail {

using ascii::iequals;
using ascii::iequals_lower;
using ascii::is_alpha;
using ascii::is_digit;
using ascii::parse_u64;
using ascii::to_lower;
constexpr bool is_upalpha(char c) {
  return ascii::is_upper(c);
}

// RFC 4975 §9 utf8text = *(HTAB / %x20-7E / UTF8-NONASCII): every control except HTAB is refused.
constexpr bool is_text_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}
inline bool is_text(std::string_view s) {
  for (char c : s)
    if (!is_text_char(c)) return false;
  return true;
}

// Character classes as one table lookup each: the URI and header checks run on every message.
enum char_class : std::uint8_t {
  cc_token = 1,       // RFC 3261 token (reused by RFC 4975 §9 for URI parameters and MIME tokens)
  cc_unreserved = 2,  // RFC 3986 §2.3
  cc_sub_delim = 4,   // RFC 3986 §2.2, minus ';' which MSRP uses to start ";transport"
  cc_hex = 8,
  cc_session = 16,  // RFC 4975 §9 session-id = 1*( unreserved / "+" / "=" / "/" )
};
constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    char ch = static_cast<char>(c);
    bool alnum = is_alpha(ch) || is_digit(ch);
    std::uint8_t v = 0;
    if (alnum || std::string_view("-.!%*_+`'~").find(ch) != std::string_view::npos) v |= cc_token;
    if (alnum || std::string_view("-._~").find(ch) != std::string_view::npos) v |= cc_unreserved | cc_session;
    if (std::string_view("+=/").find(ch) != std::string_view::npos) v |= cc_session;
    if (std::string_view("!$&'()*+,=").find(ch) != std::string_view::npos) v |= cc_sub_delim;
    if (is_digit(ch) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= cc_hex;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}
inline constexpr std::array<std::uint8_t, 256> classes = make_classes();
constexpr bool has_class(char c, std::uint8_t cls) {
  return (classes[static_cast<unsigned char>(c)] & cls) != 0;
}

constexpr bool is_token_char(char c) {
  return has_class(c, cc_token);
}

inline bool is_token(std::string_view s) {
  for (char c : s)
    if (!is_token_char(c)) return false;
  return !s.empty();
}

// Inline rather than a memchr call: MSRP fields are short (most under 64 bytes). Sixteen bytes per step
// where SSE2 exists: the space after a 200's transaction id is found in one or two steps, not 16-32.
inline std::size_t find_char(std::string_view s, char c, std::size_t from = 0) {
  std::size_t i = from;
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8(c);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    if (const int hits = _mm_movemask_epi8(_mm_cmpeq_epi8(x, needle)); hits != 0)
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(hits)));
  }
#endif
  for (; i < s.size(); ++i)
    if (s[i] == c) return i;
  return std::string_view::npos;
}
inline std::size_t rfind_char(std::string_view s, char c) {
  for (std::size_t i = s.size(); i > 0; --i)
    if (s[i - 1] == c) return i - 1;
  return std::string_view::npos;
}

// Writes v in decimal; returns the number of characters.
inline std::size_t format_u64(char* out, std::uint64_t v) {
  char tmp[20];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

}  // namespace herald::msrp::detail
