// Character classes and small scanners shared by the CPIM parser, encoder and external-body codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/core/ascii.hpp"

namespace herald::cpim::detail {

using ascii::iequals;
using ascii::is_alpha;
using ascii::is_digit;
using ascii::is_hex;
using ascii::trim_wsp;
inline bool is_ctl(unsigned char c) {
  return ascii::is_control(static_cast<char>(c));
}

// RFC 3862 §3.3: NAMECHAR = %x21 / %x23-27 / %x2a-2b / %x2d / %x5e-60 / %x7c / %x7e / ALPHA / DIGIT
inline bool is_namechar(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
         (c >= 0x5e && c <= 0x60) || c == 0x7c || c == 0x7e || is_alpha(c) || is_digit(c);
}
// TOKENCHAR = NAMECHAR / "." / UCS-high
inline bool is_tokenchar(unsigned char c) {
  return is_namechar(c) || c == '.' || c >= 0x80;
}

// RFC 2045 §5.1 token: any CHAR except SPACE, CTLs and tspecials.
inline bool is_mime_tokenchar(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
      return false;
    default:
      return true;
  }
}

// RFC 5322 §3.6.8 ftext: printable US-ASCII except ':'.
inline bool is_ftext(unsigned char c) {
  return c >= 33 && c <= 126 && c != ':';
}

inline std::size_t name_run(std::string_view s, std::size_t i) {
  while (i < s.size() && is_namechar(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

enum class string_scan : std::uint8_t { ok, unterminated, bad_escape, bad_char };

// Scans a CPIM String whose opening DQUOTE is at s[i]; on ok, `end` is the index just past the closing
// DQUOTE. Str-char = %x20-21 / %x23-5B / %x5D-7E / UCS-high; Escape per RFC 3862 §3.3.
inline string_scan scan_cpim_string(std::string_view s, std::size_t i, std::size_t& end) {
  ++i;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      end = i + 1;
      return string_scan::ok;
    }
    if (c == '\\') {
      if (i + 1 >= s.size()) return string_scan::unterminated;
      char e = s[i + 1];
      if (e == 'u') {
        if (i + 6 > s.size()) return string_scan::bad_escape;
        for (std::size_t k = 2; k < 6; ++k)
          if (!is_hex(static_cast<unsigned char>(s[i + k]))) return string_scan::bad_escape;
        i += 6;
        continue;
      }
      if (e != 'b' && e != 't' && e != 'n' && e != 'r' && e != '"' && e != '\'' && e != '\\')
        return string_scan::bad_escape;
      i += 2;
      continue;
    }
    if (is_ctl(c)) return string_scan::bad_char;
    ++i;
  }
  return string_scan::unterminated;
}

// Folding whitespace at either end (RFC 5322 §3.2.2 FWS) is not part of a field value.
inline std::string_view trim_lws(std::string_view v) {
  auto lws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!v.empty() && lws(v.front())) v.remove_prefix(1);
  while (!v.empty() && lws(v.back())) v.remove_suffix(1);
  return v;
}

enum class mime_scan : std::uint8_t { header, end_of_headers, need_more, bad_syntax, bad_char };

// Reads one RFC 2045/5322 header field at s[pos] (with folded continuation lines) or the empty line that ends
// the block. On `header`, name/value/line are set and pos advances past the field; on end_of_headers pos
// advances past the CRLF.
inline mime_scan scan_mime_header(std::string_view s, std::size_t& pos, std::string_view& name,
                                  std::string_view& value, std::string_view& line) {
  std::size_t i = pos;
  if (i >= s.size()) return mime_scan::need_more;
  if (s[i] == '\r') {
    if (i + 1 >= s.size()) return mime_scan::need_more;
    if (s[i + 1] != '\n') return mime_scan::bad_char;
    pos = i + 2;
    return mime_scan::end_of_headers;
  }
  std::size_t n = i;
  while (n < s.size() && is_ftext(static_cast<unsigned char>(s[n]))) ++n;
  if (n == s.size()) return mime_scan::need_more;
  if (n == i || s[n] != ':') return mime_scan::bad_syntax;
  std::size_t v = n + 1;
  std::size_t j = v;
  while (true) {
    while (j < s.size() && s[j] != '\r' && s[j] != '\n') {
      auto c = static_cast<unsigned char>(s[j]);
      if (is_ctl(c) && c != '\t') return mime_scan::bad_char;
      ++j;
    }
    if (j >= s.size()) return mime_scan::need_more;
    if (s[j] == '\n') return mime_scan::bad_syntax;  // bare LF
    if (j + 1 >= s.size()) return mime_scan::need_more;
    if (s[j + 1] != '\n') return mime_scan::bad_char;  // bare CR
    // RFC 5322 §2.2.3 folding: a following line starting with WSP continues this field.
    if (j + 2 >= s.size()) return mime_scan::need_more;
    if (s[j + 2] == ' ' || s[j + 2] == '\t') {
      j += 2;
      continue;
    }
    break;
  }
  name = s.substr(i, n - i);
  value = trim_lws(s.substr(v, j - v));
  line = s.substr(i, j + 2 - i);
  pos = j + 2;
  return mime_scan::header;
}

}  // namespace herald::cpim::detail
