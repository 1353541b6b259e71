// Vocabulary shared by the MSRP (RFC 4975) parser and encoder: Byte-Range, report modes, flags, headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::msrp {

// RFC 4975 §9: transact-id = ident = ALPHANUM 3*31ident-char, so 4..32 characters.
inline constexpr std::size_t min_transaction_id_chars = 4;
inline constexpr std::size_t max_transaction_id_chars = 32;

// RFC 4975 §7.1: the end-line's continuation flag.
enum class continuation : char { complete = '$', more = '+', abort = '#' };

// RFC 4975 §7.1.1, §9: Byte-Range: range-start "-" range-end "/" total, where range-end and total may be
// "*" (unknown; end_unknown / total_unknown set and the numeric field ignored). Positions are 1-based
// and inclusive, so an empty chunk starting at 1 is "1-0/0".
struct byte_range {
  std::uint64_t start = 1;
  std::uint64_t end = 0;
  bool end_unknown = false;
  std::uint64_t total = 0;
  bool total_unknown = false;

  friend bool operator==(const byte_range&, const byte_range&) = default;
};

// RFC 4975 §7.1.2 Success-Report (yes/no) and Failure-Report (yes/no/partial); unset = header absent.
enum class report_mode : std::uint8_t { unset, yes, no, partial };

// RFC 4975 §9 Status header of a REPORT: "Status: 000 200 OK" (namespace, code, optional reason).
struct status_field {
  std::uint16_t name_space = 0;
  std::uint16_t code = 0;
  std::string_view reason;

  friend bool operator==(const status_field&, const status_field&) = default;
};

// An extension (or otherwise unmodelled) header, both parts viewing the caller's bytes.
struct header_field {
  std::string_view name;
  std::string_view value;

  friend bool operator==(const header_field&, const header_field&) = default;
};

// RFC 4975 §9 ident-char = ALPHANUM / "." / "-" / "+" / "%" / "=".
constexpr bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
constexpr bool is_ident_char(char c) {
  return is_alnum(c) || c == '.' || c == '-' || c == '+' || c == '%' || c == '=';
}
namespace detail {
// Every response's transaction id is checked: one table load per character, not up to ten compares.
struct ident_table {
  bool ident[256] = {};
  constexpr ident_table() {
    for (int c = 0; c < 256; ++c) ident[c] = is_ident_char(static_cast<char>(c));
  }
};
inline constexpr ident_table ident_chars;
}  // namespace detail

// RFC 4975 §9 transact-id / Message-ID syntax.
constexpr bool is_valid_ident(std::string_view s) {
  if (s.size() < min_transaction_id_chars || s.size() > max_transaction_id_chars) return false;
  if (!is_alnum(s[0])) return false;
  for (char c : s)
    if (!detail::ident_chars.ident[static_cast<unsigned char>(c)]) return false;
  return true;
}

}  // namespace herald::msrp
