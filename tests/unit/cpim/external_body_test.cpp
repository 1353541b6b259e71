// message/external-body tests: RFC 4483 example, build/parse round trip, malformed parameter table.
#include "herald/cpim/external_body.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "herald/core/date.hpp"
#include "vectors.hpp"

namespace herald::cpim {
namespace {

// RFC 4483 §6 example (outer Content-Type value and phantom part).
constexpr std::string_view kRfcValue =
    "message/external-body; ACCESS-TYPE=URL; URL=\"http://www.example.com/the-indirect-content\"; "
    "EXPIRATION=\"Sat, 20 Jun 2002 12:00:00 GMT\"; size=52723";
constexpr std::string_view kRfcPhantom = "Content-Type: audio/mp3\r\nContent-ID: <4@example.com>\r\n\r\n";

TEST(ExternalBody, ParsesRfc4483Example) {
  test::exact_copy v(kRfcValue), p(kRfcPhantom);
  auto r = parse_external_body(v.view(), p.view());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->url, "http://www.example.com/the-indirect-content");
  EXPECT_TRUE(r->has_expiration);
  EXPECT_EQ(r->expiration, 1024574400);
  EXPECT_TRUE(r->has_size);
  EXPECT_EQ(r->size, 52723u);
  EXPECT_FALSE(r->permission_read);
  EXPECT_EQ(r->content_type, "audio/mp3");
  EXPECT_EQ(r->content_id, "4@example.com");
}

TEST(ExternalBody, BuildsExpectedPieces) {
  external_body spec;
  spec.url = "https://media.example.com/v/1.mp4";
  spec.content_type = "video/mp4";
  spec.content_id = "v1@example.com";
  spec.size = 52723;
  spec.has_size = true;
  spec.expiration = 1798761600;
  spec.has_expiration = true;
  spec.permission_read = true;
  std::vector<char> buf(external_body_bytes(spec));
  auto r = build_external_body(spec, buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->content_type_value,
            "message/external-body; access-type=URL; URL=\"https://media.example.com/v/1.mp4\"; "
            "expiration=\"Fri, 01 Jan 2027 00:00:00 GMT\"; size=52723; permission=R");
  EXPECT_EQ(r->phantom, "Content-Type: video/mp4\r\nContent-ID: <v1@example.com>\r\n\r\n");
}

TEST(ExternalBody, BuildThenParseRoundTrips) {
  for (std::uint64_t size : {0ull, 1ull, 18446744073709551615ull}) {
    external_body spec;
    spec.url = "http://x.example/a?b=c&d=%20";
    spec.content_type = "image/png";
    spec.content_id = "id-1@x";
    spec.size = size;
    spec.has_size = true;
    spec.expiration = 253402300799;
    spec.has_expiration = true;
    std::vector<char> buf(external_body_bytes(spec));
    auto built = build_external_body(spec, buf);
    ASSERT_TRUE(built.ok());
    auto r = parse_external_body(built->content_type_value, built->phantom);
    ASSERT_TRUE(r.ok()) << to_string(r.error());
    EXPECT_EQ(r->url, spec.url);
    EXPECT_EQ(r->size, size);
    EXPECT_EQ(r->expiration, spec.expiration);
    EXPECT_EQ(r->content_type, spec.content_type);
    EXPECT_EQ(r->content_id, spec.content_id);
  }
}

TEST(ExternalBody, BuildRejectsUrlWithCrlf) {
  external_body spec;
  spec.url = "http://x/\r\nX: y";
  char buf[512];
  EXPECT_EQ(build_external_body(spec, buf).error(), external_body_error::bad_url);
}

TEST(ExternalBody, BuildReportsSmallBuffer) {
  external_body spec;
  spec.url = "http://x/";
  char buf[8];
  EXPECT_EQ(build_external_body(spec, buf).error(), external_body_error::buffer_too_small);
}

TEST(ExternalBody, ParameterNamesAndValuesAreCaseInsensitive) {
  auto r = parse_external_body("Message/External-Body;access-type=url;url=\"http://a/\";PERMISSION=r",
                               "Content-Type: text/plain\r\n\r\n");
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->permission_read);
  EXPECT_EQ(r->url, "http://a/");
}

TEST(ExternalBody, UnknownParametersAreIgnored) {
  auto r = parse_external_body("message/external-body; access-type=URL; name=\"x\\\"y\"; url=\"http://a/\"",
                               "\r\n");
  ASSERT_TRUE(r.ok()) << to_string(r.error());
}

struct ext_case {
  const char* label;
  std::string value;
  std::string phantom;
  external_body_error expected;
};

TEST(ExternalBody, MalformedInputsGiveTheirSpecificError) {
  const std::string ok_phantom = "Content-Type: video/mp4\r\nContent-ID: <a@b>\r\n\r\n";
  const std::string base = "message/external-body; access-type=URL; URL=\"http://a/\"";
  using E = external_body_error;
  const ext_case cases[] = {
      {"wrong_type", "message/rfc822; access-type=URL; URL=\"http://a/\"", ok_phantom, E::not_external_body},
      {"no_equals", base + "; size", ok_phantom, E::bad_parameter_syntax},
      {"missing_semicolon", base + " size=1", ok_phantom, E::bad_parameter_syntax},
      {"unterminated", "message/external-body; access-type=URL; URL=\"http://a/", ok_phantom,
       E::unterminated_quoted_string},
      {"duplicate_url", base + "; url=\"http://b/\"", ok_phantom, E::duplicate_parameter},
      {"missing_access_type", "message/external-body; URL=\"http://a/\"", ok_phantom, E::missing_access_type},
      {"ftp_access_type", "message/external-body; access-type=anon-ftp; URL=\"http://a/\"", ok_phantom,
       E::unsupported_access_type},
      {"missing_url", "message/external-body; access-type=URL", ok_phantom, E::missing_url},
      {"url_with_space", "message/external-body; access-type=URL; URL=\"http://a/ b\"", ok_phantom,
       E::bad_url},
      {"url_with_crlf", "message/external-body; access-type=URL; URL=\"http://a/\r\nb\"", ok_phantom,
       E::bad_parameter_syntax},
      {"url_with_nul", std::string("message/external-body; access-type=URL; URL=\"http://a/\0\"", 56),
       ok_phantom, E::bad_url},
      {"url_with_escaped_quote", "message/external-body; access-type=URL; URL=\"http://a/\\\"\"", ok_phantom,
       E::bad_url},
      {"url_empty", "message/external-body; access-type=URL; URL=\"\"", ok_phantom, E::bad_url},
      {"url_tab", "message/external-body; access-type=URL; URL=\"http://a/\tb\"", ok_phantom, E::bad_url},
      {"size_letters", base + "; size=12a", ok_phantom, E::bad_size},
      {"size_negative", base + "; size=-1", ok_phantom, E::bad_size},
      {"size_overflow", base + "; size=18446744073709551616", ok_phantom, E::size_overflow},
      {"expiration_bad_month", base + "; expiration=\"Sat, 20 Jux 2002 12:00:00 GMT\"", ok_phantom,
       E::bad_expiration},
      {"expiration_bad_day", base + "; expiration=\"Sat, 31 Jun 2002 12:00:00 GMT\"", ok_phantom,
       E::bad_expiration},
      {"expiration_iso", base + "; expiration=\"2002-06-20T12:00:00Z\"", ok_phantom, E::bad_expiration},
      {"permission_rw", base + "; permission=R-W", ok_phantom, E::unsupported_permission},
      {"phantom_no_blank", base, "Content-Type: video/mp4\r\n", E::missing_phantom_blank_line},
      {"phantom_bad_line", base, "Content-Type video/mp4\r\n\r\n", E::bad_phantom_header},
      {"phantom_bad_type", base, "Content-Type: video\r\n\r\n", E::bad_content_type},
      {"phantom_bad_id", base, "Content-ID: a@b\r\n\r\n", E::bad_content_id},
  };
  for (const auto& c : cases) {
    test::exact_copy v(c.value), p(c.phantom);
    EXPECT_EQ(to_string(parse_external_body(v.view(), p.view()).error()), to_string(c.expected)) << c.label;
  }
}

}  // namespace
}  // namespace herald::cpim
