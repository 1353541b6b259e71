// Incremental, zero-copy Message/CPIM parser (RFC 3862) in the picohttpparser mould.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/cpim/message.hpp"

namespace herald::cpim {

enum class parse_error : std::uint8_t {
  ok = 0,
  need_more,                   // input ends inside the header blocks (or short of Content-Length)
  truncated,                   // parse_final: input ends inside a header line or short of Content-Length
  missing_blank_line,          // parse_final: a header block is not closed by an empty line
  bad_header_syntax,           // not `Name ":" *(";" Parameter) SP value CRLF`, or bare LF / folding
  bad_parameter,               // malformed `;name=value` header parameter (RFC 3862 §3.3)
  bad_address,                 // From/To/cc value not `[Formal-name] <URI>`
  unterminated_quoted_string,  // a String without its closing DQUOTE
  bad_escape,                  // backslash not followed by u+4HEX, b, t, n, r, ", ' or backslash
  control_character,           // CTL (NUL, bare CR, DEL...) inside a header line
  too_many_headers,            // more than max_headers CPIM or max_inner_headers MIME headers
  bad_datetime,                // DateTime not an RFC 3339 date-time
  bad_ns,                      // NS value not `[prefix SP] <URI>`
  undeclared_prefix,           // prefixed header name whose prefix no earlier NS declared
  bad_require,                 // Require value not a comma-separated list of header names
  duplicate_header,            // a second From or DateTime
  missing_from,                // no From header
  bad_content_length,          // inner Content-Length not a decimal uint64
};

std::string_view to_string(parse_error e);

// Parses as much as `input` holds. Returns ok with `out` filled once both header blocks are complete (and
// Content-Length bytes, if declared, are present): body is then the rest of the input (or Content-Length
// bytes). Returns need_more while the input could still grow into a valid message.
parse_error parse(std::string_view input, message& out);

// For a body the MSRP layer has fully reassembled: need_more becomes missing_blank_line or truncated.
parse_error parse_final(std::string_view input, message& out);

// Decodes a CPIM String's inside (RFC 3862 §3.3 Escape, \uXXXX to UTF-8) into out, which needs
// raw.size() bytes; returns the decoded length. Input must already have passed the parser's checks.
std::size_t unescape(std::string_view raw, char* out);

}  // namespace herald::cpim
