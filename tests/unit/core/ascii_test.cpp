// herald::ascii: the one set of character classes and case-insensitive comparisons every codec uses.
#include "herald/core/ascii.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::ascii {
namespace {

TEST(Ascii, IequalsFoldsOnlyAsciiLetters) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Content-Type", "content-typ"));
  // '@' (0x40) and '`' (0x60) differ by the case bit but are not letters.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("\xc3\x89", "\xc3\xa9"));  // É vs é: UTF-8 is not folded
}

TEST(Ascii, IequalsLowerMatchesIequalsForHeaderNamesOfEveryLength) {
  const std::string names[] = {
      "to",           "msrp",           "status",     "to-path",        "from-path",          "message-id",
      "content-type", "success-report", "byte-range", "failure-report", "content-disposition"};
  for (const std::string& lower : names) {
    std::string upper = lower;
    for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    EXPECT_TRUE(iequals_lower(upper, lower)) << lower;
    EXPECT_TRUE(iequals_lower(lower, lower)) << lower;
    for (std::size_t i = 0; i < lower.size(); ++i) {
      std::string wrong = upper;
      wrong[i] = 'x' == lower[i] ? 'y' : 'x';
      EXPECT_FALSE(iequals_lower(wrong, lower)) << lower << " changed at " << i;
    }
    EXPECT_FALSE(iequals_lower(upper + "s", lower));
  }
}

TEST(Ascii, HexValue) {
  EXPECT_EQ(hex_value('0'), 0);
  EXPECT_EQ(hex_value('9'), 9);
  EXPECT_EQ(hex_value('a'), 10);
  EXPECT_EQ(hex_value('F'), 15);
  EXPECT_EQ(hex_value('g'), -1);
  EXPECT_EQ(hex_value('/'), -1);
}

TEST(Ascii, ParseU64RefusesEmptyNonDigitsAndOverflow) {
  std::uint64_t v = 7;
  EXPECT_TRUE(parse_u64("18446744073709551615", v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_FALSE(parse_u64("18446744073709551616", v));
  EXPECT_FALSE(parse_u64("", v));
  EXPECT_FALSE(parse_u64("12a", v));
  EXPECT_FALSE(parse_u64("-1", v));
}

TEST(Ascii, ControlAndTrim) {
  EXPECT_TRUE(is_control('\0'));
  EXPECT_TRUE(is_control('\t'));
  EXPECT_TRUE(is_control('\x7f'));
  EXPECT_FALSE(is_control(' '));
  EXPECT_FALSE(is_control('\x80'));
  EXPECT_EQ(trim_wsp(" \t a b\t "), "a b");
  EXPECT_TRUE(istarts_with("Bearer xyz", "bearer"));
  EXPECT_FALSE(istarts_with("Bear", "bearer"));
}

}  // namespace
}  // namespace herald::ascii
