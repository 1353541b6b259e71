// CPIM encoder tests: address quoting, injection validators, and encode -> parse round trips.
#include "herald/cpim/encoder.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "herald/cpim/parser.hpp"
#include "vectors.hpp"

namespace herald::cpim {
namespace {

std::string address(std::string_view name, std::string_view uri) {
  std::vector<char> buf(max_address_bytes(name.size(), uri.size()));
  auto r = format_address(buf, name, uri);
  if (!r) return "error:" + std::string(to_string(r.error()));
  return std::string(buf.data(), *r);
}

TEST(CpimAddress, PlainNameIsQuoted) {
  EXPECT_EQ(address("Bob", "sip:b@x"), "\"Bob\" <sip:b@x>");
}

TEST(CpimAddress, EmptyNameWritesBareUri) {
  EXPECT_EQ(address("", "sip:b@x"), "<sip:b@x>");
}

TEST(CpimAddress, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(address("a\"b\\c", "sip:b@x"), "\"a\\\"b\\\\c\" <sip:b@x>");
}

TEST(CpimAddress, Utf8NamePassesThrough) {
  EXPECT_EQ(address("Zoë", "sip:z@x"), "\"Zoë\" <sip:z@x>");
}

TEST(CpimAddress, ExactBufferSucceedsAndOneLessFails) {
  std::string expect = "\"a\\\"\" <u:x>";
  std::vector<char> buf(expect.size());
  auto r = format_address(buf, "a\"", "u:x");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf.data(), *r), expect);
  std::vector<char> small(expect.size() - 1);
  EXPECT_EQ(format_address(small, "a\"", "u:x").error(), encode_error::buffer_too_small);
}

struct uri_case {
  std::string uri;
  encode_error expected;
};

TEST(CpimAddress, ValidatorRejectsInjectionInUris) {
  const uri_case cases[] = {
      {"", encode_error::empty_uri},
      {"sip:a@b\r\nTo: <sip:evil>", encode_error::uri_control_character},
      {"sip:a@b\n", encode_error::uri_control_character},
      {std::string("sip:a\0b", 7), encode_error::uri_control_character},
      {"sip:a@b>x", encode_error::uri_angle_bracket},
      {"<sip:a@b", encode_error::uri_angle_bracket},
      {"sip:a b", encode_error::uri_whitespace},
      {"sip:a@b", encode_error::ok},
  };
  for (const auto& c : cases) EXPECT_EQ(to_string(validate_uri(c.uri)), to_string(c.expected)) << c.uri;
}

TEST(CpimAddress, ValidatorRejectsControlCharactersInDisplayNames) {
  EXPECT_EQ(validate_display_name("Bob\r\nFrom: x"), encode_error::display_name_control_character);
  EXPECT_EQ(validate_display_name(std::string_view("a\0", 2)), encode_error::display_name_control_character);
  EXPECT_EQ(validate_display_name("a\x7f"), encode_error::display_name_control_character);
  EXPECT_EQ(validate_display_name("Zoë \"Z\" \\"), encode_error::ok);
  EXPECT_EQ(address("Bob\r\n", "sip:b@x"), "error:display_name_control_character");
}

TEST(CpimWriter, WritesRfcFeaturesHeadersByteExact) {
  char buf[1024];
  writer w(buf);
  w.header("", "From", "MR SANDERS <im:piglet@100akerwood.com>");
  w.header("", "To", "Depressed Donkey <im:eeyore@100akerwood.com>");
  w.header("", "DateTime", "2000-12-13T13:40:00-08:00");
  w.subject("the weather will be fine today");
  w.subject("beau temps prevu pour aujourd'hui", "fr");
  w.ns("MyFeatures", "mid:MessageFeatures@id.foo.com");
  w.require("MyFeatures.VitalMessageOption");
  w.header("MyFeatures", "VitalMessageOption", "Confirmation-requested");
  w.header("MyFeatures", "WackyMessageOption", "Use-silly-font");
  w.end_cpim_headers();
  w.mime_header("Content-type", "text/xml; charset=utf-8");
  w.mime_header("Content-ID", "<1234567890@foo.com>");
  w.end_mime_headers();
  ASSERT_TRUE(w.ok()) << to_string(w.error());
  std::string_view full = test::kRfcFeatures;
  EXPECT_EQ(w.view(), full.substr(0, w.size()));
  EXPECT_EQ(full.substr(w.size()), "<body>\r\nHere is the text of my message.\r\n</body>\r\n");
}

TEST(CpimWriter, RejectsHeaderValueWithCrlf) {
  char buf[256];
  writer w(buf);
  w.header("", "Subject", "x\r\nFrom: <evil>");
  EXPECT_EQ(w.error(), encode_error::bad_header_value);
}

TEST(CpimWriter, RejectsBadHeaderName) {
  char buf[256];
  writer w(buf);
  w.header("", "Bad Name", "x");
  EXPECT_EQ(w.error(), encode_error::bad_header_name);
}

TEST(CpimWriter, OverflowIsStickyAndReported) {
  char buf[10];
  writer w(buf);
  w.from("Bob", "sip:bob@example.com");
  w.end_cpim_headers();
  EXPECT_EQ(w.error(), encode_error::buffer_too_small);
  EXPECT_LE(w.size(), sizeof(buf));
}

TEST(CpimEncode, ReencodingRfcVectorsReproducesThemExactly) {
  for (std::string_view v : {test::kRfcSimple, test::kRfcFeatures}) {
    message m;
    ASSERT_EQ(parse(v, m), parse_error::ok);
    char buf[2048];
    auto r = encode(m, buf);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::string(buf, *r) + std::string(m.body), v);
  }
}

// Random display names (quotes, backslashes, UTF-8), URIs, extension headers and binary bodies survive
// writer -> parse -> unescape unchanged.
TEST(CpimEncode, RandomMessagesRoundTrip) {
  std::mt19937 rng(1234);
  const std::string alphabet[] = {"a", "Z", "0", " ", "\"", "\\", "'", "<",
                                  ">", ";", "é", "€", "😀",  ".",  ","};
  auto pick = [&](std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[rng() % std::size(alphabet)];
    return s;
  };
  auto uri = [&]() {
    return "sip:user" + std::to_string(rng() % 100000) + "@host" + std::to_string(rng() % 99) + ".example";
  };
  for (int iter = 0; iter < 500; ++iter) {
    std::string from_name = pick(rng() % 12), to_name = pick(rng() % 12);
    std::string from_uri = uri(), to_uri = uri();
    std::string subject = pick(rng() % 20);
    std::string ext_value = pick(rng() % 20);
    std::string body(rng() % 300, '\0');
    for (auto& c : body) c = char(rng());
    std::vector<char> buf(4096);
    writer w(buf);
    w.from(from_name, from_uri);
    w.to(to_name, to_uri);
    w.ns("imdn", "urn:ietf:params:imdn");
    w.header("imdn", "Message-ID", ext_value);
    w.datetime(1700000000 + iter);
    w.subject(subject, iter % 2 ? "fr" : "");
    w.end_cpim_headers();
    w.mime_header("Content-Type", "application/octet-stream");
    w.end_mime_headers();
    ASSERT_TRUE(w.ok()) << to_string(w.error());
    std::string wire = std::string(w.view()) + body;
    test::exact_copy in(wire);
    message m;
    ASSERT_EQ(parse(in.view(), m), parse_error::ok) << wire;
    std::vector<char> tmp(64);
    std::size_t n = unescape(m.from()->display_name, tmp.data());
    EXPECT_EQ(std::string(tmp.data(), n), from_name);
    n = unescape(m.find(header_kind::to)->addr.display_name, tmp.data());
    EXPECT_EQ(std::string(tmp.data(), n), to_name);
    EXPECT_EQ(m.from()->uri, from_uri);
    EXPECT_EQ(m.find(header_kind::to)->addr.uri, to_uri);
    EXPECT_EQ(m.find(header_kind::extension)->value, ext_value);
    EXPECT_EQ(m.find(header_kind::subject)->value, subject);
    EXPECT_EQ(m.find(header_kind::subject)->lang, iter % 2 ? "fr" : "");
    EXPECT_EQ(m.datetime, 1700000000 + iter);
    EXPECT_EQ(m.body, body);
  }
}

}  // namespace
}  // namespace herald::cpim
