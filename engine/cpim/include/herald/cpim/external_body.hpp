// message/external-body with access-type=URL (RFC 4483 over RFC 2046 §5.2.3 and RFC 2017): build and parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "herald/core/result.hpp"

namespace herald::cpim {

enum class external_body_error : std::uint8_t {
  ok = 0,
  buffer_too_small,
  not_external_body,           // media type is not message/external-body
  bad_parameter_syntax,        // not `; attribute=value` (RFC 2045 §5.1)
  unterminated_quoted_string,  // quoted-string without closing DQUOTE
  duplicate_parameter,         // a known parameter given twice (RFC 2231 §7 forbids repeats)
  missing_access_type,
  unsupported_access_type,  // anything but URL (RFC 4483 §3 uses only URL)
  missing_url,
  bad_url,                 // empty, or CR/LF/NUL/CTL, whitespace, '"', '\', '<', '>' in the URL
  bad_size,                // size not 1*DIGIT
  size_overflow,           // size above UINT64_MAX
  bad_expiration,          // expiration not an RFC 1123 date
  unsupported_permission,  // permission other than R (RFC 2046 §5.2.3.3: read-only)
  missing_phantom_blank_line,
  bad_phantom_header,  // malformed header line in the phantom part
  bad_content_type,    // phantom Content-Type not type/subtype
  bad_content_id,      // phantom Content-ID not <id> or containing CTLs
};

std::string_view to_string(external_body_error e);

struct external_body {
  std::string_view url;
  std::string_view content_type;  // of the referenced content, e.g. "video/mp4"
  std::string_view content_id;    // without angle brackets, e.g. "4@example.com"
  std::uint64_t size = 0;
  std::int64_t expiration = 0;  // epoch seconds
  bool has_size = false;
  bool has_expiration = false;
  bool permission_read = false;  // permission=R
};

struct external_body_parts {
  std::string_view content_type_value;  // `message/external-body; access-type=URL; URL="..."; ...`
  std::string_view phantom;             // `Content-Type: ...\r\nContent-ID: <...>\r\n\r\n`
};

// Upper bound of the bytes build_external_body writes for spec.
std::size_t external_body_bytes(const external_body& spec);

// Writes both pieces into out; the caller puts content_type_value in the CPIM inner Content-Type header and
// the phantom part as the encapsulated body (RFC 4483 §6 example).
result<external_body_parts, external_body_error> build_external_body(const external_body& spec,
                                                                     std::span<char> out);

// Parses the outer Content-Type value and the phantom header part; views point into the inputs.
result<external_body, external_body_error> parse_external_body(std::string_view content_type_value,
                                                               std::string_view phantom);

}  // namespace herald::cpim
