// HTTP/1.1 request-head parser: valid heads at every split point, a malformed table, limits at their edges.
#include "herald/control/http_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exact_bytes.hpp"

namespace herald::control {
namespace {

using testing_support::exact;

// Built with append only: GCC 12 at -O3 reports a false -Wrestrict on chained std::string operator+.
std::string describe(const request& r) {
  std::string s;
  auto add = [&s](std::string_view v) {
    s.append(v);
    s.push_back('|');
  };
  add(r.method_name);
  add(r.target);
  add(r.path);
  add(r.query);
  add(std::to_string(r.version_minor));
  add(std::to_string(r.content_length));
  add(r.has_content_length ? "cl" : "no-cl");
  add(r.keep_alive ? "keep-alive" : "close");
  add(r.authorization);
  add(r.content_type);
  add(r.host);
  add(r.expect_continue ? "expect" : "no-expect");
  for (std::size_t i = 0; i < r.header_count; ++i) {
    add(r.headers[i].name);
    add(r.headers[i].value);
  }
  return s;
}

const std::vector<std::string> kValid = {
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "POST /v1/conferences HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: "
    "2\r\n\r\n{}",
    "GET /v1/conferences?limit=10&x=%20y HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc\r\n\r\n",
    "GET /x HTTP/1.0\r\n\r\n",
    "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "DELETE /v1/conferences/c1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "\r\n\r\nGET /after-empty-lines HTTP/1.1\r\nHost: h\r\n\r\n",
    "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\nExpect: "
    "100-continue\r\n\r\nhello",
    "PATCH /p HTTP/1.1\r\nHost:h\r\nX-Empty:\r\nX-Tab:\tv\t\r\nX-Obs-Text: caf\xc3\xa9\r\n\r\n",
};

class ValidSplit : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidSplit, EverySplitPointGivesTheSameHead) {
  const std::string& raw = GetParam();
  request whole;
  exact full(raw);
  auto r = parse_request(full.view(), whole);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  const std::size_t head = r.value();
  const std::string expected = describe(whole);
  for (std::size_t k = 0; k < head; ++k) {
    exact prefix(std::string_view(raw).substr(0, k));
    request part;
    auto p = parse_request(prefix.view(), part);
    ASSERT_EQ(p.error(), http_error::need_more) << "split " << k;
    // Resuming with last_len must find the same head as a fresh parse.
    request resumed;
    auto q = parse_request(full.view(), resumed, limits{}, k);
    ASSERT_TRUE(q.ok()) << "split " << k;
    EXPECT_EQ(q.value(), head);
    EXPECT_EQ(describe(resumed), expected) << "split " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Heads, ValidSplit, ::testing::ValuesIn(kValid));

TEST(HttpRequest, SplitsPathAndQuery) {
  request r;
  exact in("GET /v1/conferences?limit=10 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(parse_request(in.view(), r).ok());
  EXPECT_EQ(r.verb, method::get);
  EXPECT_EQ(r.path, "/v1/conferences");
  EXPECT_EQ(r.query, "limit=10");
  EXPECT_EQ(r.target, "/v1/conferences?limit=10");
}

TEST(HttpRequest, ConsumedCountsOnlyTheHead) {
  request r;
  std::string raw = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET";
  exact in(raw);
  auto res = parse_request(in.view(), r);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res.value(), raw.size() - 6);
  EXPECT_EQ(r.content_length, 3u);
}

TEST(HttpRequest, KeepAliveDefaultsFollowVersion) {
  request r;
  exact v11("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(parse_request(v11.view(), r).ok());
  EXPECT_TRUE(r.keep_alive);
  exact v10("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(parse_request(v10.view(), r).ok());
  EXPECT_FALSE(r.keep_alive);
  exact close("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, Close\r\n\r\n");
  ASSERT_TRUE(parse_request(close.view(), r).ok());
  EXPECT_FALSE(r.keep_alive);
}

TEST(HttpRequest, HeaderLookupIsCaseInsensitive) {
  request r;
  exact in("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id:  abc  \r\n\r\n");
  ASSERT_TRUE(parse_request(in.view(), r).ok());
  EXPECT_EQ(r.header_value("x-request-id"), "abc");
  EXPECT_EQ(r.header_value("missing"), "");
}

TEST(HttpRequest, UnknownMethodTokenParsesAsOther) {
  request r;
  exact in("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(parse_request(in.view(), r).ok());
  EXPECT_EQ(r.verb, method::other);
  EXPECT_EQ(r.method_name, "BREW");
}

struct malformed_case {
  const char* name;
  std::string raw;
  http_error want;
};

void PrintTo(const malformed_case& c, std::ostream* os) {
  *os << c.name;
}

class Malformed : public ::testing::TestWithParam<malformed_case> {};

TEST_P(Malformed, IsRejectedWithItsError) {
  const auto& c = GetParam();
  exact in(c.raw);
  request r;
  auto res = parse_request(in.view(), r);
  EXPECT_EQ(res.error(), c.want) << c.name << ": got " << to_string(res.error());
}

const std::string H = "Host: h\r\n";

INSTANTIATE_TEST_SUITE_P(
    Table, Malformed,
    ::testing::Values(
        malformed_case{"no_spaces", "GET\r\n\r\n", http_error::bad_request_line},
        malformed_case{"leading_space", " GET / HTTP/1.1\r\n\r\n", http_error::bad_request_line},
        malformed_case{"double_space", "GET  / HTTP/1.1\r\n\r\n", http_error::bad_request_line},
        malformed_case{"no_version", "GET /\r\n\r\n", http_error::bad_request_line},
        malformed_case{"bare_lf_request_line", "GET / HTTP/1.1\n" + H + "\r\n", http_error::bad_request_line},
        malformed_case{"bare_lf_header", "GET / HTTP/1.1\r\nHost: h\n\r\n", http_error::bad_header},
        malformed_case{"method_with_slash", "GE/T / HTTP/1.1\r\n" + H + "\r\n", http_error::bad_method},
        malformed_case{"method_with_nul", std::string("GE\0T / HTTP/1.1\r\n\r\n", 19),
                       http_error::bad_method},
        malformed_case{"absolute_form", "GET http://x/ HTTP/1.1\r\n" + H + "\r\n", http_error::bad_target},
        malformed_case{"asterisk_form", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n", http_error::bad_target},
        malformed_case{"target_with_quote", "GET /a\"b HTTP/1.1\r\n" + H + "\r\n", http_error::bad_target},
        malformed_case{"target_with_fragment", "GET /a#b HTTP/1.1\r\n" + H + "\r\n", http_error::bad_target},
        malformed_case{"target_bad_percent", "GET /a%zz HTTP/1.1\r\n" + H + "\r\n", http_error::bad_target},
        malformed_case{"target_truncated_percent", "GET /a%2 HTTP/1.1\r\n" + H + "\r\n",
                       http_error::bad_target},
        malformed_case{"target_non_ascii", "GET /caf\xc3\xa9 HTTP/1.1\r\n" + H + "\r\n",
                       http_error::bad_target},
        malformed_case{"lowercase_version", "GET / http/1.1\r\n" + H + "\r\n", http_error::bad_version},
        malformed_case{"version_trailing_space", "GET / HTTP/1.1 \r\n" + H + "\r\n", http_error::bad_version},
        malformed_case{"version_two_digits", "GET / HTTP/1.10\r\n" + H + "\r\n", http_error::bad_version},
        malformed_case{"http2", "GET / HTTP/2.0\r\n" + H + "\r\n", http_error::unsupported_version},
        malformed_case{"http12", "GET / HTTP/1.2\r\n" + H + "\r\n", http_error::unsupported_version},
        malformed_case{"obs_fold", "GET / HTTP/1.1\r\n" + H + "X-A: a\r\n b\r\n\r\n", http_error::bad_header},
        malformed_case{"space_before_colon", "GET / HTTP/1.1\r\n" + H + "X-A : a\r\n\r\n",
                       http_error::bad_header},
        malformed_case{"no_colon", "GET / HTTP/1.1\r\n" + H + "X-A a\r\n\r\n", http_error::bad_header},
        malformed_case{"empty_name", "GET / HTTP/1.1\r\n" + H + ": a\r\n\r\n", http_error::bad_header},
        malformed_case{"nul_in_value", "GET / HTTP/1.1\r\n" + H + std::string("X-A: a\0b\r\n\r\n", 12),
                       http_error::bad_header},
        malformed_case{"bare_cr_in_value", "GET / HTTP/1.1\r\n" + H + "X-A: a\rb\r\n\r\n",
                       http_error::bad_header},
        malformed_case{"del_in_value", "GET / HTTP/1.1\r\n" + H + "X-A: a\x7f\r\n\r\n",
                       http_error::bad_header},
        malformed_case{"two_authorization",
                       "GET / HTTP/1.1\r\n" + H + "Authorization: a\r\nAuthorization: b\r\n\r\n",
                       http_error::bad_header},
        malformed_case{"missing_host_11", "GET / HTTP/1.1\r\n\r\n", http_error::bad_host},
        malformed_case{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", http_error::bad_host},
        malformed_case{"cl_negative", "POST / HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n",
                       http_error::bad_content_length},
        malformed_case{"cl_plus", "POST / HTTP/1.1\r\n" + H + "Content-Length: +1\r\n\r\n",
                       http_error::bad_content_length},
        malformed_case{"cl_hex", "POST / HTTP/1.1\r\n" + H + "Content-Length: 0x10\r\n\r\n",
                       http_error::bad_content_length},
        malformed_case{"cl_empty", "POST / HTTP/1.1\r\n" + H + "Content-Length:\r\n\r\n",
                       http_error::bad_content_length},
        malformed_case{"cl_list", "POST / HTTP/1.1\r\n" + H + "Content-Length: 1, 1\r\n\r\n",
                       http_error::bad_content_length},
        malformed_case{"cl_overflow",
                       "POST / HTTP/1.1\r\n" + H + "Content-Length: 99999999999999999999999\r\n\r\n",
                       http_error::bad_content_length},
        malformed_case{"cl_differing_duplicates",
                       "POST / HTTP/1.1\r\n" + H + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                       http_error::bad_content_length},
        malformed_case{"chunked", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n",
                       http_error::unsupported_transfer_encoding},
        malformed_case{"te_and_cl",
                       "POST / HTTP/1.1\r\n" + H + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                       http_error::content_length_with_transfer_encoding},
        malformed_case{"cl_after_te",
                       "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n",
                       http_error::content_length_with_transfer_encoding},
        malformed_case{"expect_other", "POST / HTTP/1.1\r\n" + H + "Expect: 200-ok\r\n\r\n",
                       http_error::expectation_failed},
        malformed_case{"body_over_default", "POST / HTTP/1.1\r\n" + H + "Content-Length: 16777217\r\n\r\n",
                       http_error::body_too_large}),
    [](const ::testing::TestParamInfo<malformed_case>& p) { return std::string(p.param.name); });

std::string head_of_size(std::size_t total) {
  // "GET / HTTP/1.1\r\n" (16) + "Host: h\r\n" (9) + "X: " + pad + "\r\n" + "\r\n"
  std::string base = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  std::size_t pad = total - base.size() - 4;
  return base + std::string(pad, 'a') + "\r\n\r\n";
}

TEST(HttpRequestLimits, HeadOfExactlyMaxBytesParses) {
  std::string raw = head_of_size(8192);
  ASSERT_EQ(raw.size(), 8192u);
  exact in(raw);
  request r;
  auto res = parse_request(in.view(), r);
  ASSERT_TRUE(res.ok()) << to_string(res.error());
  EXPECT_EQ(res.value(), 8192u);
}

TEST(HttpRequestLimits, HeadOneByteOverMaxIsTooLarge) {
  exact in(head_of_size(8193));
  request r;
  EXPECT_EQ(parse_request(in.view(), r).error(), http_error::header_too_large);
}

TEST(HttpRequestLimits, UnterminatedHeadAtMaxIsTooLargeWithoutWaiting) {
  exact in(std::string("GET / HTTP/1.1\r\nX: ") + std::string(8192, 'a'));
  request r;
  EXPECT_EQ(parse_request(in.view(), r).error(), http_error::header_too_large);
}

std::string with_headers(std::size_t n) {
  std::string raw = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (std::size_t i = 1; i < n; ++i) raw += "X-" + std::to_string(i) + ": v\r\n";
  return raw + "\r\n";
}

TEST(HttpRequestLimits, ExactlyMaxHeadersParse) {
  exact in(with_headers(64));
  request r;
  ASSERT_TRUE(parse_request(in.view(), r).ok());
  EXPECT_EQ(r.header_count, 64u);
}

TEST(HttpRequestLimits, OneHeaderOverMaxIsRejected) {
  exact in(with_headers(65));
  request r;
  EXPECT_EQ(parse_request(in.view(), r).error(), http_error::too_many_headers);
}

TEST(HttpRequestLimits, ConfiguredHeaderLimitApplies) {
  limits lim;
  lim.max_headers = 3;
  request r;
  exact ok(with_headers(3));
  EXPECT_TRUE(parse_request(ok.view(), r, lim).ok());
  exact over(with_headers(4));
  EXPECT_EQ(parse_request(over.view(), r, lim).error(), http_error::too_many_headers);
}

TEST(HttpRequestLimits, BodyOfExactlyMaxIsAccepted) {
  limits lim;
  lim.max_body_bytes = 100;
  request r;
  exact ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n");
  ASSERT_TRUE(parse_request(ok.view(), r, lim).ok());
  EXPECT_EQ(r.content_length, 100u);
}

TEST(HttpRequestLimits, BodyOneOverMaxIsTooLarge) {
  limits lim;
  lim.max_body_bytes = 100;
  request r;
  exact over("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(parse_request(over.view(), r, lim).error(), http_error::body_too_large);
}

TEST(HttpRequestLimits, DefaultBodyLimitIsSixteenMebibytes) {
  request r;
  exact ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16777216\r\n\r\n");
  EXPECT_TRUE(parse_request(ok.view(), r).ok());
}

TEST(HttpRequest, HostMayBeOmittedWhenNotRequired) {
  limits lim;
  lim.require_host = false;
  request r;
  exact in("GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(parse_request(in.view(), r, lim).ok());
}

}  // namespace
}  // namespace herald::control
