// Incremental, allocation-free MSRP (RFC 4975) request/response parser in the picohttpparser mould.
//
// Header field names are matched case-insensitively: RFC 4975 §9 writes them as quoted ABNF strings,
// which RFC 5234 §2.3 defines as case-insensitive, whereas "MSRP", "SEND" and "REPORT" are spelled with
// %x byte values and are therefore case-sensitive ("msrp" is a bad start line; "Send" is an unknown
// method name, not 1*UPALPHA, hence bad_start_line).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "herald/msrp/errors.hpp"
#include "herald/msrp/types.hpp"

namespace herald::msrp {

struct limits {
  std::size_t max_header_bytes = 16 * 1024;  // start line through the last header line
  std::size_t max_body_bytes = 1 << 20;      // data of one chunk
  std::size_t max_headers = 32;              // header lines, To-Path and From-Path included
  // RFC 4975 §7.1.1: when range-end is known the chunk carries exactly end - start + 1 bytes. The §4
  // example itself gets this wrong (1-25/25 over 23 bytes), so the check can be switched off for
  // interop; it is skipped for aborted chunks ('#'), whose data may be cut short, and for non-SEND.
  bool check_byte_range_length = true;
  // A server matching responses by transaction id never uses their paths; skipping their URI
  // validation halves the cost of the 10^5-10^6 responses a fan-out brings back. Header syntax and
  // control characters are still checked.
  bool validate_response_paths = true;
};

enum class message_kind : std::uint8_t { request, response };
enum class request_method : std::uint8_t { send, report, unknown };

// Extension headers kept per message; more than this is too_many_headers whatever limits say.
inline constexpr std::size_t max_extension_headers = 32;

// One parsed request or response. Every view points into the caller's input buffer.
struct message {
  message_kind kind = message_kind::request;
  request_method method = request_method::unknown;  // requests only
  std::string_view method_name;                     // as written, e.g. "SEND" or "NICKNAME"
  std::string_view transaction_id;
  std::uint16_t status_code = 0;  // responses only
  std::string_view comment;       // responses only; empty when absent

  std::string_view to_path;    // raw header value: split_path() gives the URIs
  std::string_view from_path;  // raw header value
  std::string_view message_id;
  std::optional<msrp::byte_range> byte_range;
  report_mode success_report = report_mode::unset;
  report_mode failure_report = report_mode::unset;
  std::optional<status_field> status;
  std::string_view content_type;
  std::string_view content_id;
  std::string_view content_description;
  std::string_view content_disposition;

  std::array<header_field, max_extension_headers> extension_storage{};
  std::size_t extension_count = 0;
  std::span<const header_field> extension_headers() const {
    return {extension_storage.data(), extension_count};
  }

  bool has_body = false;  // a blank line after the headers opened a data section
  std::string_view body;  // the data, without the CRLF that precedes the end-line
  continuation flag = continuation::complete;
};

enum class parse_status : std::uint8_t { complete, need_more, error };

struct parse_result {
  parse_status status = parse_status::need_more;
  error_code error = error_code::ok;
  std::size_t consumed = 0;  // bytes of the message, end-line included (complete only)
};

// Parses one message from the start of input. Stateless: a need_more caller calls again with the same
// bytes plus more, and everything is re-examined (use parser to avoid rescanning the body).
//
// On error, `out` still holds what was read before the error, so the caller can answer without parsing
// again: kind, method and transaction_id once the start line's transaction id was read and valid, then
// to_path and from_path once each was read and valid (and any header after them); the rest is empty.
// A request is answerable when its transaction id and From-Path were read (RFC 4975 §7.2: the response
// goes to the first From-Path URI).
parse_result parse(std::string_view input, message& out, const limits& lim = {});

// Resumable form: remembers how far the header lines and the body were examined, so feeding a growing
// buffer costs O(new bytes) for the body scan. The buffer may move between calls, but its prefix must
// be the same bytes. Call reset() before the next message.
class parser {
 public:
  explicit parser(const limits& lim = {}) : lim_(lim) {}
  parse_result feed(std::string_view input, message& out);
  void reset() {
    checked_lines_ = 0;
    body_scanned_ = 0;
  }

  // After feed() returned an error: true when the rest of that message can be skipped to read the next
  // one, that is its transaction id was read and the error is not in its end-line (RFC 4975 §7.1: the
  // end-line names the transaction, so it is found without understanding what precedes it). Otherwise
  // framing is lost and the connection cannot continue.
  bool can_skip() const { return skip_tid_len_ != 0; }
  // Discards the failed message through its end-line, fed the input from where that message started
  // (first call) or from where the previous call left off. complete: `consumed` bytes end the message;
  // need_more: `consumed` bytes may be dropped, feed the rest again with more; error (framing_lost): no
  // end-line within max_header_bytes + 2 * max_body_bytes, or can_skip() was false. Then call reset().
  parse_result skip(std::string_view input);

  // Every message of a session repeats the same To-Path and From-Path, so the last ones that passed URI
  // validation are remembered byte-for-byte and a repeat skips parse_uri (about a third of a small
  // SEND's parse time).
  static constexpr std::size_t path_cache_bytes = 256;

 private:
  parse_result parse_message(std::string_view input, message& out);
  bool path_valid(int which, std::string_view value);
  bool check_paths(const message& m) const;

  limits lim_;
  std::size_t checked_lines_ = 0;  // input prefix known to hold no new complete line
  std::size_t body_scanned_ = 0;   // body offset before which no end-line can start
  // The failed message being skipped: its transaction id and the bytes dropped so far.
  std::size_t skip_tid_len_ = 0;
  std::size_t skipped_ = 0;
  char skip_tid_[max_transaction_id_chars];
  std::size_t path_cache_len_[2] = {0, 0};
  char path_cache_[2][path_cache_bytes];
};

// RFC 4975 §7.1.1: with a known range-end a SEND's data must be end - start + 1 bytes long. Returns
// byte_range_mismatch or ok (ok also without Byte-Range, with end '*', and for anything but SEND: a
// REPORT's Byte-Range describes the reported message, not its own body).
error_code check_byte_range_length(const message& m);

}  // namespace herald::msrp
