// http_connection: pipelining, bodies in pieces, keep-alive/close, 100-continue, head timeout.
#include "herald/control/http_connection.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exact_bytes.hpp"

namespace herald::control {
namespace {

using testing_support::exact;

struct seen {
  std::string method, path, body;
  bool keep_alive;
};

// Feeds raw in chunks of the given sizes (each an exact heap copy) and collects every request.
std::vector<seen> drive(http_connection& c, std::string_view raw, std::vector<std::size_t> cuts,
                        http_error* last = nullptr) {
  std::vector<seen> out;
  std::size_t pos = 0;
  cuts.push_back(raw.size());
  http_error e = http_error::need_more;
  for (std::size_t cut : cuts) {
    exact piece(raw.substr(pos, cut - pos));
    pos = cut;
    c.feed(piece.view(), 1);
    request r;
    while ((e = c.next(r)) == http_error::ok)
      out.push_back({std::string(r.method_name), std::string(r.path), std::string(r.body), r.keep_alive});
    if (e != http_error::need_more) break;
  }
  if (last) *last = e;
  return out;
}

const std::string kPipelined =
    "POST /v1/conferences HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
    "GET /v1/health HTTP/1.1\r\nHost: h\r\n\r\n"
    "POST /v1/conferences/c/messages HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: "
    "close\r\n\r\nxyz";

TEST(HttpConnection, PipelinedRequestsComeOutInOrder) {
  http_connection c;
  auto got = drive(c, kPipelined, {});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].path, "/v1/conferences");
  EXPECT_EQ(got[0].body, "{\"a\":1}");
  EXPECT_EQ(got[1].method, "GET");
  EXPECT_EQ(got[1].body, "");
  EXPECT_EQ(got[2].body, "xyz");
  EXPECT_FALSE(got[2].keep_alive);
  EXPECT_TRUE(c.closing());
}

TEST(HttpConnection, EveryTwoPieceSplitYieldsTheSameRequests) {
  http_connection whole;
  auto expected = drive(whole, kPipelined, {});
  for (std::size_t k = 1; k < kPipelined.size(); ++k) {
    http_connection c;
    auto got = drive(c, kPipelined, {k});
    ASSERT_EQ(got.size(), expected.size()) << "split " << k;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].path, expected[i].path) << "split " << k;
      EXPECT_EQ(got[i].body, expected[i].body) << "split " << k;
    }
  }
}

TEST(HttpConnection, ByteAtATimeYieldsTheSameRequests) {
  std::vector<std::size_t> cuts;
  for (std::size_t k = 1; k < kPipelined.size(); ++k) cuts.push_back(k);
  http_connection c;
  auto got = drive(c, kPipelined, cuts);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, "{\"a\":1}");
  EXPECT_EQ(got[2].body, "xyz");
}

TEST(HttpConnection, BodyArrivingInPiecesIsReturnedWhole) {
  http_connection c;
  request r;
  c.feed("POST /m HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01234");
  EXPECT_EQ(c.next(r), http_error::need_more);
  c.feed("567");
  EXPECT_EQ(c.next(r), http_error::need_more);
  c.feed("89");
  ASSERT_EQ(c.next(r), http_error::ok);
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_EQ(c.next(r), http_error::need_more);
  EXPECT_EQ(c.buffered(), 0u);
}

TEST(HttpConnection, BytesAfterConnectionCloseAreIgnored) {
  http_connection c;
  request r;
  c.feed("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(c.next(r), http_error::ok);
  EXPECT_TRUE(c.closing());
  EXPECT_EQ(c.next(r), http_error::need_more);
}

TEST(HttpConnection, ParseErrorIsSticky) {
  http_connection c;
  request r;
  c.feed("GET / HTTP/9.9\r\nHost: h\r\n\r\n");
  EXPECT_EQ(c.next(r), http_error::unsupported_version);
  c.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(c.next(r), http_error::unsupported_version);
  EXPECT_EQ(c.error(), http_error::unsupported_version);
}

TEST(HttpConnection, OversizedBodyIsRefusedBeforeItArrives) {
  limits lim;
  lim.max_body_bytes = 4;
  http_connection c(lim);
  request r;
  c.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(c.next(r), http_error::body_too_large);
}

TEST(HttpConnection, ExpectContinueOffersOneInterimResponse) {
  http_connection c;
  request r;
  c.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.take_interim_response(), "");  // nothing before the head is parsed
  EXPECT_EQ(c.next(r), http_error::need_more);
  EXPECT_EQ(c.take_interim_response(), "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(c.take_interim_response(), "");
  c.feed("ok");
  ASSERT_EQ(c.next(r), http_error::ok);
  EXPECT_EQ(r.body, "ok");
}

TEST(HttpConnection, NoInterimResponseWhenBodyAlreadyStarted) {
  http_connection c;
  request r;
  c.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nab");
  EXPECT_EQ(c.next(r), http_error::need_more);
  EXPECT_EQ(c.take_interim_response(), "");
}

TEST(HttpConnection, HeadStartTimeIsRecordedAndClearedOnceParsed) {
  http_connection c;
  request r;
  EXPECT_EQ(c.head_started_at(), 0u);
  c.feed("GET / HTT", 1000);
  EXPECT_EQ(c.next(r), http_error::need_more);
  c.feed("P/1.1\r\nHost: h\r\n", 2000);
  EXPECT_EQ(c.head_started_at(), 1000u);
  c.feed("\r\n", 3000);
  ASSERT_EQ(c.next(r), http_error::ok);
  EXPECT_EQ(c.head_started_at(), 0u);
}

TEST(HttpConnection, SlowHeadTimesOut) {
  limits lim;
  lim.head_timeout_ns = 100;
  http_connection c(lim);
  request r;
  c.feed("GET / HTTP/1.1\r\n", 1000);
  EXPECT_EQ(c.next(r), http_error::need_more);
  EXPECT_EQ(c.on_tick(1100), http_error::ok);
  EXPECT_EQ(c.on_tick(1101), http_error::request_timeout);
  EXPECT_EQ(c.next(r), http_error::request_timeout);
}

TEST(HttpConnection, SlowBodyTimesOutFromTheFirstHeadByte) {
  limits lim;
  lim.head_timeout_ns = 100;
  http_connection c(lim);
  request r;
  c.feed("POST /v1/conferences HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab", 1000);
  EXPECT_EQ(c.next(r), http_error::need_more);
  c.feed("cd", 1050);
  EXPECT_EQ(c.next(r), http_error::need_more);
  EXPECT_EQ(c.on_tick(1100), http_error::ok);
  EXPECT_EQ(c.on_tick(1101), http_error::request_timeout);
}

TEST(HttpConnection, BodyCompletedInTimeDoesNotTimeOut) {
  limits lim;
  lim.head_timeout_ns = 100;
  http_connection c(lim);
  request r;
  c.feed("POST /v1/conferences HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab", 1000);
  EXPECT_EQ(c.next(r), http_error::need_more);
  c.feed("cd", 1090);
  ASSERT_EQ(c.next(r), http_error::ok);
  EXPECT_EQ(r.body, "abcd");
  EXPECT_EQ(c.on_tick(5000), http_error::ok);
}

TEST(HttpConnection, IdleConnectionDoesNotTimeOut) {
  limits lim;
  lim.head_timeout_ns = 100;
  http_connection c(lim);
  request r;
  c.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1000);
  ASSERT_EQ(c.next(r), http_error::ok);
  EXPECT_EQ(c.next(r), http_error::need_more);
  EXPECT_EQ(c.on_tick(1'000'000), http_error::ok);
}

TEST(HttpConnection, PipelinedHeadStartsTimingWhenPreviousRequestIsTaken) {
  limits lim;
  lim.head_timeout_ns = 100;
  http_connection c(lim);
  request r;
  c.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /partial", 5000);
  ASSERT_EQ(c.next(r), http_error::ok);
  EXPECT_EQ(c.next(r), http_error::need_more);
  EXPECT_EQ(c.head_started_at(), 5000u);
  EXPECT_EQ(c.on_tick(5101), http_error::request_timeout);
}

}  // namespace
}  // namespace herald::control
