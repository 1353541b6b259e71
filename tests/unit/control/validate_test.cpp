// Field validators: addresses, text, content types, URLs, IMF-fixdate and strict base64.
#include "herald/control/validate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::control {
namespace {

struct value_case {
  std::string in;
  value_error want;
};

void PrintTo(const value_case& c, std::ostream* os) {
  *os << '"' << c.in << '"';
}

TEST(ValidateAddress, AcceptsAndRejectsPerTable) {
  const value_case cases[] = {
      {"sip:alice@example.com", value_error::ok},
      {"SIP:alice@example.com;transport=tcp", value_error::ok},
      {"sips:bob@example.com:5061", value_error::ok},
      {"tel:+1-555-0100", value_error::ok},
      {"im:carol@example.com", value_error::ok},
      {"sip:o'brien@example.com", value_error::ok},
      {"sip:a%40b@example.com", value_error::ok},
      {"sip:" + std::string(252, 'a'), value_error::ok},        // 256 bytes
      {"sip:" + std::string(253, 'a'), value_error::too_long},  // 257 bytes
      {"", value_error::empty},
      {"alice@example.com", value_error::bad_scheme},
      {"http://example.com", value_error::bad_scheme},
      {"mailto:a@b", value_error::bad_scheme},
      {"sip:", value_error::bad_syntax},
      {"sip:a@b\r\nTo: x", value_error::control_char},
      {std::string("sip:a@b\0c", 9), value_error::control_char},
      {"sip:a@b\tc", value_error::control_char},
      {"sip:a b@c", value_error::bad_char},
      {"sip:a@b>", value_error::bad_char},
      {"sip:<a@b", value_error::bad_char},
      {"sip:\"a\"@b", value_error::bad_char},
      {"sip:a\\b@c", value_error::bad_char},
      {"sip:caf\xc3\xa9@b", value_error::bad_char},
      {"sip:a%0d%0aX@b", value_error::bad_percent},
      {"sip:a%00@b", value_error::bad_percent},
      {"sip:a%zz@b", value_error::bad_percent},
      {"sip:a%4", value_error::bad_percent},
  };
  for (const auto& c : cases) EXPECT_EQ(validate_address(c.in), c.want) << ::testing::PrintToString(c);
}

TEST(ValidateText, AcceptsAndRejectsPerTable) {
  const value_case cases[] = {
      {"Alice", value_error::ok},
      {"", value_error::ok},
      {"Zo\xc3\xab \"the\" <Builder>", value_error::ok},
      {"\xe6\x97\xa5\xe6\x9c\xac", value_error::ok},
      {std::string(128, 'a'), value_error::ok},
      {std::string(129, 'a'), value_error::too_long},
      {"Al\r\nice", value_error::control_char},
      {std::string("A\0", 2), value_error::control_char},
      {"A\tB", value_error::control_char},
      {"A\x7f", value_error::control_char},
      {"A\xc2\x85", value_error::control_char},      // U+0085 NEL
      {"A\xe2\x80\xa8", value_error::control_char},  // U+2028 LINE SEPARATOR
      {"A\xff", value_error::bad_utf8},
      {"A\xc3", value_error::bad_utf8},
  };
  for (const auto& c : cases)
    EXPECT_EQ(validate_text(c.in, kMaxDisplayNameBytes), c.want) << ::testing::PrintToString(c);
}

TEST(ValidateContentType, AcceptsAndRejectsPerTable) {
  const value_case cases[] = {
      {"text/plain", value_error::ok},
      {"text/plain;charset=utf-8", value_error::ok},
      {"text/plain; charset=\"utf-8\"; format=flowed", value_error::ok},
      {"application/vnd.example+json", value_error::ok},
      {"text/plain; x=\"a\\\"b\"", value_error::ok},
      {"a/" + std::string(126, 'b'), value_error::ok},
      {"a/" + std::string(127, 'b'), value_error::too_long},
      {"", value_error::empty},
      {"text", value_error::bad_syntax},
      {"text/", value_error::bad_syntax},
      {"/plain", value_error::bad_syntax},
      {"text/plain;", value_error::bad_syntax},
      {"text/plain; charset", value_error::bad_syntax},
      {"text/plain; charset=", value_error::bad_syntax},
      {"text/plain; x=\"open", value_error::bad_syntax},
      {"text/plain ", value_error::bad_syntax},
      {"text /plain", value_error::bad_syntax},
      {"text/pl@in", value_error::bad_syntax},
      {"text/plain\r\nX: y", value_error::control_char},
      {std::string("text/plain\0", 11), value_error::control_char},
      {"text/plain; x=\"caf\xc3\xa9\"", value_error::bad_char},
  };
  for (const auto& c : cases) EXPECT_EQ(validate_content_type(c.in), c.want) << ::testing::PrintToString(c);
}

TEST(ValidateUrl, AcceptsAndRejectsPerTable) {
  const value_case cases[] = {
      {"https://cdn.example.com/v/1.mp4", value_error::ok},
      {"http://example.com", value_error::ok},
      {"HTTPS://user@example.com:8443/a?b=c#d", value_error::ok},
      {"https://[2001:db8::1]/x", value_error::ok},
      {"https://e.com/" + std::string(2034, 'a'), value_error::ok},
      {"https://e.com/" + std::string(2035, 'a'), value_error::too_long},
      {"", value_error::empty},
      {"ftp://example.com/x", value_error::bad_scheme},
      {"javascript:alert(1)", value_error::bad_scheme},
      {"httpx://e.com", value_error::bad_scheme},
      {"//e.com/x", value_error::bad_scheme},
      {"https://", value_error::bad_syntax},
      {"https:///path", value_error::bad_syntax},
      {"https://user@/x", value_error::bad_syntax},
      {"https://e.com/a\"b", value_error::bad_char},
      {"https://e.com/a b", value_error::bad_char},
      {"https://e.com/<x>", value_error::bad_char},
      {"https://e.com/a\r\nb", value_error::control_char},
      {"https://e.com/%0a", value_error::bad_percent},
  };
  for (const auto& c : cases) EXPECT_EQ(validate_url(c.in), c.want) << ::testing::PrintToString(c);
}

TEST(ValidateContentId, AcceptsAndRejectsPerTable) {
  const value_case cases[] = {
      {"clip.4@cdn.example.com", value_error::ok},
      {"a@b", value_error::ok},
      {"x+y=z@host", value_error::ok},
      {std::string(64, 'a') + "@" + std::string(63, 'b'), value_error::ok},
      {std::string(64, 'a') + "@" + std::string(64, 'b'), value_error::too_long},
      {"", value_error::empty},
      {"no-at-sign", value_error::bad_syntax},
      {"two@at@signs", value_error::bad_syntax},
      {"@right", value_error::bad_syntax},
      {"left@", value_error::bad_syntax},
      {".dot@x", value_error::bad_syntax},
      {"a..b@x", value_error::bad_syntax},
      {"<bracketed@x>", value_error::bad_char},
      {"sp ace@x", value_error::bad_char},
      {"quo\"te@x", value_error::bad_char},
      {"a@x\r\nX-Injected: 1", value_error::control_char},
  };
  for (const auto& c : cases) EXPECT_EQ(validate_content_id(c.in), c.want) << ::testing::PrintToString(c);
}

TEST(HttpDate, ParsesImfFixdateToEpochSeconds) {
  auto r = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 784111777);
  auto y2027 = parse_http_date("Fri, 01 Jan 2027 00:00:00 GMT");
  ASSERT_TRUE(y2027.ok());
  EXPECT_EQ(y2027.value(), 1798761600);
  EXPECT_TRUE(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT").ok());
  EXPECT_TRUE(parse_http_date("Tue, 29 Feb 2028 23:59:60 GMT").ok());
}

TEST(HttpDate, WeekdayMismatchIsRefusedOnlyWhenChecked) {
  // 2027-01-01 is a Friday; the day name is redundant (RFC 9110 §5.6.7), so only the strict mode refuses it.
  EXPECT_TRUE(parse_http_date("Thu, 01 Jan 2027 00:00:00 GMT").ok());
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 2027 00:00:00 GMT", true).error(), value_error::out_of_range);
  EXPECT_TRUE(parse_http_date("Fri, 01 Jan 2027 00:00:00 GMT", true).ok());
}

TEST(HttpDate, RejectsMalformedAndOutOfRange) {
  const value_case cases[] = {
      {"Sun, 6 Nov 1994 08:49:37 GMT", value_error::bad_syntax},
      {"Sunday, 06-Nov-94 08:49:37 GMT", value_error::bad_syntax},
      {"Sun Nov  6 08:49:37 1994", value_error::bad_syntax},
      {"Sun, 06 Nov 1994 08:49:37 UTC", value_error::bad_syntax},
      {"sun, 06 Nov 1994 08:49:37 GMT", value_error::bad_syntax},
      {"Sun, 06 nov 1994 08:49:37 GMT", value_error::bad_syntax},
      {"Sun, 06 Nov 1994 08:49:37 GMT ", value_error::bad_syntax},
      {"Sun, 0a Nov 1994 08:49:37 GMT", value_error::bad_syntax},
      {"Sat, 30 Feb 2027 00:00:00 GMT", value_error::out_of_range},
      {"Sun, 29 Feb 2027 00:00:00 GMT", value_error::out_of_range},
      {"Thu, 00 Jan 2027 00:00:00 GMT", value_error::out_of_range},
      {"Sat, 31 Apr 2027 00:00:00 GMT", value_error::out_of_range},
      {"Fri, 01 Jan 2027 24:00:00 GMT", value_error::out_of_range},
      {"Fri, 01 Jan 2027 00:60:00 GMT", value_error::out_of_range},
      {"Fri, 01 Jan 2027 00:00:61 GMT", value_error::out_of_range},
      {"Fri, 01 Jan 2027 00:00:00 GMT\r\n", value_error::bad_syntax},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_http_date(c.in).error(), c.want) << ::testing::PrintToString(c);
}

struct base64_case {
  std::string in;
  value_error want;
  std::string decoded;
};

void PrintTo(const base64_case& c, std::ostream* os) {
  *os << '"' << c.in << '"';
}

TEST(Base64, DecodesStrictlyPerRfc4648) {
  const base64_case cases[] = {
      {"", value_error::ok, ""},
      {"Zg==", value_error::ok, "f"},
      {"Zm8=", value_error::ok, "fo"},
      {"Zm9v", value_error::ok, "foo"},
      {"Zm9vYmFy", value_error::ok, "foobar"},
      {"AP8A/w==", value_error::ok, std::string("\x00\xff\x00\xff", 4)},
      {"+/+/", value_error::ok, "\xfb\xff\xbf"},
      {"Zg=", value_error::bad_base64_length, ""},
      {"Zg", value_error::bad_base64_length, ""},
      {"Zm9vY", value_error::bad_base64_length, ""},
      {"Zm9v\n", value_error::bad_base64_length, ""},
      {"Zm 9", value_error::bad_base64_char, ""},
      {"Zm-_", value_error::bad_base64_char, ""},
      {"Zm9\xc3", value_error::bad_base64_char, ""},
      {"====", value_error::bad_base64_padding, ""},
      {"Z===", value_error::bad_base64_padding, ""},
      {"Zg==Zm9v", value_error::bad_base64_padding, ""},
      {"Zm=v", value_error::bad_base64_padding, ""},
      {"Zh==", value_error::bad_base64_padding, ""},  // non-zero bits after 'f'
      {"Zm9=", value_error::bad_base64_padding, ""},
  };
  for (const auto& c : cases) {
    std::string out = "junk";
    EXPECT_EQ(decode_base64(c.in, out), c.want) << ::testing::PrintToString(c);
    if (c.want == value_error::ok) {
      EXPECT_EQ(out, c.decoded) << ::testing::PrintToString(c);
    }
  }
}

TEST(Base64, RoundTripsEveryByteValue) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string raw;
  for (int i = 0; i < 256; ++i) raw.push_back(static_cast<char>(i));
  std::string enc;
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    std::uint32_t n = std::uint32_t(static_cast<unsigned char>(raw[i])) << 16;
    if (i + 1 < raw.size()) n |= std::uint32_t(static_cast<unsigned char>(raw[i + 1])) << 8;
    if (i + 2 < raw.size()) n |= static_cast<unsigned char>(raw[i + 2]);
    enc += kAlphabet[(n >> 18) & 63];
    enc += kAlphabet[(n >> 12) & 63];
    enc += i + 1 < raw.size() ? kAlphabet[(n >> 6) & 63] : '=';
    enc += i + 2 < raw.size() ? kAlphabet[n & 63] : '=';
  }
  std::string out;
  ASSERT_EQ(decode_base64(enc, out), value_error::ok);
  EXPECT_EQ(out, raw);
}

}  // namespace
}  // namespace herald::control
