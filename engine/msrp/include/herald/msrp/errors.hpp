// MSRP parse errors and the one place that maps each to the status code a server answers (RFC 4975 §7.3).
#pragma once

#include <cstdint>
#include <string_view>

namespace herald::msrp {

enum class error_code : std::uint8_t {
  ok = 0,
  bad_start_line,               // not "MSRP" SP tid SP (method | 3DIGIT [SP comment]) CRLF
  bad_transaction_id,           // RFC 4975 §9 ident: 4..32 chars, first alphanumeric
  bad_status_code,              // response code not 3 digits in 100..999
  missing_to_path,              // the first header is not To-Path
  missing_from_path,            // the second header is not From-Path
  bad_header_order,             // From-Path first, or To-Path/From-Path repeated later (RFC 4975 §7.1)
  bad_header_syntax,            // not hname ":" SP hval CRLF
  duplicate_header,             // a known single-valued header given twice
  control_character_in_header,  // NUL, bare CR/LF or another CTL in a header or start line
  bad_uri,                      // a To-Path/From-Path entry is not an MSRP-URI (RFC 4975 §9)
  bad_message_id,               // Message-ID is not an ident
  bad_byte_range,               // Byte-Range syntax, overflow, start 0, end < start - 1, end > total
  byte_range_mismatch,          // known range length differs from the body length (see limits)
  bad_report_value,             // Success-Report not yes/no, Failure-Report not yes/no/partial
  bad_status_header,            // Status not "3DIGIT SP 3DIGIT [SP text]"
  bad_content_type,             // Content-Type is not type "/" subtype [params]
  missing_content_type,         // a body without Content-Type (RFC 4975 §7.1)
  missing_message_id,           // a SEND or REPORT without Message-ID (RFC 4975 §7.1.1, §7.1.2)
  header_block_too_large,
  too_many_headers,
  body_too_large,   // one chunk's data exceeds limits::max_body_bytes
  unexpected_body,  // a body where none may be (a response, RFC 4975 §7.2)
  bad_end_line,     // end-line with a foreign tid or a bad flag: the message's end cannot be trusted
  framing_lost,     // a failed message's end-line could not be found (parser::skip)
};

std::string_view to_string(error_code e);

// The status a server sends back for a request that failed with e (RFC 4975 §7.3: 400 unintelligible,
// 413 stop sending, 415 media type not understood). A well-formed request with an unknown method is not
// an error: answer it with status_method_not_understood.
int status_for(error_code e);

inline constexpr int status_ok = 200;
inline constexpr int status_unintelligible = 400;
inline constexpr int status_action_not_allowed = 403;
inline constexpr int status_timeout = 408;
inline constexpr int status_stop_sending = 413;
inline constexpr int status_media_not_understood = 415;
inline constexpr int status_parameter_out_of_bounds = 423;
inline constexpr int status_session_does_not_exist = 481;
inline constexpr int status_method_not_understood = 501;
inline constexpr int status_session_already_bound = 506;

// The RFC 4975 §7.3 / IANA comment for a status code ("" for unknown codes).
std::string_view status_comment(int status);

}  // namespace herald::msrp
