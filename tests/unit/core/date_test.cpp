// Date helper tests: RFC 1123 expiration and RFC 3339 DateTime formatting and validation.
#include "herald/core/date.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace herald {
namespace {

TEST(Rfc1123, FormatsEpochZero) {
  char out[rfc1123_length];
  format_rfc1123(0, out);
  EXPECT_EQ(std::string_view(out, sizeof(out)), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(Rfc1123, FormatsBriefExample) {
  char out[rfc1123_length];
  format_rfc1123(1798761600, out);
  EXPECT_EQ(std::string_view(out, sizeof(out)), "Fri, 01 Jan 2027 00:00:00 GMT");
}

TEST(Rfc1123, ParsesRfc4483ExampleDespiteWrongWeekday) {
  auto r = parse_rfc1123("Sat, 20 Jun 2002 12:00:00 GMT");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1024574400);
}

TEST(Rfc1123, NumericZoneIsApplied) {
  auto r = parse_rfc1123("Thu, 01 Jan 1970 01:00:00 +0100");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0);
}

TEST(Rfc1123, RoundTripsRandomInstants) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> dist(-62167219200, 253402300799);
  for (int i = 0; i < 2000; ++i) {
    std::int64_t t = dist(rng);
    char out[rfc1123_length];
    format_rfc1123(t, out);
    auto r = parse_rfc1123({out, sizeof(out)});
    ASSERT_TRUE(r.ok()) << std::string(out, sizeof(out));
    ASSERT_EQ(*r, t);
  }
}

struct bad_date {
  const char* text;
  date_error expected;
};

TEST(Rfc1123, RejectsMalformedDates) {
  const bad_date cases[] = {
      {"Xyz, 01 Jan 2027 00:00:00 GMT", date_error::bad_day_name},
      {"Thu, 01 Foo 2027 00:00:00 GMT", date_error::bad_month},
      {"Thu, 32 Jan 2027 00:00:00 GMT", date_error::out_of_range},
      {"Thu, 29 Feb 2027 00:00:00 GMT", date_error::out_of_range},
      {"Thu, 01 Jan 2027 24:00:00 GMT", date_error::out_of_range},
      {"Thu, 01 Jan 2027 00:60:00 GMT", date_error::out_of_range},
      {"Thu, 01 Jan 2027 00:00:00 PST", date_error::bad_zone},
      {"Thu, 01 Jan 2027 00:00:00 +2400", date_error::bad_zone},
      {"Thu 01 Jan 2027 00:00:00 GMT", date_error::bad_syntax},
      {"Thu, 1 Jan 2027 00:00:00 GMT", date_error::bad_syntax},
      {"", date_error::bad_syntax},
  };
  for (const auto& c : cases)
    EXPECT_EQ(to_string(parse_rfc1123(c.text).error()), to_string(c.expected)) << c.text;
}

TEST(Rfc3339, FormatsSecondsAndNanoseconds) {
  char s[rfc3339_length];
  format_rfc3339(976743600, s);
  EXPECT_EQ(std::string_view(s, sizeof(s)), "2000-12-13T21:40:00Z");
  char ns[rfc3339_ns_length];
  format_rfc3339_ns(976743600'123456789LL, ns);
  EXPECT_EQ(std::string_view(ns, sizeof(ns)), "2000-12-13T21:40:00.123456789Z");
}

TEST(Rfc3339, ParsesOffsetsAndFractions) {
  EXPECT_EQ(*parse_rfc3339("2000-12-13T13:40:00-08:00"), 976743600);
  EXPECT_EQ(*parse_rfc3339("2000-12-13t21:40:00.5z"), 976743600);
  EXPECT_EQ(*parse_rfc3339("1996-12-19T16:39:57-08:00"), 851042397);
}

TEST(Rfc3339, LeapYearFeb29Accepted) {
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z").ok());
}

TEST(Rfc3339, RejectsMalformed) {
  const bad_date cases[] = {
      {"2000-02-30T00:00:00Z", date_error::out_of_range},
      {"1900-02-29T00:00:00Z", date_error::out_of_range},
      {"2000-00-01T00:00:00Z", date_error::out_of_range},
      {"2000-01-01T25:00:00Z", date_error::out_of_range},
      {"2000-01-01 00:00:00Z", date_error::bad_syntax},
      {"2000-01-01T00:00:00", date_error::bad_syntax},
      {"2000-01-01T00:00:00.Z", date_error::bad_syntax},
      {"2000-01-01T00:00:00+0800", date_error::bad_syntax},
      {"2000-01-01T00:00:00Zx", date_error::bad_syntax},
      {"2000-01-01T00:00:00+25:00", date_error::bad_zone},
  };
  for (const auto& c : cases)
    EXPECT_EQ(to_string(parse_rfc3339(c.text).error()), to_string(c.expected)) << c.text;
}

TEST(Rfc1123, ImfFixdateRulesAreStrict) {
  const rfc1123_rules fixdate{.imf_fixdate = true};
  EXPECT_EQ(*parse_rfc1123("Sun, 06 Nov 1994 08:49:37 GMT", fixdate), 784111777);
  // Accepted by the mail form, refused by IMF-fixdate (RFC 9110 §5.6.7): zone, case, trailing bytes.
  for (std::string_view lenient : {"Sun, 06 Nov 1994 08:49:37 UTC", "sun, 06 Nov 1994 08:49:37 GMT",
                                   "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 +0000"}) {
    EXPECT_TRUE(parse_rfc1123(lenient).ok()) << lenient;
    EXPECT_FALSE(parse_rfc1123(lenient, fixdate).ok()) << lenient;
  }
  EXPECT_EQ(parse_rfc1123("Sun, 06 Nov 1994 08:49:37 GMT ", fixdate).error(), date_error::bad_syntax);
}

TEST(Rfc1123, WeekdayIsCheckedOnlyWhenAsked) {
  // 2027-01-01 is a Friday.
  EXPECT_TRUE(parse_rfc1123("Thu, 01 Jan 2027 00:00:00 GMT").ok());
  EXPECT_EQ(parse_rfc1123("Thu, 01 Jan 2027 00:00:00 GMT", {.check_weekday = true}).error(),
            date_error::weekday_mismatch);
  EXPECT_TRUE(parse_rfc1123("Fri, 01 Jan 2027 00:00:00 GMT", {.check_weekday = true}).ok());
}

TEST(Rfc3339, FormatThenParseRoundTrips) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::int64_t> dist(-62167219200, 253402300799);
  for (int i = 0; i < 2000; ++i) {
    std::int64_t t = dist(rng);
    char out[rfc3339_length];
    format_rfc3339(t, out);
    ASSERT_EQ(*parse_rfc3339({out, sizeof(out)}), t);
  }
}

}  // namespace
}  // namespace herald
