// SDP (RFC 8866) as an MSRP session uses it (RFC 4975 §8, RFC 6135): a bounded, allocation-free parser for
// the offer a participant's INVITE carries, and the answer Herald gives. Views point into the offer text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/core/result.hpp"

namespace herald::sdp {

enum class sdp_error : std::uint8_t {
  ok = 0,
  empty,
  too_large,       // over limits::max_bytes
  bad_line,        // not <letter>=<value>, a bare CR or LF inside a line, or a control character
  bad_version,     // the first line is not v=0
  missing_origin,  // no o= line after v=
  bad_origin,      // o= not "username sess-id sess-version nettype addrtype address"
  missing_session_name,
  bad_connection,  // c= not "IN IP4|IP6 address"
  bad_media,       // m= not "media port[/count] proto fmt..."
  too_many_media,  // more m= lines than limits::max_media
  too_many_lines,  // more lines than limits::max_lines
  bad_attribute,   // an attribute Herald reads (path, accept-types, max-size, setup, connection) malformed
  duplicate_attribute,  // one of those given twice in a media section
  // What an offer must have for Herald to answer it (the API's sdp_not_acceptable, SIP 488):
  no_msrp_media,       // no m=message line with TCP/MSRP (or TCP/TLS/MSRP where allowed) and a non-zero port
  no_path,             // the MSRP media line has no a=path (RFC 4975 §8.2 requires one)
  cpim_not_accepted,   // accept-types has neither message/cpim nor '*': Herald only sends Message/CPIM
  setup_not_possible,  // a=setup:passive or holdconn: Herald never connects out (RFC 6135)
};

std::string_view to_string(sdp_error e);

struct limits {
  std::size_t max_bytes = 16 * 1024;
  std::size_t max_lines = 128;
  std::size_t max_media = 8;  // must be <= max_media_lines
};

inline constexpr std::size_t max_media_lines = 8;

// RFC 4145 §4 setup roles; unset when the attribute is absent (RFC 6135 then means active).
enum class setup_role : std::uint8_t { unset, active, passive, actpass, holdconn };
// RFC 4145 §5 connection attribute.
enum class connection_mode : std::uint8_t { unset, fresh, existing };

// One m= section.
struct media_description {
  std::string_view media;               // "message", "audio", ...
  std::uint32_t port = 0;               // 0: rejected or disabled (RFC 3264 §5.1)
  std::string_view proto;               // "TCP/MSRP", "TCP/TLS/MSRP", ...
  std::string_view formats;             // the fmt list as written ("*" for MSRP)
  std::string_view connection_address;  // its c= (else the session's)
  std::string_view path;                // a=path: MSRP URIs separated by single spaces (RFC 4975 §8.2)
  std::string_view accept_types;        // a=accept-types (RFC 4975 §8.6)
  std::string_view accept_wrapped_types;
  std::uint64_t max_size = 0;  // a=max-size, when has_max_size
  bool has_max_size = false;
  setup_role setup = setup_role::unset;
  connection_mode connection = connection_mode::unset;
  bool msrp() const;  // m=message over TCP/MSRP or TCP/TLS/MSRP
  bool tls() const { return proto == "TCP/TLS/MSRP"; }
};

struct session_description {
  std::string_view origin;              // the o= value
  std::string_view session_name;        // the s= value
  std::string_view connection_address;  // the session-level c= address
  std::array<media_description, max_media_lines> media{};
  std::size_t media_count = 0;
};

// Parses an SDP body. Lines end in CRLF (a lone LF is accepted, as RFC 8866 §5 asks of parsers); every
// line is <type>=<value>; v= first, then o= and s=; m= sections after the session part. Attributes Herald
// does not read are skipped, once checked for being text.
result<session_description, sdp_error> parse(std::string_view text, const limits& lim = {});

// The offer's first MSRP media line Herald can answer (its index), or the reason none can: no MSRP line
// with a port (TLS lines only when allow_tls), no path, accept-types without CPIM, or a setup role that
// needs Herald to connect.
result<std::size_t, sdp_error> choose_msrp_media(const session_description& offer, bool allow_tls);

// What Herald puts in its answer.
struct answer_params {
  std::string_view address;  // c= and o= address (an IP literal or a host name)
  std::uint16_t port = 0;    // the MSRP listener
  bool tls = false;          // TCP/TLS/MSRP
  std::string_view path;     // Herald's URI for this session (msrp[s]://host:port/<session-id>;tcp)
  std::string_view accept_types = "message/cpim *";
  std::uint64_t max_size = 0;
  std::uint64_t session_id = 0;  // o= sess-id and sess-version
};

// The answer to `offer` (RFC 3264 §6): one m= line per offered one, the chosen MSRP line answered with
// Herald's port, path, accept-types, accept-wrapped-types *, max-size and setup:passive (RFC 6135: the
// participant connects), every other line rejected with port 0.
std::string answer(const session_description& offer, std::size_t chosen, const answer_params& params);

}  // namespace herald::sdp
