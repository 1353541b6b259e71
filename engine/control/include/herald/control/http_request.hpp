// HTTP/1.1 request-head parser (RFC 9112): one call over a buffer, views into it, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/core/result.hpp"

namespace herald::control {

// Zero means a complete head; need_more is not an error but "call again with more bytes".
enum class http_error : std::uint8_t {
  ok = 0,
  need_more,
  bad_request_line,     // 400: request-line framing (RFC 9112 §3)
  bad_method,           // 400: method is not a token
  bad_target,           // 400: not origin-form, or bytes outside RFC 3986
  bad_version,          // 400: not "HTTP/" DIGIT "." DIGIT
  unsupported_version,  // 505: well-formed but not 1.0 / 1.1
  bad_header,           // 400: field syntax, NUL / bare CR / LF, obs-fold (RFC 9112 §5.2)
  bad_host,             // 400: HTTP/1.1 without exactly one Host (RFC 9112 §3.2)
  header_too_large,     // 431: head longer than limits::max_head_bytes
  too_many_headers,     // 431: more than limits::max_headers fields
  body_too_large,       // 413: Content-Length above limits::max_body_bytes
  bad_content_length,   // 400: not 1*DIGIT, overflow, or duplicates that differ (RFC 9110 §8.6)
  content_length_with_transfer_encoding,  // 400: both framings present: smuggling (RFC 9112 §6.3 rule 3)
  unsupported_transfer_encoding,          // 501: bodies are framed by Content-Length only (see parse_request)
  expectation_failed,                     // 417: Expect other than 100-continue (RFC 9110 §10.1.1)
  request_timeout,  // 408: head not complete in time (reported by http_connection::on_tick)
};

enum class method : std::uint8_t { other = 0, get, head, post, put, delete_, patch, options };

struct header {
  std::string_view name;
  std::string_view value;  // OWS trimmed (RFC 9112 §5.1)
};

struct limits {
  std::size_t max_head_bytes = 8 * 1024;              // request-line + fields + final CRLF
  std::size_t max_headers = 64;                       // clamped to kMaxHeaders
  std::size_t max_body_bytes = 16 * 1024 * 1024;      // base64 message bodies are the largest requests
  bool require_host = true;                           // RFC 9112 §3.2 makes Host a MUST for HTTP/1.1
  std::uint64_t head_timeout_ns = 10'000'000'000ULL;  // slowloris guard used by http_connection
};

inline constexpr std::size_t kMaxHeaders = 64;

struct request {
  method verb = method::other;
  std::string_view method_name;
  std::string_view target;  // as sent: path [ "?" query ]
  std::string_view path;
  std::string_view query;  // without the '?'; empty when absent
  int version_minor = 1;   // HTTP/1.<minor>
  std::array<header, kMaxHeaders> headers{};
  std::size_t header_count = 0;

  std::size_t content_length = 0;  // 0 when absent: no Content-Length and no Transfer-Encoding means no body
  bool has_content_length = false;
  bool keep_alive = true;        // 1.1 default on, 1.0 default off; Connection: close / keep-alive override
  bool expect_continue = false;  // client waits for "100 Continue" before sending the body
  std::string_view host;
  std::string_view authorization;
  std::string_view content_type;

  std::string_view body;  // filled by http_connection once all Content-Length bytes arrived

  // Case-insensitive lookup of the first field with this name; empty view if absent.
  std::string_view header_value(std::string_view name) const;
};

// Parses one request head at the start of buf. On ok, value() is the number of head bytes consumed
// (leading empty lines, request-line, fields and the blank line); the body (content_length bytes)
// follows. need_more: call again with a longer buf, passing the previous buf.size() as last_len so
// the terminator scan resumes instead of restarting (picohttpparser's last_len).
// Transfer-Encoding of any kind is answered 501 rather than 411: the API's clients always know their
// body size, and refusing chunked keeps one framing rule, which is what defeats smuggling.
result<std::size_t, http_error> parse_request(std::string_view buf, request& out, const limits& lim = {},
                                              std::size_t last_len = 0);

// Stable lower_snake name of an error (for logs and JSON error codes).
std::string_view to_string(http_error e);

}  // namespace herald::control
