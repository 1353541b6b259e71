// MSRP URIs (RFC 4975 §6, §9): parsing, To-Path/From-Path splitting and §6.1 comparison, without allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/core/result.hpp"
#include "herald/msrp/errors.hpp"

namespace herald::msrp {

enum class host_kind : std::uint8_t { reg_name, ipv4, ipv6 };

// MSRP-URI = msrp-scheme "://" authority ["/" session-id] ";" transport *( ";" URI-parameter )
// Every view points into the parsed string.
struct uri {
  std::string_view scheme;    // "msrp" or "msrps" as written (scheme is case-insensitive)
  bool secure = false;        // msrps
  std::string_view userinfo;  // without the '@'; empty when absent
  std::string_view host;      // reg-name, dotted IPv4, or IPv6 *without* the brackets
  host_kind host_type = host_kind::reg_name;
  std::uint16_t port = 0;       // meaningful only when has_port
  bool has_port = false;        // RFC 4975 §6.1: no default port is assumed when comparing
  std::string_view session_id;  // empty when absent
  std::string_view transport;   // "tcp" or another 1*ALPHANUM token
  std::string_view parameters;  // what follows ";transport", without the leading ';' (may be empty)
};

// The IANA-registered MSRP port: what a client dials when a URI has none. It is *not* filled in for
// comparison (RFC 4975 §6.1: a URI with an explicit port never equals one without).
inline constexpr std::uint16_t default_port = 2855;

result<uri, error_code> parse_uri(std::string_view text);

// RFC 4975 §6.1: scheme and authority case-insensitive (IP addresses compared as addresses, percent-encoded
// unreserved characters decoded), userinfo ignored, an explicit port never equals an absent one,
// session-id case-sensitive, transport case-insensitive. URI parameters are not compared.
bool uri_equal(const uri& a, const uri& b);

// To-Path / From-Path values: MSRP-URI *( SP MSRP-URI ). A relay chain longer than this is refused.
inline constexpr std::size_t max_path_uris = 8;
struct path_list {
  std::array<std::string_view, max_path_uris> uris{};
  std::size_t count = 0;

  const std::string_view* begin() const { return uris.data(); }
  const std::string_view* end() const { return uris.data() + count; }
  std::string_view front() const { return uris[0]; }
  std::string_view back() const { return uris[count - 1]; }
};

// Splits on single spaces and validates each URI with parse_uri (bad_uri on any failure, empty list,
// doubled space, or more than max_path_uris entries).
result<path_list, error_code> split_path(std::string_view value);

// RFC 4975 §7.2: a response (or REPORT) goes back to the first URI of the request's From-Path (the previous
// hop), from the last URI of its To-Path (us). Both take a path value already validated by the parser.
constexpr std::string_view first_uri(std::string_view path) {
  return path.substr(0, path.find(' '));
}
constexpr std::string_view last_uri(std::string_view path) {
  const auto sp = path.rfind(' ');
  return sp == std::string_view::npos ? path : path.substr(sp + 1);
}

}  // namespace herald::msrp
