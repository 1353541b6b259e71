// MSRP session binding and protocol errors (RFC 4975 §7.1, §7.2, §7.3): each answered with its status,
// and the connection kept whenever the framing survives.
#include <gtest/gtest.h>

#include "conference_fixture.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

std::string request(std::string_view tid, std::string_view method, std::string_view to, std::string_view from,
                    std::string_view extra = "") {
  return "MSRP " + std::string(tid) + " " + std::string(method) + "\r\nTo-Path: " + std::string(to) +
         "\r\nFrom-Path: " + std::string(from) + "\r\n" + std::string(extra) + "-------" + std::string(tid) +
         "$\r\n";
}

class MsrpErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(f.start(args)) << f.daemon.log();
    ASSERT_TRUE(f.create(3));
    ASSERT_TRUE(f.connect_all(3));  // participant i on connection i
  }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  msrp_peer& peer() { return *f.peers[0]; }
  std::string path(std::size_t i) { return f.participants[i].path; }
  std::string own(std::size_t i) { return peer().own_path(path(i)); }

  // Nothing here waits for fan-out to finish: pending deliveries fail at once on stop.
  std::vector<std::string> args = {"--shards", "2", "--drain-timeout", "0s"};
  conference_fixture f;
};

TEST_F(MsrpErrors, UnknownSession_481) {
  std::size_t p = f.add_peer("unknown");
  std::string bogus =
      "msrp://127.0.0.1:" + std::to_string(f.daemon.msrp_port()) + "/nosuchsession1234567;tcp";
  EXPECT_EQ(f.peers[p]->bind({bogus}), std::vector<int>{481});
}

// RFC 4975 §7.3 names 506 for a session already bound to another connection; issue #4 said 403, the
// lead chose the RFC's code.
TEST_F(MsrpErrors, SecondConnectionBindingABoundSession_506) {
  std::size_t p = f.add_peer("second");
  EXPECT_EQ(f.peers[p]->bind({path(0)}), std::vector<int>{506});
}

TEST_F(MsrpErrors, FromPathNotTheBoundPeer_403) {
  peer().send_raw(
      request("spoof1", "SEND", path(0), "msrp://127.0.0.1:9/impostor;tcp",
              "Message-ID: msg1\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n"));
  EXPECT_EQ(f.wait_response(peer(), "spoof1"), 403);
}

TEST_F(MsrpErrors, BadByteRange_400_AndTheConnectionKeepsWorking) {
  peer().send_raw(
      request("bad1", "SEND", path(0), own(0),
              "Message-ID: msg1\r\nByte-Range: 9-x/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n"));
  EXPECT_EQ(f.wait_response(peer(), "bad1"), 400);
  std::string tid = peer().send(path(0), "text/plain", "valid afterwards");
  EXPECT_EQ(f.wait_response(peer(), tid), 200);
}

TEST_F(MsrpErrors, GarbageWithoutFraming_ClosesTheConnection) {
  peer().send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(peer().pump_until([&] { return peer().eof; }, 10000));
}

TEST_F(MsrpErrors, UnknownMethod_501) {
  peer().send_raw(request("odd1", "FROBNICATE", path(0), own(0)));
  EXPECT_EQ(f.wait_response(peer(), "odd1"), 501);
}

TEST_F(MsrpErrors, Report_GetsNoResponse) {
  peer().send_raw(request("rep1", "REPORT", path(0), own(0), "Message-ID: msg9\r\nStatus: 000 200 OK\r\n"));
  // The SEND after it is answered; by then an answer to the REPORT would have arrived first.
  std::string tid = peer().send(path(0), "text/plain", "after the report");
  EXPECT_EQ(f.wait_response(peer(), tid), 200);
  for (const auto& r : peer().responses) EXPECT_NE(r.transaction_id, "rep1");
}

TEST_F(MsrpErrors, FailureReportNo_SuppressesRefusals) {
  // RFC 4975 §7.2: with Failure-Report "no" the sender asked for no response, not even an error.
  std::string bogus =
      "msrp://127.0.0.1:" + std::to_string(f.daemon.msrp_port()) + "/nosuchsession1234567;tcp";
  peer().send_raw(request("quiet481", "SEND", bogus, own(0), "Failure-Report: no\r\n"));
  peer().send_raw(request("quiet501", "FROBNICATE", path(0), own(0), "Failure-Report: no\r\n"));
  // Answers come in order: once the next SEND's 200 is here, none came for the two before it.
  std::string tid = peer().send(path(0), "text/plain", "after the quiet ones");
  EXPECT_EQ(f.wait_response(peer(), tid), 200);
  for (const auto& r : peer().responses) {
    EXPECT_NE(r.transaction_id, "quiet481");
    EXPECT_NE(r.transaction_id, "quiet501");
  }
}

class SessionLimit : public MsrpErrors {
 public:
  SessionLimit() { args.insert(args.end(), {"--max-sessions-per-connection", "2"}); }
};

TEST_F(SessionLimit, ThirdBindOnOneConnection_403) {
  std::size_t p = f.add_peer("limited");
  // Three fresh sessions (another conference) presented on one new connection.
  conference_fixture& fx = f;
  http_reply c = http_request(fx.daemon.control_port(), "POST", "/v1/conferences",
                              R"({"uri":"sip:other@example.com","display_name":"Other"})");
  ASSERT_EQ(c.status, 201) << c.body;
  std::string cid = json_field(c.body, "id");
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    http_reply r = http_request(fx.daemon.control_port(), "POST", "/v1/conferences/" + cid + "/participants",
                                R"({"address":"sip:o)" + std::to_string(i) + R"(@example.com"})");
    ASSERT_EQ(r.status, 201) << r.body;
    paths.push_back(json_field(r.body, "path"));
  }
  EXPECT_EQ(f.peers[p]->bind(paths), (std::vector<int>{200, 200, 403}));
}

class HeaderTimeout : public MsrpErrors {
 public:
  HeaderTimeout() { args.insert(args.end(), {"--header-timeout", "1s"}); }
};

// Slowloris: a request started but never finished is cut off after --header-timeout, while a
// connection that completes its requests keeps working.
TEST_F(HeaderTimeout, UnfinishedRequestIsClosed_OthersKeepWorking) {
  std::size_t slow = f.add_peer("slowloris");
  f.peers[slow]->send_raw("MSRP slow1 SEND\r\nTo-Path: " + path(0).substr(0, 12));
  EXPECT_TRUE(f.peers[slow]->pump_until([&] { return f.peers[slow]->eof; }, 10000))
      << "an unfinished request must not hold its connection open";
  std::string tid = peer().send(path(0), "text/plain", "still here");
  EXPECT_EQ(f.wait_response(peer(), tid), 200);
}

// Each malformed message is accounted for by what became of it: answered, skipped, or its connection
// closed; /metrics tells them apart.
TEST_F(MsrpErrors, MalformedMessagesAreCountedByWhatBecameOfThem) {
  auto metric_sum = [&](std::string_view name) {
    const std::string body = http_request(f.daemon.control_port(), "GET", "/metrics").body;
    std::int64_t sum = 0;
    for (std::size_t at = body.find(name); at != std::string::npos; at = body.find(name, at + 1))
      if (body.compare(at + name.size(), 8, "{shard=\"") == 0)
        sum += std::strtoll(body.c_str() + body.find(' ', at) + 1, nullptr, 10);
    return sum;
  };
  // Answered: a bad Byte-Range (400). Skipped: a malformed response. Closed: no From-Path to answer to.
  peer().send_raw(request("ans1", "SEND", path(0), own(0), "Message-ID: msg1\r\nByte-Range: 9-x/5\r\n"));
  EXPECT_EQ(f.wait_response(peer(), "ans1"), 400);
  peer().send_raw("MSRP skp12345 2000 OK\r\nTo-Path: " + own(0) + "\r\nFrom-Path: " + path(0) +
                  "\r\n-------skp12345$\r\n");
  std::size_t p = f.add_peer("closed");
  f.peers[p]->send_raw("MSRP cls12345 SEND\r\nTo-Path: sip:x@example.com\r\n-------cls12345$\r\n");
  EXPECT_TRUE(f.peers[p]->pump_until([&] { return f.peers[p]->eof; }, 5000)) << "closed, not left waiting";
  peer().send_raw(request("ok12", "SEND", path(0), own(0), "Message-ID: msg2\r\nByte-Range: 1-0/0\r\n"));
  EXPECT_EQ(f.wait_response(peer(), "ok12"), 200) << "the answered and skipped ones kept the connection";
  const std::uint64_t deadline = now_ms() + 3000;
  while (
      (metric_sum("herald_malformed_closed_total") < 1 || metric_sum("herald_malformed_skipped_total") < 1) &&
      now_ms() < deadline)
    f.pump_some(50);
  EXPECT_EQ(metric_sum("herald_malformed_answered_total"), 1);
  EXPECT_EQ(metric_sum("herald_malformed_skipped_total"), 1);
  EXPECT_EQ(metric_sum("herald_malformed_closed_total"), 1);
}

}  // namespace
}  // namespace herald::e2e
