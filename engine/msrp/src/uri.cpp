// MSRP URI parsing (RFC 4975 §9 over RFC 3986 authority), path splitting and §6.1 comparison.
#include "herald/msrp/uri.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "herald/msrp/types.hpp"
#include "text.hpp"

namespace herald::msrp {

namespace {
using detail::is_digit;

using detail::cc_hex;
using detail::cc_session;
using detail::cc_sub_delim;
using detail::cc_unreserved;
using detail::has_class;

constexpr bool is_hex(char c) {
  return has_class(c, cc_hex);
}

// Checks s is made of characters of class `allowed` (or `extra`) and well-formed %XX escapes.
bool valid_pct(std::string_view s, std::uint8_t allowed, char extra = '\0') {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
    } else if (!has_class(s[i], allowed) && (extra == '\0' || s[i] != extra)) {
      return false;
    }
  }
  return true;
}

bool parse_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = i;
    unsigned v = 0;
    while (j < s.size() && is_digit(s[j]) && j - i < 4) v = v * 10 + static_cast<unsigned>(s[j++] - '0');
    if (j == i || j - i > 3 || v > 255) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

bool parse_ipv6_chars(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_hex(c) && c != ':' && c != '.') return false;
  return true;
}

// Binary form of an IP literal for §6.1 "compared for address equivalence".
bool to_binary(std::string_view host, host_kind kind, unsigned char (&out)[16]) {
  char buf[64];
  if (host.size() >= sizeof(buf)) return false;
  std::memcpy(buf, host.data(), host.size());
  buf[host.size()] = '\0';
  return ::inet_pton(kind == host_kind::ipv6 ? AF_INET6 : AF_INET, buf, out) == 1;
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return detail::to_lower(c) - 'a' + 10;
}

// Next character of a reg-name after percent-decoding (RFC 3986 §6.2.2.2) and case folding.
char next_folded(std::string_view s, std::size_t& i) {
  char c = s[i++];
  if (c == '%' && i + 1 < s.size() && is_hex(s[i]) && is_hex(s[i + 1])) {
    char d = static_cast<char>(hex_value(s[i]) * 16 + hex_value(s[i + 1]));
    i += 2;
    c = d;
  }
  return detail::to_lower(c);
}

bool reg_name_equal(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size())
    if (next_folded(a, i) != next_folded(b, j)) return false;
  return i == a.size() && j == b.size();
}
}  // namespace

result<uri, error_code> parse_uri(std::string_view text) {
  uri u;
  std::size_t colon = detail::find_char(text, ':');
  if (colon == std::string_view::npos || text.substr(colon, 3) != "://") return error_code::bad_uri;
  u.scheme = text.substr(0, colon);
  if (detail::iequals(u.scheme, "msrps"))
    u.secure = true;
  else if (!detail::iequals(u.scheme, "msrp"))
    return error_code::bad_uri;
  std::string_view rest = text.substr(colon + 3);

  // RFC 3986 §3.2: the authority ends at '/', and in MSRP also at the ';' of the mandatory transport.
  std::size_t auth_end = 0;
  while (auth_end < rest.size() && rest[auth_end] != '/' && rest[auth_end] != ';') ++auth_end;
  if (auth_end == rest.size()) return error_code::bad_uri;  // transport is mandatory
  std::string_view authority = rest.substr(0, auth_end);
  rest = rest.substr(auth_end);

  if (std::size_t at = detail::rfind_char(authority, '@'); at != std::string_view::npos) {
    u.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (!valid_pct(u.userinfo, cc_unreserved | cc_sub_delim, ':')) return error_code::bad_uri;
  }
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = detail::find_char(authority, ']');
    if (close == std::string_view::npos) return error_code::bad_uri;
    u.host = authority.substr(1, close - 1);
    u.host_type = host_kind::ipv6;
    if (!parse_ipv6_chars(u.host)) return error_code::bad_uri;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return error_code::bad_uri;
      port_text = after.substr(1);
      if (port_text.empty()) return error_code::bad_uri;
    }
  } else {
    std::size_t pc = detail::find_char(authority, ':');
    u.host = authority.substr(0, pc);
    if (pc != std::string_view::npos) {
      port_text = authority.substr(pc + 1);
      if (port_text.empty()) return error_code::bad_uri;
    }
    if (u.host.empty()) return error_code::bad_uri;
    if (parse_ipv4(u.host))
      u.host_type = host_kind::ipv4;
    else if (!valid_pct(u.host, cc_unreserved | cc_sub_delim))
      return error_code::bad_uri;
  }
  if (!port_text.empty()) {
    std::uint64_t port = 0;
    if (port_text.size() > 5 || !detail::parse_u64(port_text, port) || port > 65535)
      return error_code::bad_uri;
    u.port = static_cast<std::uint16_t>(port);
    u.has_port = true;
  }

  if (rest[0] == '/') {
    // RFC 4975 §9 session-id = 1*( unreserved / "+" / "=" / "/" )
    std::size_t semi = detail::find_char(rest, ';');
    if (semi == std::string_view::npos) return error_code::bad_uri;
    u.session_id = rest.substr(1, semi - 1);
    if (u.session_id.empty()) return error_code::bad_uri;
    for (char c : u.session_id)
      if (!has_class(c, cc_session)) return error_code::bad_uri;
    rest = rest.substr(semi);
  }
  // rest starts with ';': transport = "tcp" / 1*ALPHANUM, then *( ";" token ["=" token] ).
  rest = rest.substr(1);
  std::size_t semi = detail::find_char(rest, ';');
  u.transport = rest.substr(0, semi);
  if (u.transport.empty()) return error_code::bad_uri;
  for (char c : u.transport)
    if (!is_alnum(c)) return error_code::bad_uri;
  if (semi != std::string_view::npos) {
    u.parameters = rest.substr(semi + 1);
    std::size_t i = 0;
    // Each parameter is token ["=" token]; empty parameters (";;" or a trailing ';') are refused.
    while (true) {
      std::size_t start = i;
      while (i < u.parameters.size() && detail::is_token_char(u.parameters[i])) ++i;
      if (i == start) return error_code::bad_uri;
      if (i < u.parameters.size() && u.parameters[i] == '=') {
        std::size_t vstart = ++i;
        while (i < u.parameters.size() && detail::is_token_char(u.parameters[i])) ++i;
        if (i == vstart) return error_code::bad_uri;
      }
      if (i == u.parameters.size()) break;
      if (u.parameters[i] != ';') return error_code::bad_uri;
      ++i;
    }
  }
  return u;
}

bool uri_equal(const uri& a, const uri& b) {
  if (a.secure != b.secure) return false;
  if (a.has_port != b.has_port || (a.has_port && a.port != b.port)) return false;
  if (a.host_type != b.host_type) return false;
  if (a.host_type == host_kind::reg_name) {
    if (!reg_name_equal(a.host, b.host)) return false;
  } else {
    unsigned char x[16] = {}, y[16] = {};
    bool okx = to_binary(a.host, a.host_type, x);
    bool oky = to_binary(b.host, b.host_type, y);
    if (okx && oky) {
      if (std::memcmp(x, y, sizeof(x)) != 0) return false;
    } else if (!detail::iequals(a.host, b.host)) {
      return false;
    }
  }
  if (a.session_id != b.session_id) return false;
  return detail::iequals(a.transport, b.transport);
}

result<path_list, error_code> split_path(std::string_view value) {
  path_list list;
  std::size_t i = 0;
  while (true) {
    std::size_t sp = detail::find_char(value, ' ', i);
    std::string_view part = value.substr(i, sp == std::string_view::npos ? std::string_view::npos : sp - i);
    if (part.empty() || list.count == max_path_uris) return error_code::bad_uri;
    if (!parse_uri(part)) return error_code::bad_uri;
    list.uris[list.count++] = part;
    if (sp == std::string_view::npos) break;
    i = sp + 1;
  }
  return list;
}

}  // namespace herald::msrp
