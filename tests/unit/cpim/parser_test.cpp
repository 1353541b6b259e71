// CPIM parser tests: RFC 3862 examples, every split point, and a table of malformed inputs.
#include "herald/cpim/parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vectors.hpp"

namespace herald::cpim {
namespace {

using test::exact_copy;

TEST(CpimParse, RfcSimpleExampleFields) {
  message m;
  exact_copy in(test::kRfcSimple);
  ASSERT_EQ(parse(in.view(), m), parse_error::ok);
  ASSERT_NE(m.from(), nullptr);
  EXPECT_EQ(m.from()->display_name, "MR SANDERS");
  EXPECT_FALSE(m.from()->quoted);
  EXPECT_EQ(m.from()->uri, "im:piglet@100akerwood.com");
  ASSERT_EQ(m.count(header_kind::to), 1u);
  EXPECT_EQ(m.find(header_kind::to)->addr.display_name, "Depressed Donkey");
  EXPECT_EQ(m.find(header_kind::to)->addr.uri, "im:eeyore@100akerwood.com");
  ASSERT_TRUE(m.has_datetime);
  EXPECT_EQ(m.datetime, 976743600);  // 2000-12-13T21:40:00Z
  EXPECT_EQ(m.find(header_kind::subject)->value, "the weather will be fine today");
  EXPECT_EQ(m.content_type, "text/plain");
  EXPECT_EQ(m.content_id, "<1234567890@foo.com>");
  EXPECT_EQ(m.body, "Here is the text of my message.");
}

TEST(CpimParse, RfcFeaturesExampleKeepsPrefixedHeadersAndLang) {
  message m;
  exact_copy in(test::kRfcFeatures);
  ASSERT_EQ(parse(in.view(), m), parse_error::ok);
  ASSERT_EQ(m.count(header_kind::subject), 2u);
  EXPECT_EQ(m.find(header_kind::subject, 0)->lang, "");
  EXPECT_EQ(m.find(header_kind::subject, 1)->lang, "fr");
  EXPECT_EQ(m.find(header_kind::subject, 1)->params, ";lang=fr");
  EXPECT_EQ(m.find(header_kind::subject, 1)->value, "beau temps prevu pour aujourd'hui");
  const header* ns = m.find(header_kind::ns);
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->addr.display_name, "MyFeatures");
  EXPECT_EQ(ns->addr.uri, "mid:MessageFeatures@id.foo.com");
  EXPECT_EQ(m.find(header_kind::require)->value, "MyFeatures.VitalMessageOption");
  const header* vital = m.find(header_kind::extension, 0);
  ASSERT_NE(vital, nullptr);
  EXPECT_EQ(vital->prefix, "MyFeatures");
  EXPECT_EQ(vital->name, "VitalMessageOption");
  EXPECT_EQ(vital->value, "Confirmation-requested");
  EXPECT_EQ(m.find(header_kind::extension, 1)->name, "WackyMessageOption");
  EXPECT_EQ(m.content_type, "text/xml; charset=utf-8");
  EXPECT_EQ(m.body, "<body>\r\nHere is the text of my message.\r\n</body>\r\n");
}

TEST(CpimParse, HeaderLinesAreByteExactViews) {
  message m;
  ASSERT_EQ(parse(test::kRfcFeatures, m), parse_error::ok);
  std::string joined;
  for (const auto& h : m.cpim()) joined += h.line;
  EXPECT_EQ(joined, m.cpim_headers);
  EXPECT_EQ(test::kRfcFeatures.substr(0, joined.size()), joined);
}

TEST(CpimParse, QuotedDisplayNameKeepsEscapesAndUnescapes) {
  message m;
  ASSERT_EQ(parse(test::kImdn, m), parse_error::ok);
  EXPECT_TRUE(m.from()->quoted);
  EXPECT_EQ(m.from()->display_name, "Alice \\\"A\\\" Smith");
  char out[64];
  std::size_t n = unescape(m.from()->display_name, out);
  EXPECT_EQ(std::string_view(out, n), "Alice \"A\" Smith");
}

TEST(CpimParse, ContentLengthLimitsBodyAndKeepsNul) {
  message m;
  const std::string wire = std::string(test::kImdn) + "trailing";
  ASSERT_EQ(parse(wire, m), parse_error::ok);
  ASSERT_TRUE(m.has_content_length);
  EXPECT_EQ(m.content_length, 12u);
  EXPECT_EQ(m.body, std::string_view("Hello\0World!", 12));
}

TEST(CpimParse, ContentLengthShortBodyNeedsMore) {
  message m;
  EXPECT_EQ(parse(test::kImdn.substr(0, test::kImdn.size() - 1), m), parse_error::need_more);
  EXPECT_EQ(parse_final(test::kImdn.substr(0, test::kImdn.size() - 1), m), parse_error::truncated);
}

TEST(CpimParse, EmptyToDisplayNameAndCcAreParsed) {
  message m;
  ASSERT_EQ(parse(test::kImdn, m), parse_error::ok);
  EXPECT_EQ(m.find(header_kind::to)->addr.display_name, "");
  EXPECT_EQ(m.find(header_kind::to)->addr.uri, "sip:conf-1@example.com");
  EXPECT_EQ(m.find(header_kind::cc)->addr.display_name, "Bob");
  EXPECT_EQ(m.find(header_kind::extension)->prefix, "imdn");
  EXPECT_EQ(m.find(header_kind::extension)->value, "34jk324j");
}

TEST(CpimParse, UnicodeEscapeDecodesToUtf8) {
  char out[16];
  std::size_t n = unescape("caf\\u00e9 \\u20ac", out);
  EXPECT_EQ(std::string_view(out, n), "caf\xc3\xa9 \xe2\x82\xac");
}

// Every prefix of a valid vector is need_more or ok with the same headers; the full input gives the
// same result as an unsplit parse. Exact-size copies make ASan catch reads past the prefix.
class CpimSplit : public ::testing::TestWithParam<std::string_view> {};

TEST_P(CpimSplit, EveryPrefixIsNeedMoreOrConsistent) {
  std::string_view full = GetParam();
  message whole;
  ASSERT_EQ(parse(full, whole), parse_error::ok);
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    exact_copy in(full.substr(0, cut));
    message m;
    parse_error e = parse(in.view(), m);
    if (e == parse_error::need_more) continue;
    ASSERT_EQ(e, parse_error::ok) << "cut=" << cut << " " << to_string(e);
    ASSERT_EQ(m.header_count, whole.header_count) << cut;
    ASSERT_EQ(m.inner_count, whole.inner_count) << cut;
    for (std::size_t i = 0; i < m.header_count; ++i) ASSERT_EQ(m.headers[i].value, whole.headers[i].value);
    ASSERT_EQ(whole.body.substr(0, m.body.size()), m.body) << cut;
  }
  exact_copy in(full);
  message m;
  ASSERT_EQ(parse(in.view(), m), parse_error::ok);
  EXPECT_EQ(m.body, whole.body);
  EXPECT_EQ(m.cpim_headers, whole.cpim_headers);
}

TEST_P(CpimSplit, HeaderBlockPrefixesNeedMore) {
  std::string_view full = GetParam();
  message whole;
  ASSERT_EQ(parse(full, whole), parse_error::ok);
  std::size_t header_end = std::size_t(whole.body.data() - full.data());
  for (std::size_t cut = 0; cut < header_end; ++cut) {
    exact_copy in(full.substr(0, cut));
    message m;
    ASSERT_EQ(parse(in.view(), m), parse_error::need_more) << "cut=" << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(RfcAndRcs, CpimSplit,
                         ::testing::Values(test::kRfcSimple, test::kRfcFeatures, test::kImdn));

struct malformed_case {
  const char* label;
  std::string input;
  parse_error expected;
};

const std::string kTail = "\r\nContent-Type: text/plain\r\n\r\nhi";
const std::string kFrom = "From: <im:a@b>\r\n";

std::vector<malformed_case> malformed_cases() {
  using std::string;
  return {
      {"no_colon", kFrom + "To <im:b@c>\r\n" + kTail, parse_error::bad_header_syntax},
      {"space_before_colon", kFrom + "To : <im:b@c>\r\n" + kTail, parse_error::bad_header_syntax},
      {"continuation_line", kFrom + " folded\r\n" + kTail, parse_error::bad_header_syntax},
      {"bare_lf", "From: <im:a@b>\n" + kTail, parse_error::bad_header_syntax},
      {"no_space_after_colon", kFrom + "Subject:hello\r\n" + kTail, parse_error::bad_header_syntax},
      {"empty_prefix_name", kFrom + "NS: p <u:x>\r\np.: v\r\n" + kTail, parse_error::bad_header_syntax},
      {"bad_param_name", kFrom + "Subject:;=fr x\r\n" + kTail, parse_error::bad_parameter},
      {"empty_param_value", kFrom + "Subject:;lang= x\r\n" + kTail, parse_error::bad_parameter},
      {"missing_angle", "From: <im:a@b\r\n" + kTail, parse_error::bad_address},
      {"uri_with_space", "From: <im:a @b>\r\n" + kTail, parse_error::bad_address},
      {"token_name_without_space", "From: Bob<im:a@b>\r\n" + kTail, parse_error::bad_address},
      {"trailing_after_uri", "From: <im:a@b> x\r\n" + kTail, parse_error::bad_address},
      {"empty_uri", "From: <>\r\n" + kTail, parse_error::bad_address},
      {"unterminated_name", "From: \"Bob <im:a@b>\r\n" + kTail, parse_error::unterminated_quoted_string},
      {"unterminated_param", kFrom + "Subject:;lang=\"fr x\r\n" + kTail,
       parse_error::unterminated_quoted_string},
      {"bad_escape_letter", "From: \"B\\qob\" <im:a@b>\r\n" + kTail, parse_error::bad_escape},
      {"short_unicode_escape", "From: \"B\\u12\" <im:a@b>\r\n" + kTail, parse_error::bad_escape},
      {"nul_in_value", kFrom + string("Subject: a\0b\r\n", 14) + kTail, parse_error::control_character},
      {"bare_cr_in_value", kFrom + "Subject: a\rb\r\n" + kTail, parse_error::control_character},
      {"tab_in_value", kFrom + "Subject: a\tb\r\n" + kTail, parse_error::control_character},
      {"del_in_value", kFrom + "Subject: a\x7f\r\n" + kTail, parse_error::control_character},
      {"bad_datetime_month", kFrom + "DateTime: 2000-13-13T13:40:00Z\r\n" + kTail, parse_error::bad_datetime},
      {"bad_datetime_feb30", kFrom + "DateTime: 2001-02-29T13:40:00Z\r\n" + kTail, parse_error::bad_datetime},
      {"bad_datetime_zone", kFrom + "DateTime: 2000-12-13T13:40:00\r\n" + kTail, parse_error::bad_datetime},
      {"bad_ns_no_uri", kFrom + "NS: foo\r\n" + kTail, parse_error::bad_ns},
      {"bad_ns_dot_prefix", kFrom + "NS: a.b <u:x>\r\n" + kTail, parse_error::bad_ns},
      {"undeclared_prefix", kFrom + "imdn.Message-ID: 1\r\n" + kTail, parse_error::undeclared_prefix},
      {"prefix_declared_later", kFrom + "x.A: 1\r\nNS: x <u:x>\r\n" + kTail, parse_error::undeclared_prefix},
      {"bad_require", kFrom + "Require: a,,b\r\n" + kTail, parse_error::bad_require},
      {"duplicate_from", kFrom + kFrom + kTail, parse_error::duplicate_header},
      {"duplicate_datetime",
       kFrom + "DateTime: 2000-12-13T13:40:00Z\r\nDateTime: 2000-12-13T13:40:00Z\r\n" + kTail,
       parse_error::duplicate_header},
      {"missing_from", "To: <im:a@b>\r\n" + kTail, parse_error::missing_from},
      {"content_length_letters", kFrom + "\r\nContent-Length: 1x\r\n\r\nhi", parse_error::bad_content_length},
      {"content_length_overflow", kFrom + "\r\nContent-Length: 18446744073709551616\r\n\r\nhi",
       parse_error::bad_content_length},
      {"inner_header_no_colon", kFrom + "\r\nContent-Type text/plain\r\n\r\nhi",
       parse_error::bad_header_syntax},
      {"inner_header_nul", kFrom + string("\r\nX: a\0\r\n\r\nhi", 13), parse_error::control_character},
      {"case_sensitive_from", "from: <im:a@b>\r\n" + kTail, parse_error::missing_from},
  };
}

std::string too_many_headers() {
  std::string s = kFrom;
  for (std::size_t i = 0; i < max_headers; ++i) s += "X-H: v\r\n";
  return s + kTail;
}

std::string too_many_inner_headers() {
  std::string s = kFrom + "\r\n";
  for (std::size_t i = 0; i <= max_inner_headers; ++i) s += "X-H: v\r\n";
  return s + "\r\nhi";
}

TEST(CpimParse, MalformedInputsGiveTheirSpecificError) {
  auto cases = malformed_cases();
  cases.push_back({"too_many_cpim_headers", too_many_headers(), parse_error::too_many_headers});
  cases.push_back({"too_many_inner_headers", too_many_inner_headers(), parse_error::too_many_headers});
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    exact_copy in(c.input);
    message m;
    EXPECT_EQ(to_string(parse_final(in.view(), m)), to_string(c.expected)) << c.label;
  }
}

TEST(CpimParse, FinalInputWithoutCpimBlankLineIsMissingBlankLine) {
  message m;
  EXPECT_EQ(parse_final("From: <im:a@b>\r\nTo: <im:c@d>\r\n", m), parse_error::missing_blank_line);
}

TEST(CpimParse, FinalInputWithoutInnerBlankLineIsMissingBlankLine) {
  message m;
  EXPECT_EQ(parse_final("From: <im:a@b>\r\n\r\nContent-Type: text/plain\r\n", m),
            parse_error::missing_blank_line);
}

TEST(CpimParse, FinalInputCutMidLineIsTruncated) {
  message m;
  EXPECT_EQ(parse_final("From: <im:a@b>\r\nTo: <im:c", m), parse_error::truncated);
}

TEST(CpimParse, EmptyInnerHeaderBlockIsAccepted) {
  message m;
  ASSERT_EQ(parse("From: <im:a@b>\r\n\r\n\r\nbody", m), parse_error::ok);
  EXPECT_EQ(m.inner_count, 0);
  EXPECT_EQ(m.body, "body");
}

TEST(CpimParse, FoldedInnerHeaderIsOneField) {
  message m;
  ASSERT_EQ(parse("From: <im:a@b>\r\n\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\nx", m),
            parse_error::ok);
  ASSERT_EQ(m.inner_count, 1);
  EXPECT_EQ(m.content_type, "text/plain;\r\n charset=utf-8");
}

TEST(CpimParse, QuotedDisplayNameWithoutSpaceBeforeAngle) {
  message m;
  ASSERT_EQ(parse("From: \"Bob\"<im:a@b>\r\n\r\n\r\n", m), parse_error::ok);
  EXPECT_EQ(m.from()->display_name, "Bob");
}

TEST(CpimParse, DefaultNamespaceDeclarationHasEmptyPrefix) {
  message m;
  ASSERT_EQ(parse("From: <im:a@b>\r\nNS: <urn:x>\r\n\r\n\r\n", m), parse_error::ok);
  EXPECT_EQ(m.find(header_kind::ns)->addr.display_name, "");
  EXPECT_EQ(m.find(header_kind::ns)->addr.uri, "urn:x");
}

}  // namespace
}  // namespace herald::cpim
