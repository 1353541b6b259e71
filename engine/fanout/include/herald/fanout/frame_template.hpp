// Per-recipient MSRP SEND frames over one shared Message/CPIM body: build once per message, stamp per
// recipient.
//
// A conference message goes to 10^5..10^6 sessions and only a few bytes differ per recipient (RFC 4975
// To-Path/From-Path, transaction id, Message-ID, Byte-Range; RFC 3862 CPIM To). frame_template
// precomputes everything else once; stamp() then writes the per-recipient header bytes into caller memory
// (a per-shard arena span) and returns three iovec-ready spans: [header][shared body slice][end-line].
// The CPIM headers after To and the inner MIME headers are the same for every recipient; they lead the
// shared slice rather than being copied into each header.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "herald/core/random.hpp"
#include "herald/core/result.hpp"
#include "herald/core/shared_buffer.hpp"
#include "herald/cpim/message.hpp"
#include "herald/msrp/encoder.hpp"
#include "herald/msrp/types.hpp"

namespace herald::fanout {

enum class fanout_error : std::uint8_t {
  ok = 0,
  buffer_too_small,        // out span smaller than max_stamp_bytes(recipient)
  bad_address,             // CPIM From/To URI or display name fails cpim::validate_* (header injection)
  bad_cpim_headers,        // extra CPIM / inner header lines do not parse back as RFC 3862
  bad_path,                // To-Path / From-Path empty or containing CTLs
  bad_message_id,          // not an RFC 4975 §9 ident
  bad_transaction_id,      // caller-supplied tid not an RFC 4975 §9 ident
  unsafe_transaction_id,   // caller-supplied tid whose end-line occurs in the body (RFC 4975 §7.1)
  no_safe_transaction_id,  // the rng kept drawing tids found in the body (practically unreachable)
  bad_chunk_size,          // max_chunk_bytes == 0
  body_outside_storage,    // spec.body does not point into spec.body_storage
  finished,                // stamp() called after the last chunk
};

std::string_view to_string(fanout_error e);

// Everything common to all recipients of one message.
struct template_spec {
  // CPIM From: the conference (server-originated) or the sender's authenticated address (participant).
  std::string_view from_uri;
  std::string_view from_name;            // decoded display name, may be empty
  std::optional<std::int64_t> datetime;  // epoch seconds; written as CPIM DateTime after To when set
  // Further CPIM header lines (each ending CRLF, e.g. from cpim::writer): NS, imdn.*, Subject... Written
  // after From/To/DateTime, in order.
  std::string_view extra_cpim_headers;
  // Encapsulated MIME header lines (each ending CRLF) without the blank line: Content-Type etc., or the
  // message/external-body Content-Type built by cpim::build_external_body.
  std::string_view inner_headers;
  // The encapsulated body, shared by every frame behind the CPIM suffix (the header lines after To, the
  // inner headers). When body_storage is set, body must lie inside it, and the body is not copied if
  // the suffix already precedes it there (a participant's CPIM with From/To first) or fits the storage's
  // headroom (allocate it with body_headroom_bytes; only an unshared storage is written). Otherwise
  // suffix and body are copied once per message into a new shared_buffer.
  shared_buffer body_storage;
  std::string_view body;
  msrp::report_mode success_report = msrp::report_mode::unset;
  msrp::report_mode failure_report = msrp::report_mode::unset;
  std::size_t max_chunk_bytes = 2048;  // MSRP data per chunk (RFC 4975 §5.1 chunking)
  std::size_t transaction_id_chars = msrp::default_transaction_id_chars;
};

// Headroom to reserve in front of a body buffer (shared_buffer::allocate/copy_of) so the CPIM suffix of
// a system message usually fits there: DateTime, a few extra CPIM lines and the inner Content-Type.
inline constexpr std::size_t body_headroom_bytes = 512;

// The bytes of every frame to one session that no message changes: its To-Path and our From-Path
// (RFC 4975 §7.1) and its CPIM To value (RFC 3862 §3.3, display name escaped). Built and validated once
// when the session binds, so stamp() copies two ready blocks per recipient instead of formatting paths
// and rescanning the display name for every message of a 10^5-recipient fan-out. It owns one allocation
// holding both blocks; the paths are views into it, so a session needs no separate path strings.
class recipient_bytes {
 public:
  // bad_path: a path empty, with CTLs or over 4 KiB; bad_address: a URI or display name fails
  // cpim::validate_* (header injection).
  static result<recipient_bytes, fanout_error> make(std::string_view to_path, std::string_view from_path,
                                                    std::string_view to_uri, std::string_view to_name = {});

  recipient_bytes() = default;
  recipient_bytes(recipient_bytes&&) = default;
  recipient_bytes& operator=(recipient_bytes&&) = default;

  std::string_view paths() const { return {bytes_.get(), paths_len()}; }  // "<to>\r\nFrom-Path: <from>"
  std::string_view to_path() const { return {bytes_.get(), to_path_len_}; }
  std::string_view from_path() const { return {bytes_.get() + to_path_len_ + kFromPathGlue, from_path_len_}; }
  std::string_view cpim_to() const { return {bytes_.get() + paths_len(), cpim_to_len_}; }  // "name" <uri>
  std::string_view to_uri() const {
    return {bytes_.get() + paths_len() + cpim_to_len_ - uri_len_ - 1, uri_len_};
  }
  bool empty() const { return !bytes_; }
  std::size_t heap_bytes() const { return bytes_ ? paths_len() + cpim_to_len_ : 0; }

 private:
  static constexpr std::size_t kFromPathGlue = 13;  // "\r\nFrom-Path: "
  std::size_t paths_len() const { return to_path_len_ + kFromPathGlue + from_path_len_; }
  std::unique_ptr<char[]> bytes_;
  std::uint16_t to_path_len_ = 0;
  std::uint16_t from_path_len_ = 0;
  std::uint16_t cpim_to_len_ = 0;
  std::uint16_t uri_len_ = 0;
};

// What stamp() needs for one recipient and chunk: views of its recipient_bytes plus the ids of this frame.
struct recipient {
  recipient() = default;
  explicit recipient(const recipient_bytes& b) : paths(b.paths()), cpim_to(b.cpim_to()) {}

  std::string_view paths;       // recipient_bytes::paths()
  std::string_view cpim_to;     // recipient_bytes::cpim_to()
  std::string_view message_id;  // RFC 4975 Message-ID; empty = the first chunk's transaction id
  std::string_view
      transaction_id;  // tid of the chunk being stamped (set it per call); empty = drawn from rng
};

// The per-call ids of r: idents of at most 32 characters (RFC 4975 §9) when set. stamp() checks only
// their lengths, which protect its fixed-size buffers.
fanout_error validate_recipient(const recipient& r);

// Per-recipient stamping state across chunks of one message.
struct chunk_cursor {
  std::uint64_t offset = 0;  // MSRP body bytes already stamped
  bool done = false;
  bool message_id_is_tid = false;  // Message-ID is the first chunk's tid (no caller Message-ID)
  std::uint8_t message_id_len = 0;
  char message_id[msrp::max_transaction_id_chars];
  std::string_view transaction_id() const { return {tid_storage, tid_len}; }  // of the last stamped frame
  char tid_storage[msrp::max_transaction_id_chars];
  std::uint8_t tid_len = 0;
};

// One MSRP chunk as three spans; header and end_line live in the caller's out buffer.
struct stamped_frame {
  std::string_view header;    // MSRP start line .. blank line (+ CPIM head up to To in the first chunk)
  std::string_view body;      // slice of the shared tail: CPIM suffix + body (may be empty)
  std::string_view end_line;  // "\r\n-------<tid>$\r\n" or '+' for a non-final chunk
  bool last = true;
  std::size_t size() const { return header.size() + body.size() + end_line.size(); }
  std::array<iovec, 3> iovecs() const {
    auto io = [](std::string_view s) { return iovec{const_cast<char*>(s.data()), s.size()}; };
    return {io(header), io(body), io(end_line)};
  }
};

class frame_template {
 public:
  // Server-originated message: CPIM From = conference (spec.from_*), To stamped per recipient.
  static result<frame_template, fanout_error> make(template_spec spec);

  // Participant message: From replaced by the authenticated sender, every To dropped (stamped per
  // recipient), every other CPIM header line and the inner headers passed through byte-for-byte in order.
  // spec.from_*, datetime, extra_cpim_headers and inner_headers are ignored; spec.body/body_storage give
  // the bytes of parsed.body (pass the received buffer to avoid a copy).
  static result<frame_template, fanout_error> from_participant(const cpim::message& parsed,
                                                               std::string_view sender_uri,
                                                               std::string_view sender_name,
                                                               template_spec spec);

  frame_template() = default;
  frame_template(frame_template&&) = default;
  frame_template& operator=(frame_template&&) = default;

  // Bytes stamp() may write into out for any chunk of this recipient.
  // Ids and Byte-Range numbers are written as fixed-size blocks, so this counts their maxima; all but
  // the recipient's two blocks is summed once per message.
  std::size_t max_stamp_bytes(const recipient& r) const {
    return fixed_stamp_bytes_ + r.paths.size() + r.cpim_to.size();
  }

  // Stamps the next chunk for r into out. Call with a fresh cursor per recipient, repeatedly, until the
  // returned frame has last == true. No heap allocation.
  result<stamped_frame, fanout_error> stamp(const recipient& r, std::span<char> out, chunk_cursor& cursor,
                                            fast_rng& rng) const;

  // Total MSRP body bytes (CPIM headers + body) for r: the Byte-Range total.
  std::uint64_t msrp_body_bytes(const recipient& r) const;
  std::string_view body() const { return body_; }
  std::string_view cpim_prefix() const { return cpim_prefix_; }  // "From: ...\r\nTo: "
  std::string_view cpim_suffix() const { return cpim_suffix_; }  // "\r\n...\r\n<inner>\r\n"
  // The report headers every frame carries (unset: absent, RFC 4975 §7.1.2 defaults apply).
  msrp::report_mode success_report() const { return success_report_; }
  msrp::report_mode failure_report() const { return failure_report_; }

 private:
  static result<frame_template, fanout_error> finish(frame_template t, template_spec& spec);

  std::unique_ptr<char[]> storage_;  // prefix, suffix and the merged runs below; stable under moves
  std::string_view cpim_prefix_;
  std::string_view cpim_suffix_;
  // What follows the Byte-Range value, merged so stamp() copies one run: the report headers and
  // "\r\nContent-Type: message/cpim\r\n\r\n", then in the first chunk cpim_prefix_ too.
  std::string_view first_chunk_run_;
  std::string_view later_chunk_run_;
  shared_buffer body_storage_;  // holds tail_
  std::string_view tail_;       // cpim_suffix_ bytes then body_, contiguous: the frames' shared span
  std::string_view body_;
  std::unique_ptr<msrp::body_guard> body_guard_;    // views into tail_
  std::unique_ptr<msrp::body_guard> header_guard_;  // views into storage_ (pass-through CPIM lines)
  bool guards_empty_ = false;                       // neither guard holds a candidate: every id is safe
  std::size_t fixed_stamp_bytes_ = 0;               // max_stamp_bytes() less the recipient's own blocks
  std::size_t max_chunk_ = 2048;
  std::size_t tid_chars_ = msrp::default_transaction_id_chars;
  msrp::report_mode success_report_ = msrp::report_mode::unset;
  msrp::report_mode failure_report_ = msrp::report_mode::unset;
};

}  // namespace herald::fanout
