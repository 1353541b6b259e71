// SDP for MSRP sessions: the RFC 4975 and RFC 6135 examples, what Herald can answer, the answer itself,
// and a malformed table where each case fails with its own error.
#include "herald/sdp/sdp.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace herald::sdp {
namespace {

std::string lines(std::initializer_list<std::string_view> ls) {
  std::string out;
  for (std::string_view l : ls) {
    out += l;
    out += "\r\n";
  }
  return out;
}

// RFC 4975 §4, Alice's offer (retyped from the RFC's figure; its SEND in tests/unit/msrp/vectors.cpp uses
// the same paths).
const std::string rfc4975_offer =
    lines({"v=0", "o=alice 2890844557 2890844559 IN IP4 alice.example.com", "s= -",
           "c=IN IP4 atlanta.example.com", "t=0 0", "m=message 7654 TCP/MSRP *", "a=accept-types:text/plain",
           "a=path:msrp://atlanta.example.com:7654/jshA7weztas;tcp"});
// RFC 4975 §4, Bob's answer.
const std::string rfc4975_answer =
    lines({"v=0", "o=bob 2890844612 2890844616 IN IP4 bob.example.com", "s= -", "c=IN IP4 biloxi.example.com",
           "t=0 0", "m=message 12763 TCP/MSRP *", "a=accept-types:text/plain",
           "a=path:msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"});
// RFC 4975 §8.7, the example exchange: Alice offers CPIM first, Bob answers.
const std::string rfc4975_87_offer = lines(
    {"v=0", "o=alice 2890844526 2890844527 IN IP4 alice.example.com", "s= -", "c=IN IP4 alice.example.com",
     "t=0 0", "m=message 7394 TCP/MSRP *", "a=accept-types:message/cpim text/plain text/html",
     "a=path:msrp://alice.example.com:7394/2s93i9ek2a;tcp"});
const std::string rfc4975_87_answer =
    lines({"v=0", "o=bob 2890844612 2890844616 IN IP4 bob.example.com", "s= -", "c=IN IP4 bob.example.com",
           "t=0 0", "m=message 8493 TCP/MSRP *", "a=accept-types:message/cpim text/plain",
           "a=path:msrp://bob.example.com:8493/si438dsaodes;tcp"});
// An RFC 4975 §8.6-style offer: accept-types and accept-wrapped-types, CPIM first, max-size.
const std::string rfc4975_wrapped = lines(
    {"v=0", "o=alice 2890844557 2890844559 IN IP4 alice.example.com", "s= -", "c=IN IP4 atlanta.example.com",
     "t=0 0", "m=message 7394 TCP/MSRP *", "a=accept-types:message/cpim text/plain text/html",
     "a=accept-wrapped-types:text/plain image/jpeg image/gif text/html",
     "a=path:msrp://atlanta.example.com:7394/2s93i9ek2a;tcp", "a=max-size:131072"});
// RFC 6135 §4 style offer: the offerer is active, it opens the connection.
const std::string rfc6135_offer =
    lines({"v=0", "o=alice 2890844526 2890844527 IN IP4 alice.example.com", "s=-", "c=IN IP4 192.0.2.1",
           "t=0 0", "m=message 7394 TCP/MSRP *", "a=setup:active", "a=connection:new",
           "a=accept-types:message/cpim", "a=path:msrp://192.0.2.1:7394/2s93i9ek2a;tcp"});

TEST(Sdp, Rfc4975OfferParsesEveryField) {
  auto sd = parse(rfc4975_offer);
  ASSERT_TRUE(sd.ok()) << to_string(sd.error());
  EXPECT_EQ(sd->origin, "alice 2890844557 2890844559 IN IP4 alice.example.com");
  EXPECT_EQ(sd->session_name, " -");
  EXPECT_EQ(sd->connection_address, "atlanta.example.com");
  ASSERT_EQ(sd->media_count, 1u);
  const media_description& m = sd->media[0];
  EXPECT_EQ(m.media, "message");
  EXPECT_EQ(m.port, 7654u);
  EXPECT_EQ(m.proto, "TCP/MSRP");
  EXPECT_EQ(m.formats, "*");
  EXPECT_TRUE(m.msrp());
  EXPECT_FALSE(m.tls());
  EXPECT_EQ(m.accept_types, "text/plain");
  EXPECT_EQ(m.path, "msrp://atlanta.example.com:7654/jshA7weztas;tcp");
  EXPECT_EQ(m.connection_address, "atlanta.example.com");  // inherited from the session level
  EXPECT_EQ(m.setup, setup_role::unset);
  // Herald only sends Message/CPIM: an offer accepting text/plain alone cannot be answered.
  EXPECT_EQ(choose_msrp_media(*sd, false).error(), sdp_error::cpim_not_accepted);
  EXPECT_TRUE(parse(rfc4975_answer).ok());
}

TEST(Sdp, Rfc4975WrappedTypesAndMaxSize) {
  auto sd = parse(rfc4975_wrapped);
  ASSERT_TRUE(sd.ok()) << to_string(sd.error());
  const media_description& m = sd->media[0];
  EXPECT_EQ(m.accept_types, "message/cpim text/plain text/html");
  EXPECT_EQ(m.accept_wrapped_types, "text/plain image/jpeg image/gif text/html");
  EXPECT_TRUE(m.has_max_size);
  EXPECT_EQ(m.max_size, 131072u);
  EXPECT_EQ(*choose_msrp_media(*sd, false), 0u);
}

TEST(Sdp, Rfc4975ExampleExchangeIsAnsweredByHerald) {
  auto sd = parse(rfc4975_87_offer);
  ASSERT_TRUE(sd.ok()) << to_string(sd.error());
  EXPECT_EQ(sd->media[0].accept_types, "message/cpim text/plain text/html");
  EXPECT_EQ(sd->media[0].path, "msrp://alice.example.com:7394/2s93i9ek2a;tcp");
  auto bob = parse(rfc4975_87_answer);
  ASSERT_TRUE(bob.ok()) << to_string(bob.error());
  EXPECT_EQ(bob->media[0].port, 8493u);
  EXPECT_EQ(bob->media[0].path, "msrp://bob.example.com:8493/si438dsaodes;tcp");
  // Herald in Bob's place: no setup in the offer means the offerer is active (RFC 6135 §4.1).
  ASSERT_EQ(*choose_msrp_media(*sd, false), 0u);
  answer_params p;
  p.address = "bob.example.com";
  p.port = 8493;
  p.path = "msrp://bob.example.com:8493/si438dsaodes;tcp";
  p.session_id = 7;
  const std::string a = answer(*sd, 0, p);
  EXPECT_EQ(a, lines({"v=0", "o=herald 7 7 IN IP4 bob.example.com", "s=-", "c=IN IP4 bob.example.com",
                      "t=0 0", "m=message 8493 TCP/MSRP *", "a=accept-types:message/cpim *",
                      "a=accept-wrapped-types:*", "a=path:msrp://bob.example.com:8493/si438dsaodes;tcp",
                      "a=setup:passive", "a=connection:new"}));
}

TEST(Sdp, Rfc6135ActiveOfferIsAnsweredPassive) {
  auto sd = parse(rfc6135_offer);
  ASSERT_TRUE(sd.ok()) << to_string(sd.error());
  EXPECT_EQ(sd->media[0].setup, setup_role::active);
  EXPECT_EQ(sd->media[0].connection, connection_mode::fresh);
  ASSERT_EQ(*choose_msrp_media(*sd, false), 0u);
  answer_params p;
  p.address = "198.51.100.7";
  p.port = 2855;
  p.path = "msrp://198.51.100.7:2855/abcDEF0123456789abcdEF;tcp";
  p.max_size = 16777216;
  p.session_id = 42;
  EXPECT_EQ(answer(*sd, 0, p),
            lines({"v=0", "o=herald 42 42 IN IP4 198.51.100.7", "s=-", "c=IN IP4 198.51.100.7", "t=0 0",
                   "m=message 2855 TCP/MSRP *", "a=accept-types:message/cpim *", "a=accept-wrapped-types:*",
                   "a=max-size:16777216", "a=path:msrp://198.51.100.7:2855/abcDEF0123456789abcdEF;tcp",
                   "a=setup:passive", "a=connection:new"}));
}

TEST(Sdp, EveryOfferedStreamIsAnsweredTheOthersWithPortZero) {
  const std::string offer = lines({"v=0", "o=- 1 1 IN IP6 ::1", "s=-", "t=0 0", "m=audio 49170 RTP/AVP 0 8",
                                   "c=IN IP4 192.0.2.9", "m=message 9 TCP/TLS/MSRP *", "a=accept-types:*",
                                   "a=path:msrps://192.0.2.9:9/x;tcp", "m=message 7654 TCP/MSRP *",
                                   "a=accept-types:message/cpim", "a=path:msrp://192.0.2.9:7654/y;tcp"});
  auto sd = parse(offer);
  ASSERT_TRUE(sd.ok()) << to_string(sd.error());
  ASSERT_EQ(sd->media_count, 3u);
  EXPECT_EQ(sd->media[0].connection_address, "192.0.2.9");
  EXPECT_TRUE(sd->media[1].tls());
  EXPECT_EQ(*choose_msrp_media(*sd, false), 2u);  // TLS not offered by this listener: the plain line
  EXPECT_EQ(*choose_msrp_media(*sd, true), 1u);
  answer_params p;
  p.address = "::1";
  p.port = 2855;
  p.path = "msrp://[::1]:2855/z;tcp";
  const std::string a = answer(*sd, 2, p);
  EXPECT_NE(a.find("o=herald 0 0 IN IP6 ::1\r\n"), std::string::npos) << a;
  EXPECT_NE(a.find("m=audio 0 RTP/AVP 0 8\r\nm=message 0 TCP/TLS/MSRP *\r\nm=message 2855 TCP/MSRP *\r\n"),
            std::string::npos)
      << a;
  EXPECT_EQ(a.find("a=max-size"), std::string::npos) << "no --max-message-size given, no max-size line";
  EXPECT_TRUE(parse(a).ok()) << a;
}

TEST(Sdp, LoneLfLineEndsAndATrailingBlankLineAreAccepted) {
  std::string lf = rfc4975_wrapped;
  std::string out;
  for (char c : lf)
    if (c != '\r') out += c;
  EXPECT_TRUE(parse(out).ok());
  EXPECT_TRUE(parse(rfc4975_wrapped + "\r\n").ok());
}

struct bad_case {
  const char* name;
  std::string text;
  sdp_error parse_error;  // ok: parses, then choose_msrp_media must fail with `choose_error`
  sdp_error choose_error = sdp_error::ok;
};

std::string offer_with(std::initializer_list<std::string_view> media_lines) {
  std::string s = lines({"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0"});
  for (std::string_view l : media_lines) {
    s += l;
    s += "\r\n";
  }
  return s;
}

std::vector<bad_case> bad_cases() {
  const std::string_view m = "m=message 7654 TCP/MSRP *";
  const std::string_view path = "a=path:msrp://192.0.2.1:7654/s;tcp";
  const std::string_view cpim = "a=accept-types:message/cpim";
  return {
      {"empty", "", sdp_error::empty},
      {"too_large", offer_with({m, cpim, path}) + "a=x:" + std::string(17000, 'x') + "\r\n",
       sdp_error::too_large},
      {"no_equals", "v=0\r\no=- 1 1 IN IP4 a\r\ns\r\n", sdp_error::bad_line},
      {"upper_case_type", "v=0\r\nO=- 1 1 IN IP4 a\r\n", sdp_error::bad_line},
      {"nul_in_line", std::string("v=0\r\no=- 1 1 IN IP4 a\r\ns=\0x\r\n", 27), sdp_error::bad_line},
      {"bare_cr_in_line", "v=0\r\no=- 1 1 IN IP4 a\r\ns=a\rb\r\n", sdp_error::bad_line},
      {"blank_line_inside", "v=0\r\n\r\no=- 1 1 IN IP4 a\r\n", sdp_error::bad_line},
      {"version_1", "v=1\r\no=- 1 1 IN IP4 a\r\ns=-\r\n", sdp_error::bad_version},
      {"origin_not_second", "v=0\r\ns=-\r\no=- 1 1 IN IP4 a\r\n", sdp_error::missing_origin},
      {"only_version", "v=0\r\n", sdp_error::missing_origin},
      {"origin_five_fields", "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\n", sdp_error::bad_origin},
      {"origin_bad_session_id", "v=0\r\no=- x 1 IN IP4 a\r\ns=-\r\n", sdp_error::bad_origin},
      {"origin_bad_nettype", "v=0\r\no=- 1 1 ATM NSAP a\r\ns=-\r\n", sdp_error::bad_origin},
      {"session_name_missing", "v=0\r\no=- 1 1 IN IP4 a\r\nt=0 0\r\n", sdp_error::missing_session_name},
      {"session_name_empty", "v=0\r\no=- 1 1 IN IP4 a\r\ns=\r\n", sdp_error::missing_session_name},
      {"connection_bad_addrtype", offer_with({"c=IN IPX 192.0.2.1"}), sdp_error::bad_connection},
      {"connection_no_address", offer_with({"c=IN IP4"}), sdp_error::bad_connection},
      {"media_no_formats", offer_with({"m=message 7654 TCP/MSRP"}), sdp_error::bad_media},
      {"media_port_too_big", offer_with({"m=message 70000 TCP/MSRP *"}), sdp_error::bad_media},
      {"media_port_not_number", offer_with({"m=message x TCP/MSRP *"}), sdp_error::bad_media},
      {"media_double_space", offer_with({"m=message  7654 TCP/MSRP *"}), sdp_error::bad_media},
      {"too_many_media", offer_with({m, m, m, m, m, m, m, m, m}), sdp_error::too_many_media},
      {"path_not_msrp", offer_with({m, cpim, "a=path:sip:alice@example.com"}), sdp_error::bad_attribute},
      {"path_empty", offer_with({m, cpim, "a=path:"}), sdp_error::bad_attribute},
      {"path_twice", offer_with({m, cpim, path, path}), sdp_error::duplicate_attribute},
      {"accept_types_bad", offer_with({m, "a=accept-types:text", path}), sdp_error::bad_attribute},
      {"max_size_not_number", offer_with({m, cpim, path, "a=max-size:big"}), sdp_error::bad_attribute},
      {"setup_unknown", offer_with({m, cpim, path, "a=setup:maybe"}), sdp_error::bad_attribute},
      {"connection_attr_unknown", offer_with({m, cpim, path, "a=connection:old"}), sdp_error::bad_attribute},
      {"attribute_bad_name", offer_with({m, cpim, path, "a=pa th:x"}), sdp_error::bad_attribute},
      // Parses, but cannot be answered (the API's sdp_not_acceptable, SIP 488).
      {"no_msrp_line", offer_with({"m=audio 49170 RTP/AVP 0"}), sdp_error::ok, sdp_error::no_msrp_media},
      {"msrp_port_zero", offer_with({"m=message 0 TCP/MSRP *", cpim, path}), sdp_error::ok,
       sdp_error::no_msrp_media},
      {"msrp_over_udp", offer_with({"m=message 7654 UDP/MSRP *", cpim, path}), sdp_error::ok,
       sdp_error::no_msrp_media},
      {"tls_only_without_tls",
       offer_with({"m=message 7654 TCP/TLS/MSRP *", cpim, "a=path:msrps://h:1/s;tcp"}), sdp_error::ok,
       sdp_error::no_msrp_media},
      {"no_path", offer_with({m, cpim}), sdp_error::ok, sdp_error::no_path},
      {"no_accept_types", offer_with({m, path}), sdp_error::ok, sdp_error::cpim_not_accepted},
      {"text_plain_only", offer_with({m, "a=accept-types:text/plain text/html", path}), sdp_error::ok,
       sdp_error::cpim_not_accepted},
      {"setup_passive", offer_with({m, cpim, path, "a=setup:passive"}), sdp_error::ok,
       sdp_error::setup_not_possible},
      {"setup_holdconn", offer_with({m, cpim, path, "a=setup:holdconn"}), sdp_error::ok,
       sdp_error::setup_not_possible},
  };
}

TEST(Sdp, EachMalformedOrUnanswerableOfferFailsWithItsOwnError) {
  const auto cases = bad_cases();
  ASSERT_GE(cases.size(), 20u);
  for (const bad_case& c : cases) {
    auto sd = parse(c.text);
    if (c.parse_error != sdp_error::ok) {
      EXPECT_FALSE(sd.ok()) << c.name;
      EXPECT_EQ(to_string(sd.error()), to_string(c.parse_error)) << c.name;
      continue;
    }
    ASSERT_TRUE(sd.ok()) << c.name << ": " << to_string(sd.error());
    EXPECT_EQ(to_string(choose_msrp_media(*sd, false).error()), to_string(c.choose_error)) << c.name;
  }
}

TEST(Sdp, EveryErrorHasAName) {
  for (int e = 0; e <= static_cast<int>(sdp_error::setup_not_possible); ++e)
    EXPECT_NE(to_string(static_cast<sdp_error>(e)), "unknown") << e;
}

TEST(Sdp, EveryPrefixOfAnOfferParsesOrFailsWithoutReadingPastIt) {
  // Not incremental (the offer arrives whole in a JSON field), but no prefix may crash or read beyond
  // its end; ASan checks the exact-size copies.
  for (const std::string* offer :
       {&rfc4975_offer, &rfc4975_87_offer, &rfc4975_87_answer, &rfc4975_wrapped, &rfc6135_offer}) {
    for (std::size_t n = 0; n <= offer->size(); ++n) {
      auto copy = std::make_unique<char[]>(n + 1);
      std::memcpy(copy.get(), offer->data(), n);
      (void)parse(std::string_view(copy.get(), n));
    }
  }
}

}  // namespace
}  // namespace herald::sdp
