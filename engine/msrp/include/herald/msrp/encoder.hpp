// MSRP (RFC 4975) encoder: stamps start lines, headers, Byte-Range and end-lines into caller buffers.
//
// Frames are assembled as iovecs: [request header] [body slice] [end-line]. The header and end-line are
// stamped here into caller memory (e.g. a per-shard arena); the body is never copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "herald/core/random.hpp"
#include "herald/core/result.hpp"
#include "herald/msrp/types.hpp"

namespace herald::msrp {

enum class encode_error : std::uint8_t {
  ok = 0,
  buffer_too_small,
  bad_transaction_id,  // not RFC 4975 §9 ident (4..32 chars, first alphanumeric)
  bad_method,          // not 1*UPALPHA
  bad_status_code,     // not 100..999
  bad_header,          // empty path, or a name/value containing CR, LF or NUL
  bad_byte_range,      // start == 0, or end < start - 1
};
std::string_view to_string(encode_error e);
// Success-Report / Failure-Report header value (RFC 4975 §7.1); empty for unset.
std::string_view to_string(report_mode m);

// Longest uint64 in decimal.
inline constexpr std::size_t max_uint64_chars = 20;
// "start-end/total" with every part a full uint64 (no header name, no CRLF).
inline constexpr std::size_t max_byte_range_chars = 3 * max_uint64_chars + 2;

// Writes the Byte-Range *value* ("1-25/25", "1-*/*", "26-*/100") to out, which must hold
// max_byte_range_chars; returns the bytes written. Does not validate (see encode_request_header).
std::size_t format_byte_range(char* out, const byte_range& range);

// "\r\n-------" tid flag "\r\n": the leading CRLF is the one RFC 4975 §9 puts between data and end-line
// (content-stuff = ... 2CRLF data CRLF), so a body slice can be sent as-is followed by this span.
inline constexpr std::size_t max_end_line_chars = 2 + 7 + max_transaction_id_chars + 1 + 2;

// Writes "\r\n-------<tid><flag>\r\n" for a request that carries a body; out must hold
// max_end_line_chars. tid is not validated here (it was validated when the header was stamped).
std::size_t encode_end_line(char* out, std::string_view transaction_id, continuation flag);

// Writes "-------<tid><flag>\r\n" (no leading CRLF): the end-line of a bodiless request or a response,
// which follows the last header's CRLF directly (RFC 4975 §7.1, §7.2).
std::size_t encode_bodiless_end_line(char* out, std::string_view transaction_id, continuation flag);

// Scans a body ONCE so that many transaction ids (one per recipient in a fan-out) can be checked
// cheaply against it (RFC 4975 §7.1: the sender must pick a tid whose end-line does not occur in the
// body).
//
// Conservative under slicing: chunking (§5.1) cuts the body anywhere, so the CRLF that precedes a real
// end-line cannot be relied on. Every "-------" followed by an ident-char run is recorded, whatever
// precedes it; a tid is unsafe when it is a prefix of such a run ("+" is both an ident-char and a
// continuation flag, so "-------abcd+" makes "abcd" unsafe too). Runs starting with a non-alphanumeric
// are ignored since a tid's first character is alphanumeric.
//
// The common body (no "-------<alnum>") stores nothing and answers safe() in O(1) without allocating.
// The guard keeps views into body: the body must outlive it.
class body_guard {
 public:
  explicit body_guard(std::string_view body);

  // Inline fast path: almost every body has no candidate, and this runs once per recipient.
  bool safe(std::string_view transaction_id) const { return inline_count_ == 0 || safe_slow(transaction_id); }

  // Number of recorded "-------<run>" candidates (0 for ordinary bodies).
  std::size_t candidate_count() const { return inline_count_ + overflow_.size(); }

 private:
  static constexpr std::size_t inline_capacity = 4;
  void add(std::string_view run);
  bool safe_slow(std::string_view transaction_id) const;

  std::string_view inline_[inline_capacity];
  std::size_t inline_count_ = 0;
  std::vector<std::string_view> overflow_;  // only bodies with > inline_capacity candidates
};

// Default length of generated transaction ids: 62^16 ≈ 2^95 keeps per-session collisions out of reach.
inline constexpr std::size_t default_transaction_id_chars = 16;

// Writes n (4..32) characters from [A-Za-z0-9]: a valid RFC 4975 §9 transact-id.
void make_transaction_id(fast_rng& rng, char* out, std::size_t n = default_transaction_id_chars);

// Draws transaction ids until one is safe for guard; returns false after max_attempts failures
// (practically unreachable with n >= 8: the body would have to contain "-------" + the random id).
bool make_safe_transaction_id(fast_rng& rng, const body_guard& guard, char* out,
                              std::size_t n = default_transaction_id_chars, int max_attempts = 16);

// What encode_request_header stamps. All views must stay valid only for the call.
struct request_header {
  std::string_view method = "SEND";  // 1*UPALPHA: "SEND", "REPORT", or an extension method
  std::string_view transaction_id;
  std::string_view to_path;     // space-separated MSRP URIs, written verbatim
  std::string_view from_path;   // space-separated MSRP URIs, written verbatim
  std::string_view message_id;  // empty = omitted
  std::optional<msrp::byte_range> byte_range;
  report_mode success_report = report_mode::unset;  // omitted when unset
  report_mode failure_report = report_mode::unset;  // omitted when unset
  std::optional<status_field> status;               // REPORT's "Status: 000 200 OK"
  std::span<const header_field> extra_headers;      // written after the known ones, before Content-Type
  std::string_view content_type;                    // empty = bodiless request (no blank line is written)
};

// Exact number of bytes encode_request_header would write for h (no validation).
std::size_t request_header_size(const request_header& h);

// Writes "MSRP <tid> <method>\r\n", To-Path, From-Path, Message-ID, Success-Report, Failure-Report,
// Byte-Range, Status, the extra headers, then Content-Type last followed by the blank line (RFC 4975 §9:
// content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF). The body and end-line are not
// written: they go to separate iovec spans (encode_end_line after a body, encode_bodiless_end_line when
// content_type is empty). Returns the bytes written.
result<std::size_t, encode_error> encode_request_header(std::span<char> out, const request_header& h);

// Writes a complete response "MSRP <tid> <status>[ <comment>]\r\nTo-Path: ..\r\nFrom-Path: ..\r\n
// -------<tid>$\r\n" (RFC 4975 §7.2: responses carry no body). For a SEND the response To-Path is the
// first URI of the request's From-Path (§7.2); that choice is the caller's.
result<std::size_t, encode_error> encode_response(std::span<char> out, std::string_view transaction_id,
                                                  int status, std::string_view comment,
                                                  std::string_view to_path, std::string_view from_path);

// Convenience for small frames and tests: header + body + end-line in one buffer (copies the body).
result<std::size_t, encode_error> encode_request(std::span<char> out, const request_header& h,
                                                 std::string_view body, continuation flag);

}  // namespace herald::msrp
