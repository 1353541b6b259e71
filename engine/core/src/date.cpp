// RFC 1123 and RFC 3339 date formatting/parsing over the proleptic Gregorian calendar, without libc time
// zones.
#include "herald/core/date.hpp"

#include "herald/core/ascii.hpp"

namespace herald {

namespace {

constexpr char kDayNames[7][4] = {"Thu", "Fri", "Sat", "Sun",
                                  "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday
constexpr char kMonthNames[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::int64_t kMinEpoch = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t kMaxEpoch = 253402300799;  // 9999-12-31T23:59:59Z

struct civil {
  std::int64_t y;
  unsigned m, d;
};

civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

bool leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

void put2(char* p, unsigned v) {
  p[0] = char('0' + v / 10);
  p[1] = char('0' + v % 10);
}
void put4(char* p, unsigned v) {
  put2(p, v / 100);
  put2(p + 2, v % 100);
}

// Reads exactly n digits; false if any is not a digit.
bool digits(std::string_view s, std::size_t at, std::size_t n, unsigned& out) {
  if (at + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[at + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + unsigned(c - '0');
  }
  out = v;
  return true;
}

// A three-letter name: exactly as written in IMF-fixdate, in any case otherwise.
bool name_is(std::string_view a, const char* b, bool exact) {
  const std::string_view want(b, 3);
  return exact ? a == want : ascii::iequals(a, want);
}

void split_time(std::int64_t epoch, civil& c, unsigned& hh, unsigned& mm, unsigned& ss, unsigned& wday) {
  std::int64_t days = floor_div(epoch, 86400);
  auto secs = static_cast<unsigned>(epoch - days * 86400);
  c = civil_from_days(days);
  hh = secs / 3600;
  mm = secs / 60 % 60;
  ss = secs % 60;
  wday = static_cast<unsigned>(((days % 7) + 7) % 7);
}

// A zone offset can push year 0000 or 9999 outside what format_* can write back; refuse those.
result<std::int64_t, date_error> checked(std::int64_t t) {
  if (t < kMinEpoch || t > kMaxEpoch) return date_error::out_of_range;
  return t;
}

std::int64_t clamp_epoch(std::int64_t s) {
  return s < kMinEpoch ? kMinEpoch : (s > kMaxEpoch ? kMaxEpoch : s);
}

}  // namespace

std::string_view to_string(date_error e) {
  switch (e) {
    case date_error::ok:
      return "ok";
    case date_error::bad_syntax:
      return "bad_syntax";
    case date_error::bad_day_name:
      return "bad_day_name";
    case date_error::bad_month:
      return "bad_month";
    case date_error::out_of_range:
      return "out_of_range";
    case date_error::bad_zone:
      return "bad_zone";
    case date_error::weekday_mismatch:
      return "weekday_mismatch";
  }
  return "unknown";
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void format_rfc1123(std::int64_t epoch_seconds, char out[rfc1123_length]) {
  civil c;
  unsigned hh, mm, ss, wday;
  split_time(clamp_epoch(epoch_seconds), c, hh, mm, ss, wday);
  for (int i = 0; i < 3; ++i) out[i] = kDayNames[wday][i];
  out[3] = ',';
  out[4] = ' ';
  put2(out + 5, c.d);
  out[7] = ' ';
  for (int i = 0; i < 3; ++i) out[8 + i] = kMonthNames[c.m - 1][i];
  out[11] = ' ';
  put4(out + 12, static_cast<unsigned>(c.y));
  out[16] = ' ';
  put2(out + 17, hh);
  out[19] = ':';
  put2(out + 20, mm);
  out[22] = ':';
  put2(out + 23, ss);
  out[25] = ' ';
  out[26] = 'G';
  out[27] = 'M';
  out[28] = 'T';
}

void format_rfc3339(std::int64_t epoch_seconds, char out[rfc3339_length]) {
  civil c;
  unsigned hh, mm, ss, wday;
  split_time(clamp_epoch(epoch_seconds), c, hh, mm, ss, wday);
  put4(out, static_cast<unsigned>(c.y));
  out[4] = '-';
  put2(out + 5, c.m);
  out[7] = '-';
  put2(out + 8, c.d);
  out[10] = 'T';
  put2(out + 11, hh);
  out[13] = ':';
  put2(out + 14, mm);
  out[16] = ':';
  put2(out + 17, ss);
  out[19] = 'Z';
}

void format_rfc3339_ns(std::int64_t epoch_ns, char out[rfc3339_ns_length]) {
  std::int64_t secs = floor_div(epoch_ns, 1'000'000'000);
  auto frac = static_cast<unsigned>(epoch_ns - secs * 1'000'000'000);
  if (secs != clamp_epoch(secs)) frac = 0;
  format_rfc3339(secs, out);
  out[19] = '.';
  for (int i = 8; i >= 0; --i) {
    out[20 + i] = char('0' + frac % 10);
    frac /= 10;
  }
  out[29] = 'Z';
}

result<std::int64_t, date_error> parse_rfc1123(std::string_view s, rfc1123_rules rules) {
  // day-name "," SP 2DIGIT SP month SP 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP zone
  if (s.size() < 29 || (rules.imf_fixdate && s.size() != 29)) return date_error::bad_syntax;
  int weekday = -1;
  for (int i = 0; i < 7; ++i)
    if (name_is(s.substr(0, 3), kDayNames[i], rules.imf_fixdate)) weekday = i;
  if (weekday < 0) return date_error::bad_day_name;
  if (s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s[25] != ' ')
    return date_error::bad_syntax;
  unsigned d, y, hh, mm, ss;
  if (!digits(s, 5, 2, d) || !digits(s, 12, 4, y) || !digits(s, 17, 2, hh) || !digits(s, 20, 2, mm) ||
      !digits(s, 23, 2, ss))
    return date_error::bad_syntax;
  unsigned m = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (name_is(s.substr(8, 3), kMonthNames[i], rules.imf_fixdate)) m = i + 1;
  if (m == 0) return date_error::bad_month;
  if (d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60) return date_error::out_of_range;
  std::string_view zone = s.substr(26);
  std::int64_t offset = 0;
  if (rules.imf_fixdate && zone != "GMT") return date_error::bad_zone;
  if (zone == "GMT" || zone == "UT" || zone == "UTC" || zone == "Z") {
    offset = 0;
  } else if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    unsigned zh, zm;
    if (!digits(zone, 1, 2, zh) || !digits(zone, 3, 2, zm)) return date_error::bad_zone;
    if (zh > 23 || zm > 59) return date_error::bad_zone;
    offset = (zone[0] == '+' ? 1 : -1) * std::int64_t(zh * 3600 + zm * 60);
  } else {
    return date_error::bad_zone;
  }
  const std::int64_t days = days_from_civil(y, m, d);
  if (rules.check_weekday && ((days % 7) + 7) % 7 != weekday) return date_error::weekday_mismatch;
  return checked(days * 86400 + std::int64_t(hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss)) - offset);
}

result<std::int64_t, date_error> parse_rfc3339(std::string_view s) {
  // full-date "T" partial-time time-offset; "T" and "Z" may be lower case (RFC 3339 §5.6 NOTE).
  if (s.size() < 20) return date_error::bad_syntax;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
    return date_error::bad_syntax;
  unsigned y, m, d, hh, mm, ss;
  if (!digits(s, 0, 4, y) || !digits(s, 5, 2, m) || !digits(s, 8, 2, d) || !digits(s, 11, 2, hh) ||
      !digits(s, 14, 2, mm) || !digits(s, 17, 2, ss))
    return date_error::bad_syntax;
  if (m < 1 || m > 12) return date_error::out_of_range;
  if (d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60) return date_error::out_of_range;
  std::size_t i = 19;
  if (s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return date_error::bad_syntax;
  }
  if (i >= s.size()) return date_error::bad_syntax;
  std::int64_t offset = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    unsigned zh, zm;
    if (i + 6 > s.size() || s[i + 3] != ':' || !digits(s, i + 1, 2, zh) || !digits(s, i + 4, 2, zm))
      return date_error::bad_syntax;
    if (zh > 23 || zm > 59) return date_error::bad_zone;
    offset = (s[i] == '+' ? 1 : -1) * std::int64_t(zh * 3600 + zm * 60);
    i += 6;
  } else {
    return date_error::bad_zone;
  }
  if (i != s.size()) return date_error::bad_syntax;
  return checked(days_from_civil(y, m, d) * 86400 + std::int64_t(hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss)) -
                 offset);
}

}  // namespace herald
