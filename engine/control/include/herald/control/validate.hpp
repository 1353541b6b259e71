// Value checks for fields that end up in MSRP/CPIM headers: URIs, names, content types, URLs, dates, base64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/core/result.hpp"

namespace herald::control {

enum class value_error : std::uint8_t {
  ok = 0,
  empty,
  too_long,
  bad_scheme,
  bad_char,      // a byte outside the field's grammar (space, <, >, ", non-ASCII in a URI, ...)
  control_char,  // CR, LF, NUL or any other control: the header-injection guard
  bad_percent,   // '%' not followed by two hex digits, or encoding a control character
  bad_syntax,    // structure (type/subtype, parameters, date layout, URL authority)
  bad_utf8,
  out_of_range,  // date fields, weekday mismatch
  bad_base64_length,
  bad_base64_char,
  bad_base64_padding,  // '=' inside, or non-zero bits after the last symbol (RFC 4648 §3.5)
};

inline constexpr std::size_t kMaxAddressBytes = 256;
inline constexpr std::size_t kMaxDisplayNameBytes = 128;
inline constexpr std::size_t kMaxSubjectBytes = 256;
inline constexpr std::size_t kMaxContentTypeBytes = 128;
inline constexpr std::size_t kMaxUrlBytes = 2048;
inline constexpr std::size_t kMaxContentIdBytes = 128;
inline constexpr std::size_t kMaxSdpBytes = 16 * 1024;
inline constexpr std::size_t kMaxSipFieldBytes = 512;

// sip:, sips:, tel:, im: URI (scheme case-insensitive), RFC 3986 characters only, at most 256 bytes.
value_error validate_address(std::string_view uri);

// UTF-8 text without C0/C1 controls, DEL or U+2028/U+2029, at most max_bytes: display names, subjects.
value_error validate_text(std::string_view text, std::size_t max_bytes);

// type "/" subtype *( OWS ";" OWS token "=" ( token / quoted-string ) ) (RFC 9110 §8.3.1), <= 128 bytes.
value_error validate_content_type(std::string_view content_type);

// http:// or https:// URL with a non-empty authority, RFC 3986 characters only, <= 2048 bytes: it is
// quoted into the URL parameter of message/external-body (RFC 4483 §2), so a quote must not get through.
value_error validate_url(std::string_view url);

// RFC 5322 §3.6.4 msg-id without its angle brackets, id-left "@" id-right of dot-atom-text: the Content-ID
// of message/external-body's encapsulated headers (RFC 2046 §5.2.3), at most 128 bytes.
value_error validate_content_id(std::string_view id);

// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7, the RFC 1123 form). The day name must
// be one of the seven; it is redundant, so a mismatch with the date is only refused with check_weekday.
// Returns seconds since the Unix epoch.
result<std::int64_t, value_error> parse_http_date(std::string_view date, bool check_weekday = false);

// Strict RFC 4648 §4 base64: no whitespace, no URL alphabet, padding required, canonical final bits.
// Replaces out with the decoded bytes.
value_error decode_base64(std::string_view in, std::string& out);

// A short English description of e, for JSON error messages.
std::string_view describe(value_error e);

}  // namespace herald::control
