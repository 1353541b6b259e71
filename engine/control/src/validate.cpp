// Field validators: strict grammars so no CR/LF/NUL or quote can reach an MSRP or CPIM header.
#include "herald/control/validate.hpp"

#include <simdjson.h>

#include <array>

#include "herald/control/http_request.hpp"
#include "herald/core/ascii.hpp"
#include "herald/core/date.hpp"

namespace herald::control {

namespace {

using ascii::hex_value;
using ascii::is_alpha;
using ascii::is_digit;
constexpr bool is_control(unsigned char c) {
  return ascii::is_control(static_cast<char>(c));
}

// unreserved / reserved of RFC 3986 §2.2-2.3; '%' is handled by the caller.
constexpr bool is_uri_char(unsigned char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case ':':
    case '/':
    case '?':
    case '#':
    case '[':
    case ']':
    case '@':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

// RFC 3986 characters with well-formed percent-encodings that do not decode to a control character,
// since a downstream decoder could otherwise turn %0D%0A into a header break.
value_error check_uri_chars(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size()) return value_error::bad_percent;
      int hi = hex_value(static_cast<unsigned char>(s[i + 1]));
      int lo = hex_value(static_cast<unsigned char>(s[i + 2]));
      if (hi < 0 || lo < 0) return value_error::bad_percent;
      if (is_control(static_cast<unsigned char>(hi * 16 + lo))) return value_error::bad_percent;
      i += 2;
    } else if (is_control(c)) {
      return value_error::control_char;
    } else if (!is_uri_char(c)) {
      return value_error::bad_char;
    }
  }
  return value_error::ok;
}

// tchar (RFC 9110 §5.6.2).
constexpr bool is_tchar(unsigned char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

std::size_t token_length(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && is_tchar(static_cast<unsigned char>(s[j]))) ++j;
  return j - i;
}

constexpr std::array<signed char, 256> make_base64_table() {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  return t;
}
constexpr std::array<signed char, 256> kBase64 = make_base64_table();

}  // namespace

value_error validate_address(std::string_view uri) {
  if (uri.empty()) return value_error::empty;
  if (uri.size() > kMaxAddressBytes) return value_error::too_long;
  std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos) return value_error::bad_scheme;
  std::string_view scheme = uri.substr(0, colon);
  // Schemes are case-insensitive (RFC 3986 §3.1).
  if (!ascii::iequals(scheme, "sip") && !ascii::iequals(scheme, "sips") && !ascii::iequals(scheme, "tel") &&
      !ascii::iequals(scheme, "im"))
    return value_error::bad_scheme;
  std::string_view rest = uri.substr(colon + 1);
  if (rest.empty()) return value_error::bad_syntax;
  return check_uri_chars(rest);
}

value_error validate_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return value_error::too_long;
  if (!simdjson::validate_utf8(text.data(), text.size())) return value_error::bad_utf8;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (is_control(c)) return value_error::control_char;
    // C1 controls U+0080..U+009F (C2 80..C2 9F) and U+2028/U+2029 (E2 80 A8/A9) break lines too.
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F)
      return value_error::control_char;
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) == 0xA8 || static_cast<unsigned char>(text[i + 2]) == 0xA9))
      return value_error::control_char;
  }
  return value_error::ok;
}

value_error validate_content_type(std::string_view ct) {
  if (ct.empty()) return value_error::empty;
  if (ct.size() > kMaxContentTypeBytes) return value_error::too_long;
  for (char c : ct)
    if (is_control(static_cast<unsigned char>(c))) return value_error::control_char;
  std::size_t i = 0;
  std::size_t n = token_length(ct, i);
  if (n == 0 || i + n >= ct.size() || ct[i + n] != '/') return value_error::bad_syntax;
  i += n + 1;
  n = token_length(ct, i);
  if (n == 0) return value_error::bad_syntax;
  i += n;
  while (i < ct.size()) {
    while (i < ct.size() && ct[i] == ' ') ++i;
    if (i == ct.size() || ct[i] != ';') return value_error::bad_syntax;
    ++i;
    while (i < ct.size() && ct[i] == ' ') ++i;
    n = token_length(ct, i);
    if (n == 0 || i + n >= ct.size() || ct[i + n] != '=') return value_error::bad_syntax;
    i += n + 1;
    if (i < ct.size() && ct[i] == '"') {
      ++i;
      bool closed = false;
      while (i < ct.size()) {
        auto c = static_cast<unsigned char>(ct[i]);
        if (c == '"') {
          closed = true;
          ++i;
          break;
        }
        if (c == '\\') {
          if (i + 1 == ct.size()) return value_error::bad_syntax;
          auto q = static_cast<unsigned char>(ct[i + 1]);
          if (q >= 0x80) return value_error::bad_char;
          i += 2;
          continue;
        }
        if (c >= 0x80) return value_error::bad_char;
        ++i;
      }
      if (!closed) return value_error::bad_syntax;
    } else {
      n = token_length(ct, i);
      if (n == 0) return value_error::bad_syntax;
      i += n;
    }
  }
  return value_error::ok;
}

value_error validate_url(std::string_view url) {
  if (url.empty()) return value_error::empty;
  if (url.size() > kMaxUrlBytes) return value_error::too_long;
  std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) return value_error::bad_scheme;
  std::string_view scheme = url.substr(0, colon);
  if (scheme.size() != 4 && scheme.size() != 5) return value_error::bad_scheme;
  const char* want = "https";
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = scheme[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
    if (c != want[i]) return value_error::bad_scheme;
  }
  if (value_error e = check_uri_chars(url.substr(colon + 3)); e != value_error::ok) return e;
  std::string_view rest = url.substr(colon + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::size_t at = authority.rfind('@');
  std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (host.empty() || host.front() == ':') return value_error::bad_syntax;
  return value_error::ok;
}

value_error validate_content_id(std::string_view id) {
  if (id.empty()) return value_error::empty;
  if (id.size() > kMaxContentIdBytes) return value_error::too_long;
  // atext (RFC 5322 §3.2.3) and '.', one '@' with dot-atom-text on both sides.
  auto atext = [](char c) {
    return ascii::is_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
  };
  const std::size_t at = id.find('@');
  if (at == std::string_view::npos || id.find('@', at + 1) != std::string_view::npos)
    return value_error::bad_syntax;
  for (std::string_view part : {id.substr(0, at), id.substr(at + 1)}) {
    if (part.empty() || part.front() == '.' || part.back() == '.' ||
        part.find("..") != std::string_view::npos)
      return value_error::bad_syntax;
    for (char c : part) {
      if (is_control(static_cast<unsigned char>(c))) return value_error::control_char;
      if (c != '.' && !atext(c)) return value_error::bad_char;
    }
  }
  return value_error::ok;
}

result<std::int64_t, value_error> parse_http_date(std::string_view d, bool check_weekday) {
  auto when = parse_rfc1123(d, rfc1123_rules{.imf_fixdate = true, .check_weekday = check_weekday});
  if (when.ok()) return when.value();
  switch (when.error()) {
    case date_error::out_of_range:
    case date_error::weekday_mismatch:
      return value_error::out_of_range;
    default:
      return value_error::bad_syntax;
  }
}

value_error decode_base64(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 4 != 0) return value_error::bad_base64_length;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      auto c = static_cast<unsigned char>(in[i + static_cast<std::size_t>(k)]);
      if (c == '=') {
        // Padding only in the last quantum's final one or two positions (RFC 4648 §4).
        if (!last || k < 2) return value_error::bad_base64_padding;
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad != 0) return value_error::bad_base64_padding;
      v[k] = kBase64[c];
      if (v[k] < 0) return value_error::bad_base64_char;
    }
    const std::uint32_t triple = (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) |
                                 (std::uint32_t(v[2]) << 6) | std::uint32_t(v[3]);
    // Non-zero bits beyond the encoded bytes would let two strings decode alike (RFC 4648 §3.5).
    if ((pad == 1 && (triple & 0xFF) != 0) || (pad == 2 && (triple & 0xFFFF) != 0))
      return value_error::bad_base64_padding;
    out.push_back(static_cast<char>(triple >> 16));
    if (pad < 2) out.push_back(static_cast<char>((triple >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(triple & 0xFF));
  }
  return value_error::ok;
}

std::string_view describe(value_error e) {
  switch (e) {
    case value_error::ok:
      return "ok";
    case value_error::empty:
      return "must not be empty";
    case value_error::too_long:
      return "is too long";
    case value_error::bad_scheme:
      return "has an unsupported scheme";
    case value_error::bad_char:
      return "contains a character that is not allowed";
    case value_error::control_char:
      return "contains a control character";
    case value_error::bad_percent:
      return "contains an invalid or control percent-encoding";
    case value_error::bad_syntax:
      return "is not well-formed";
    case value_error::bad_utf8:
      return "is not valid UTF-8";
    case value_error::out_of_range:
      return "has a field out of range";
    case value_error::bad_base64_length:
      return "is not a multiple of 4 base64 characters";
    case value_error::bad_base64_char:
      return "contains a character outside the base64 alphabet";
    case value_error::bad_base64_padding:
      return "has misplaced padding or non-canonical final bits";
  }
  return "is invalid";
}

}  // namespace herald::control
