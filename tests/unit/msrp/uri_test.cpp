// MSRP URI parsing, To-Path splitting and RFC 4975 §6.1 comparison.
#include "herald/msrp/uri.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::msrp {
namespace {

uri must_parse(std::string_view s) {
  auto r = parse_uri(s);
  EXPECT_TRUE(r.ok()) << s;
  return *r;
}

TEST(MsrpUri, FullUri_SplitsIntoEveryComponent) {
  uri u = must_parse("msrps://alice@atlanta.example.com:7654/jshA7we+=/x;tcp;foo=bar;baz");
  EXPECT_EQ(u.scheme, "msrps");
  EXPECT_TRUE(u.secure);
  EXPECT_EQ(u.userinfo, "alice");
  EXPECT_EQ(u.host, "atlanta.example.com");
  EXPECT_EQ(u.host_type, host_kind::reg_name);
  EXPECT_TRUE(u.has_port);
  EXPECT_EQ(u.port, 7654);
  EXPECT_EQ(u.session_id, "jshA7we+=/x");
  EXPECT_EQ(u.transport, "tcp");
  EXPECT_EQ(u.parameters, "foo=bar;baz");
}

TEST(MsrpUri, NoPortNoSessionId_IsValidAndReportsAbsence) {
  uri u = must_parse("msrp://relay.example.net;tcp");
  EXPECT_FALSE(u.has_port);
  EXPECT_TRUE(u.session_id.empty());
  EXPECT_EQ(u.transport, "tcp");
  EXPECT_FALSE(u.secure);
}

TEST(MsrpUri, Ipv4AndIpv6Hosts_AreClassified) {
  uri a = must_parse("msrp://192.0.2.10:2855/s;tcp");
  EXPECT_EQ(a.host_type, host_kind::ipv4);
  EXPECT_EQ(a.host, "192.0.2.10");
  uri b = must_parse("msrp://[2001:db8::1]:2855/s;tcp");
  EXPECT_EQ(b.host_type, host_kind::ipv6);
  EXPECT_EQ(b.host, "2001:db8::1");
  EXPECT_EQ(b.port, 2855);
}

TEST(MsrpUri, OtherTransportToken_IsAccepted) {
  EXPECT_EQ(must_parse("msrp://h.example.com/s;sctp").transport, "sctp");
}

TEST(MsrpUri, MalformedUris_AreRejected) {
  const char* bad[] = {
      "",
      "http://h.example.com/s;tcp",
      "msrp:/h.example.com/s;tcp",
      "msrp://h.example.com/s",       // transport missing
      "msrp://h.example.com/s;",      // empty transport
      "msrp://h.example.com/s;t-cp",  // transport not ALPHANUM
      "msrp://:2855/s;tcp",           // empty host
      "msrp://h.example.com:/s;tcp",  // empty port
      "msrp://h.example.com:99999/s;tcp",
      "msrp://h.example.com:12a/s;tcp",
      "msrp://h.example.com/;tcp",  // empty session-id
      "msrp://h.example.com/s<id;tcp",
      "msrp://[2001:db8::1/s;tcp",  // unclosed bracket
      "msrp://[zz::1]/s;tcp",
      "msrp://h ost/s;tcp",
      "msrp://h.example.com/s;tcp;",    // empty parameter
      "msrp://h.example.com/s;tcp;a=",  // empty parameter value
      "msrp://h%zz.example.com/s;tcp",  // bad percent escape
      "msrp://al ice@h.example.com/s;tcp",
  };
  for (const char* s : bad) EXPECT_FALSE(parse_uri(s).ok()) << s;
  for (const char* s : bad) EXPECT_EQ(parse_uri(s).error(), error_code::bad_uri) << s;
}

struct eq_case {
  const char* a;
  const char* b;
  bool equal;
};

TEST(MsrpUri, ComparisonFollowsRfc4975Section6_1) {
  const eq_case table[] = {
      {"msrp://h.example.com:2855/abc;tcp", "MSRP://H.EXAMPLE.COM:2855/abc;TCP",
       true},  // case-insensitive parts
      {"msrp://h.example.com:2855/abc;tcp", "msrp://h.example.com:2855/ABC;tcp",
       false},  // session-id sensitive
      {"msrp://h.example.com/abc;tcp", "msrp://h.example.com:2855/abc;tcp",
       false},  // explicit vs absent port
      {"msrp://h.example.com:1/abc;tcp", "msrp://h.example.com:2/abc;tcp", false},
      {"msrp://alice@h.example.com/abc;tcp", "msrp://bob@h.example.com/abc;tcp", true},  // userinfo ignored
      {"msrp://h.example.com/abc;tcp", "msrps://h.example.com/abc;tcp", false},
      {"msrp://h.example.com/abc;tcp", "msrp://h.example.com/abc;sctp", false},
      {"msrp://h.example.com/abc;tcp", "msrp://h.example.com;tcp", false},     // session-id present vs absent
      {"msrp://[2001:db8::1]/s;tcp", "msrp://[2001:DB8:0:0::1]/s;tcp", true},  // address equivalence
      {"msrp://192.0.2.1/s;tcp", "msrp://192.0.2.2/s;tcp", false},
      {"msrp://h%2Eexample.com/s;tcp", "msrp://h.example.com/s;tcp", true},  // percent-decoded unreserved
      {"msrp://h.example.com/s;tcp;a=1", "msrp://h.example.com/s;tcp;b=2", true},  // params not compared
  };
  for (const auto& c : table) {
    EXPECT_EQ(uri_equal(must_parse(c.a), must_parse(c.b)), c.equal) << c.a << " vs " << c.b;
    EXPECT_EQ(uri_equal(must_parse(c.b), must_parse(c.a)), c.equal) << c.b << " vs " << c.a;
  }
}

TEST(MsrpUri, SplitPath_ReturnsEachUriInOrder) {
  auto r = split_path("msrp://r1.example.net/a;tcp msrp://r2.example.net/b;tcp msrp://bob.example.com/c;tcp");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->count, 3u);
  EXPECT_EQ(r->front(), "msrp://r1.example.net/a;tcp");
  EXPECT_EQ(r->uris[1], "msrp://r2.example.net/b;tcp");
  EXPECT_EQ(r->back(), "msrp://bob.example.com/c;tcp");
}

TEST(MsrpUri, SplitPath_RejectsEmptyDoubledOrOverlongLists) {
  EXPECT_FALSE(split_path("").ok());
  EXPECT_FALSE(split_path("msrp://a.example.com/s;tcp ").ok());
  EXPECT_FALSE(split_path(" msrp://a.example.com/s;tcp").ok());
  EXPECT_FALSE(split_path("msrp://a.example.com/s;tcp  msrp://b.example.com/s;tcp").ok());
  EXPECT_FALSE(split_path("msrp://a.example.com/s;tcp bogus").ok());
  std::string nine, eight;
  for (int i = 0; i < 9; ++i) {
    std::string u = "msrp://h" + std::to_string(i) + ".example.com/s;tcp";
    nine += (i ? " " : "") + u;
    if (i < 8) eight += (i ? " " : "") + u;
  }
  EXPECT_TRUE(split_path(eight).ok());
  EXPECT_FALSE(split_path(nine).ok());
}

}  // namespace
}  // namespace herald::msrp
