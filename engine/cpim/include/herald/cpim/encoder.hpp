// Message/CPIM encoder: writes CPIM and encapsulated MIME headers into a caller buffer; the body stays
// separate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "herald/core/result.hpp"
#include "herald/cpim/message.hpp"

namespace herald::cpim {

enum class encode_error : std::uint8_t {
  ok = 0,
  buffer_too_small,
  empty_uri,
  uri_control_character,           // CR, LF, NUL or another CTL in a URI: header injection
  uri_whitespace,                  // SP in a URI (RFC 3986 has none)
  uri_angle_bracket,               // '<', '>' or '"' in a URI would end the `<URI>` early
  display_name_control_character,  // CTL in a display name: not representable as Str-char
  bad_header_name,                 // not 1*NAMECHAR (RFC 3862 §3.3)
  bad_header_value,                // CTL in a header value
  bad_lang,                        // a lang tag that is not a Token
};

std::string_view to_string(encode_error e);

// The daemon's gatekeepers against header injection from user-supplied addresses.
encode_error validate_uri(std::string_view uri);
encode_error validate_display_name(std::string_view display_name);  // decoded text, UTF-8 allowed

// Bytes format_address writes at most: quotes, SP, brackets, and every name byte escaped.
constexpr std::size_t max_address_bytes(std::size_t display_len, std::size_t uri_len) {
  return 2 * display_len + 3 + uri_len + 2;
}

// Writes `"display" <uri>` (or `<uri>` when display_name is empty), escaping '"' and '\' (RFC 3862 §3.3
// String). display_name is decoded text. Returns bytes written.
result<std::size_t, encode_error> format_address(std::span<char> out, std::string_view display_name,
                                                 std::string_view uri);

// Appends header lines into a fixed buffer; the first error sticks and later calls do nothing.
class writer {
 public:
  explicit writer(std::span<char> out)
      : begin_(out.data()), cur_(out.data()), end_(out.data() + out.size()) {}

  void from(std::string_view display_name, std::string_view uri) {
    address_header("From", display_name, uri);
  }
  void to(std::string_view display_name, std::string_view uri) { address_header("To", display_name, uri); }
  void cc(std::string_view display_name, std::string_view uri) { address_header("cc", display_name, uri); }
  void datetime(std::int64_t epoch_seconds);
  void subject(std::string_view text, std::string_view lang = {});
  void ns(std::string_view prefix, std::string_view uri);
  void require(std::string_view header_names);  // comma-separated, written as given after validation
  // Any CPIM header, e.g. header("imdn", "Message-ID", "34jk324j"); prefix may be empty.
  void header(std::string_view prefix, std::string_view name, std::string_view value);
  void end_cpim_headers() { raw("\r\n"); }
  void mime_header(std::string_view name, std::string_view value);
  void end_mime_headers() { raw("\r\n"); }

  // Copies bytes verbatim (already-validated lines being passed through).
  void raw(std::string_view bytes);

  encode_error error() const { return error_; }
  bool ok() const { return error_ == encode_error::ok; }
  std::size_t size() const { return std::size_t(cur_ - begin_); }
  std::string_view view() const { return {begin_, size()}; }

 private:
  void address_header(std::string_view name, std::string_view display_name, std::string_view uri);
  void fail(encode_error e) {
    if (error_ == encode_error::ok) error_ = e;
  }
  bool room(std::size_t n) {
    if (error_ != encode_error::ok) return false;
    if (std::size_t(end_ - cur_) < n) {
      fail(encode_error::buffer_too_small);
      return false;
    }
    return true;
  }

  char* begin_;
  char* cur_;
  char* end_;
  encode_error error_ = encode_error::ok;
};

// Re-encodes a parsed message's header blocks (CPIM headers, blank line, MIME headers, blank line) from
// its parsed fields; the body is not written. parse(encode(m) + m.body) yields the same fields.
result<std::size_t, encode_error> encode(const message& m, std::span<char> out);

}  // namespace herald::cpim
