// Date codecs: CPIM DateTime (RFC 3339), external-body expiration (RFC 1123 / RFC 822 §5) and the HTTP
// IMF-fixdate (RFC 9110 §5.6.7, the strict RFC 1123 form), one implementation for every layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/core/result.hpp"

namespace herald {

enum class date_error : std::uint8_t {
  ok = 0,
  bad_syntax,        // punctuation, digit counts or length do not match the grammar
  bad_day_name,      // RFC 1123 day-name not one of Mon..Sun
  bad_month,         // RFC 1123 month not one of Jan..Dec
  out_of_range,      // a field outside its calendar range (Feb 30, 24:00, minute 61...)
  bad_zone,          // zone not GMT/UT/UTC/Z or a numeric +hhmm offset
  weekday_mismatch,  // the day-name is not the date's weekday (checked only when asked)
};

std::string_view to_string(date_error e);

constexpr std::size_t rfc1123_length = 29;     // "Thu, 01 Jan 2027 00:00:00 GMT"
constexpr std::size_t rfc3339_length = 20;     // "2027-01-01T00:00:00Z"
constexpr std::size_t rfc3339_ns_length = 30;  // "2027-01-01T00:00:00.000000000Z"

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm, exact for all int years).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);

// Epoch seconds are clamped to years 0000..9999, the range both grammars can express.
void format_rfc1123(std::int64_t epoch_seconds, char out[rfc1123_length]);
void format_rfc3339(std::int64_t epoch_seconds, char out[rfc3339_length]);
void format_rfc3339_ns(std::int64_t epoch_ns, char out[rfc3339_ns_length]);

// How strictly parse_rfc1123 reads its input.
struct rfc1123_rules {
  // RFC 9110 §5.6.7 IMF-fixdate: exactly 29 bytes, "GMT", names spelled as written there. Otherwise
  // RFC 1123 §5.2.14 / RFC 822 §5 as mail and RFC 2046 parameters use it: names in any case, the zones
  // GMT/UT/UTC/Z or a numeric +hhmm offset.
  bool imf_fixdate = false;
  // The day-name must be the date's weekday. Off by default: it is redundant, and the RFC 4483 example
  // itself ("Sat, 20 Jun 2002") names the wrong one.
  bool check_weekday = false;
};

// "Sun, 06 Nov 1994 08:49:37 GMT" to epoch seconds; a leap second (60) is read as 59.
result<std::int64_t, date_error> parse_rfc1123(std::string_view text, rfc1123_rules rules = {});

// RFC 3339 §5.6 date-time to epoch seconds (fraction truncated); leap second 60 is accepted (§5.7).
result<std::int64_t, date_error> parse_rfc3339(std::string_view text);

}  // namespace herald
