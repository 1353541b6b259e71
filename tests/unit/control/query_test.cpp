// Query strings: exact parameter names, percent-decoded values, strict counts.
#include "herald/control/query.hpp"

#include <gtest/gtest.h>

namespace herald::control {
namespace {

TEST(Query, FillsKnownFieldsAndDecodesValues) {
  query_field f[] = {{"uri", {}, false}, {"limit", {}, false}};
  std::string bad;
  ASSERT_EQ(parse_query("uri=sip%3Ateam%40example.com&limit=5&&", f, bad), query_error::ok);
  EXPECT_TRUE(f[0].present);
  EXPECT_EQ(f[0].value, "sip:team@example.com");
  EXPECT_EQ(f[1].value, "5");
  query_field tel[] = {{"uri", {}, false}};
  ASSERT_EQ(parse_query("uri=tel:+15551234", tel, bad), query_error::ok);
  EXPECT_EQ(tel[0].value, "tel:+15551234");  // '+' is not a space here
}

TEST(Query, RefusesUnknownRepeatedAndBadlyEncodedParameters) {
  query_field f[] = {{"offset", {}, false}};
  std::string bad;
  EXPECT_EQ(parse_query("ofset=1", f, bad), query_error::unknown_parameter);
  EXPECT_EQ(bad, "ofset");
  query_field g[] = {{"offset", {}, false}};
  EXPECT_EQ(parse_query("offset=1&offset=2", g, bad), query_error::duplicate_parameter);
  query_field h[] = {{"offset", {}, false}};
  EXPECT_EQ(parse_query("offset=%4", h, bad), query_error::bad_encoding);
  query_field i[] = {{"offset", {}, false}};
  EXPECT_EQ(parse_query("offset=%zz", i, bad), query_error::bad_encoding);
}

TEST(Query, CountsAreWholeDecimalNumbersWithinTheirBound) {
  std::size_t n = 9;
  EXPECT_TRUE(parse_count("0", 10, n));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(parse_count("10", 10, n));
  for (std::string_view bad : {"", "abc", "11", "-1", "1.5", " 1", "0x1"})
    EXPECT_FALSE(parse_count(bad, 10, n)) << bad;
}

}  // namespace
}  // namespace herald::control
