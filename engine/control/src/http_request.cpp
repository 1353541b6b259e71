// HTTP/1.1 request-head parser: strict RFC 9112 framing so no two parsers on the path can disagree.
#include "herald/control/http_request.hpp"

#include <array>
#include <cstring>
#include <limits>

#include "herald/core/ascii.hpp"

namespace herald::control {

namespace {

// Byte classes as one table lookup each: the switch-based predicates cost ~3x more per head.
enum : std::uint8_t { kTchar = 1, kTargetChar = 2, kFieldValue = 4, kHex = 8 };

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  // tchar (RFC 9110 §5.6.2).
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) t[c] |= kTchar;
  // pchar / "/" / "?" of RFC 3986 §3.3-3.4; '%' is checked with its two hex digits separately.
  for (unsigned char c : std::string_view("-._~!$&'()*+,;=:@/?")) t[c] |= kTargetChar;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kTchar | kTargetChar | kHex;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kTchar | kTargetChar;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kTchar | kTargetChar;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= kHex;
  for (int c = 'A'; c <= 'F'; ++c) t[c] |= kHex;
  // field-value bytes (RFC 9110 §5.5): VCHAR, SP, HTAB, obs-text; NUL, CR, LF, DEL and other controls are
  // refused.
  t['\t'] |= kFieldValue;
  for (int c = 0x20; c < 256; ++c)
    if (c != 0x7f) t[c] |= kFieldValue;
  return t;
}
constexpr std::array<std::uint8_t, 256> kClass = make_classes();

constexpr bool is_tchar(unsigned char c) {
  return kClass[c] & kTchar;
}
constexpr bool is_hex(unsigned char c) {
  return kClass[c] & kHex;
}
constexpr bool is_target_char(unsigned char c) {
  return kClass[c] & kTargetChar;
}
constexpr bool is_field_value_char(unsigned char c) {
  return kClass[c] & kFieldValue;
}

constexpr std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

method method_of(std::string_view m) {
  // Methods are case-sensitive (RFC 9110 §9.1).
  if (m == "GET") return method::get;
  if (m == "POST") return method::post;
  if (m == "DELETE") return method::delete_;
  if (m == "PUT") return method::put;
  if (m == "HEAD") return method::head;
  if (m == "PATCH") return method::patch;
  if (m == "OPTIONS") return method::options;
  return method::other;
}

bool parse_decimal(std::string_view v, std::size_t& out) {
  if (v.empty()) return false;
  std::size_t n = 0;
  for (char ch : v) {
    if (ch < '0' || ch > '9') return false;
    std::size_t d = static_cast<std::size_t>(ch - '0');
    if (n > (std::numeric_limits<std::size_t>::max() - d) / 10) return false;
    n = n * 10 + d;
  }
  out = n;
  return true;
}

http_error parse_request_line(std::string_view line, request& out) {
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return http_error::bad_request_line;
  std::string_view m = line.substr(0, sp1);
  for (char c : m)
    if (!is_tchar(static_cast<unsigned char>(c))) return http_error::bad_method;
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return http_error::bad_request_line;
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);

  // Only origin-form: the API never proxies, so absolute-form and "*" are refused (RFC 9112 §3.2).
  if (target.front() != '/') return http_error::bad_target;
  for (std::size_t i = 0; i < target.size(); ++i) {
    auto c = static_cast<unsigned char>(target[i]);
    if (c == '%') {
      if (i + 2 >= target.size() || !is_hex(static_cast<unsigned char>(target[i + 1])) ||
          !is_hex(static_cast<unsigned char>(target[i + 2])))
        return http_error::bad_target;
      i += 2;
    } else if (!is_target_char(c)) {
      return http_error::bad_target;
    }
  }

  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9')
    return http_error::bad_version;
  if (version[5] != '1' || version[7] > '1') return http_error::unsupported_version;

  out.method_name = m;
  out.verb = method_of(m);
  out.target = target;
  std::size_t q = target.find('?');
  out.path = target.substr(0, q);
  out.query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  out.version_minor = version[7] - '0';
  return http_error::ok;
}

// Connection is a comma list of tokens (RFC 9110 §7.6.1).
void scan_connection(std::string_view v, bool& close, bool& keep_alive) {
  while (!v.empty()) {
    std::size_t comma = v.find(',');
    std::string_view tok = trim_ows(v.substr(0, comma));
    if (ascii::iequals(tok, "close")) close = true;
    if (ascii::iequals(tok, "keep-alive")) keep_alive = true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

// Clears everything but the header array: rewriting 64 unused slots would double the cost of a small head.
void reset_head(request& r) {
  r.verb = method::other;
  r.method_name = r.target = r.path = r.query = {};
  r.version_minor = 1;
  r.header_count = 0;
  r.content_length = 0;
  r.has_content_length = false;
  r.keep_alive = true;
  r.expect_continue = false;
  r.host = r.authorization = r.content_type = r.body = {};
}

}  // namespace

std::string_view request::header_value(std::string_view name) const {
  for (std::size_t i = 0; i < header_count; ++i)
    if (ascii::iequals(headers[i].name, name)) return headers[i].value;
  return {};
}

result<std::size_t, http_error> parse_request(std::string_view buf, request& out, const limits& lim,
                                              std::size_t last_len) {
  // RFC 9112 §2.2: ignore empty lines before the request-line (stray CRLF after a pipelined body).
  std::size_t start = 0;
  while (start + 1 < buf.size() && buf[start] == '\r' && buf[start + 1] == '\n') start += 2;

  const std::size_t window = buf.size() < lim.max_head_bytes ? buf.size() : lim.max_head_bytes;
  std::size_t scan = last_len > 3 ? last_len - 3 : 0;
  if (scan < start) scan = start;
  std::size_t head_end = 0;
  while (scan < window) {
    const void* hit = std::memchr(buf.data() + scan, '\n', window - scan);
    if (hit == nullptr) break;
    std::size_t i = static_cast<std::size_t>(static_cast<const char*>(hit) - buf.data());
    // A bare LF is refused rather than tolerated (RFC 9112 §2.2 MAY): lenient line ends are a smuggling
    // vector.
    if (i == 0 || buf[i - 1] != '\r') {
      bool in_first_line = std::memchr(buf.data() + start, '\n', i - start) == nullptr;
      return in_first_line ? http_error::bad_request_line : http_error::bad_header;
    }
    if (i >= start + 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
      head_end = i + 1;
      break;
    }
    scan = i + 1;
  }
  if (head_end == 0) {
    if (buf.size() >= lim.max_head_bytes) return http_error::header_too_large;
    return http_error::need_more;
  }

  reset_head(out);
  std::string_view head = buf.substr(start, head_end - start - 2);  // lines, each ending in CRLF
  std::size_t eol = head.find("\r\n");
  if (http_error e = parse_request_line(head.substr(0, eol), out); e != http_error::ok) return e;
  head.remove_prefix(eol + 2);

  const std::size_t max_headers = lim.max_headers < kMaxHeaders ? lim.max_headers : kMaxHeaders;
  bool has_te = false, conn_close = false, conn_keep_alive = false;
  std::size_t host_count = 0;
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    // obs-fold (RFC 9112 §5.2): rejected, since unfolding differently from a peer is a smuggling vector.
    if (line.empty() || line.front() == ' ' || line.front() == '\t') return http_error::bad_header;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return http_error::bad_header;
    std::string_view name = line.substr(0, colon);
    // No whitespace between name and colon (RFC 9112 §5.1): the tchar check covers it.
    for (char c : name)
      if (!is_tchar(static_cast<unsigned char>(c))) return http_error::bad_header;
    std::string_view value = trim_ows(line.substr(colon + 1));
    for (char c : value)
      if (!is_field_value_char(static_cast<unsigned char>(c))) return http_error::bad_header;

    if (out.header_count == max_headers) return http_error::too_many_headers;
    out.headers[out.header_count++] = header{name, value};

    // Only a few names matter; their lengths are distinct enough to skip most comparisons.
    const std::size_t len = name.size();
    if (len != 4 && len != 6 && len != 10 && len != 12 && len != 13 && len != 14 && len != 17) continue;
    if (ascii::iequals(name, "content-length")) {
      std::size_t n = 0;
      if (!parse_decimal(value, n)) return http_error::bad_content_length;
      // Identical repeats are harmless; differing ones are how request smuggling starts (RFC 9110 §8.6).
      if (out.has_content_length && n != out.content_length) return http_error::bad_content_length;
      out.content_length = n;
      out.has_content_length = true;
    } else if (ascii::iequals(name, "transfer-encoding")) {
      has_te = true;
    } else if (ascii::iequals(name, "connection")) {
      scan_connection(value, conn_close, conn_keep_alive);
    } else if (ascii::iequals(name, "host")) {
      ++host_count;
      out.host = value;
    } else if (ascii::iequals(name, "authorization")) {
      if (!out.authorization.empty()) return http_error::bad_header;
      out.authorization = value;
    } else if (ascii::iequals(name, "content-type")) {
      if (!out.content_type.empty()) return http_error::bad_header;
      out.content_type = value;
    } else if (ascii::iequals(name, "expect")) {
      if (!ascii::iequals(value, "100-continue")) return http_error::expectation_failed;
      out.expect_continue = true;
    }
  }

  if (has_te)
    return out.has_content_length ? http_error::content_length_with_transfer_encoding
                                  : http_error::unsupported_transfer_encoding;
  if (lim.require_host && out.version_minor == 1 && host_count != 1) return http_error::bad_host;
  if (host_count > 1) return http_error::bad_host;
  if (out.content_length > lim.max_body_bytes) return http_error::body_too_large;
  out.keep_alive = out.version_minor == 1 ? !conn_close : (conn_keep_alive && !conn_close);
  // 100-continue from an HTTP/1.0 client is ignored (RFC 9110 §10.1.1).
  if (out.version_minor == 0) out.expect_continue = false;
  return head_end;
}

std::string_view to_string(http_error e) {
  switch (e) {
    case http_error::ok:
      return "ok";
    case http_error::need_more:
      return "need_more";
    case http_error::bad_request_line:
      return "bad_request_line";
    case http_error::bad_method:
      return "bad_method";
    case http_error::bad_target:
      return "bad_target";
    case http_error::bad_version:
      return "bad_version";
    case http_error::unsupported_version:
      return "unsupported_version";
    case http_error::bad_header:
      return "bad_header";
    case http_error::bad_host:
      return "bad_host";
    case http_error::header_too_large:
      return "header_too_large";
    case http_error::too_many_headers:
      return "too_many_headers";
    case http_error::body_too_large:
      return "body_too_large";
    case http_error::bad_content_length:
      return "bad_content_length";
    case http_error::content_length_with_transfer_encoding:
      return "content_length_with_transfer_encoding";
    case http_error::unsupported_transfer_encoding:
      return "unsupported_transfer_encoding";
    case http_error::expectation_failed:
      return "expectation_failed";
    case http_error::request_timeout:
      return "request_timeout";
  }
  return "unknown";
}

}  // namespace herald::control
