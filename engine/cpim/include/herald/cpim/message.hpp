// A parsed Message/CPIM body (RFC 3862): bounded arrays of views into the caller's input, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace herald::cpim {

// Bounds chosen for conference traffic: RCS/OMA clients send < 12 CPIM headers and 2-4 content headers.
inline constexpr std::size_t max_headers = 32;
inline constexpr std::size_t max_inner_headers = 16;

enum class header_kind : std::uint8_t { extension, from, to, cc, datetime, subject, ns, require };

// `[Formal-name] "<" URI ">"` (RFC 3862 §3.3); display_name is the wire text: the inside of the quoted
// String with escapes still in place, or the Token run without its trailing SP. Decode with unescape().
struct address {
  std::string_view display_name;
  std::string_view uri;
  bool quoted = false;
};

struct header {
  header_kind kind = header_kind::extension;
  std::string_view prefix;  // namespace prefix before '.', empty if none (RFC 3862 §3.2)
  std::string_view name;
  std::string_view params;  // raw `;name=value...` text between ':' and SP, empty if none
  std::string_view value;
  std::string_view line;  // the whole line including CRLF, for byte-exact pass-through
  address addr;  // from/to/cc; for ns: display_name = declared prefix (may be empty), uri = namespace
  std::string_view lang;  // `;lang=` parameter value (Subject), empty if absent
};

// Encapsulated MIME headers (RFC 2045 §3); names compare case-insensitively.
struct mime_header {
  std::string_view name;
  std::string_view value;  // leading/trailing whitespace trimmed; folded lines keep their CRLF WSP
  std::string_view line;   // including CRLF (and continuation lines)
};

struct message {
  std::array<header, max_headers> headers{};
  std::array<mime_header, max_inner_headers> inner{};
  std::uint8_t header_count = 0;
  std::uint8_t inner_count = 0;
  std::int8_t from_index = -1;
  bool has_datetime = false;
  bool has_content_length = false;
  std::int64_t datetime = 0;  // epoch seconds of DateTime when has_datetime
  std::uint64_t content_length = 0;
  std::string_view cpim_headers;   // every CPIM header line with its CRLF, excluding the blank line
  std::string_view inner_headers;  // every MIME header line with its CRLF, excluding the blank line
  std::string_view content_type;   // inner Content-Type value, empty if absent
  std::string_view content_id;     // inner Content-ID value, empty if absent
  std::string_view body;           // the encapsulated body

  std::span<const header> cpim() const { return {headers.data(), header_count}; }
  std::span<const mime_header> mime() const { return {inner.data(), inner_count}; }
  const address* from() const { return from_index < 0 ? nullptr : &headers[std::size_t(from_index)].addr; }
  std::size_t count(header_kind k) const {
    std::size_t n = 0;
    for (const auto& h : cpim()) n += h.kind == k;
    return n;
  }
  // The nth header of a kind, or nullptr.
  const header* find(header_kind k, std::size_t nth = 0) const {
    for (const auto& h : cpim())
      if (h.kind == k && nth-- == 0) return &h;
    return nullptr;
  }
  // The first inner header whose name matches case-insensitively, or nullptr.
  const mime_header* find_inner(std::string_view name) const;
};

}  // namespace herald::cpim
