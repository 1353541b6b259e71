// SIGTERM drains (--drain-timeout): new MSRP connections are refused, new messages get 503, pending
// deliveries fail at the deadline, and heraldd exits 0 logging "stopped".
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "conference_fixture.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

class Drain : public ::testing::Test {
 protected:
  void start(const std::string& drain_timeout) {
    ASSERT_TRUE(f.start({"--shards", "2", "--drain-timeout", drain_timeout})) << f.daemon.log();
    ASSERT_TRUE(f.create(4));
    ASSERT_TRUE(f.connect_all(2));
    for (auto& p : f.peers) p->policy.respond_with = 0;  // every delivery stays pending
    http_reply r = f.post_message(R"({"content_type":"text/plain","body":"never answered"})");
    ASSERT_EQ(r.status, 202) << r.body;
    ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() == 4; }, 10000));
  }
  conference_fixture f;
};

TEST_F(Drain, SigtermWithUnansweredDeliveries_ExitsZeroWithinTheDrainTimeout) {
  start("1s");
  std::uint64_t t0 = now_ms();
  EXPECT_EQ(f.daemon.stop(10000), 0) << f.daemon.log();
  EXPECT_LT(now_ms() - t0, 5000u);
  EXPECT_NE(f.daemon.log().find("msg=\"stopped\""), std::string::npos) << f.daemon.log();
}

TEST_F(Drain, WhileDraining_NewConnectionsRefusedAndMessagesGet503) {
  start("3s");
  ASSERT_EQ(::kill(f.daemon.pid(), SIGTERM), 0);
  // Polled: the signal is handled asynchronously.
  http_reply r;
  std::uint64_t deadline = now_ms() + 2000;
  do {
    r = f.post_message(R"({"content_type":"text/plain","body":"too late"})");
  } while (r.status != 503 && now_ms() < deadline);
  EXPECT_EQ(r.status, 503) << r.body;
  bool refused = false;
  while (!refused && now_ms() < deadline) {
    msrp_peer late;
    late.tag = "late";
    if (late.connect(f.daemon.msrp_port()) != 0) {
      refused = true;
    } else {
      // Accepted by a listener just closing: it must be closed, not served.
      late.pump_until([&] { return late.eof; }, 200);
      refused = late.eof;
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(f.daemon.stop(10000), 0) << f.daemon.log();
}

// Nothing changes while draining: every write is 503 (conferences, participants, messages, deletions),
// while reads keep answering.
TEST_F(Drain, WhileDraining_EveryWriteGets503AndReadsAnswer) {
  start("3s");
  ASSERT_EQ(::kill(f.daemon.pid(), SIGTERM), 0);
  const std::uint16_t port = f.daemon.control_port();
  const std::string conf = "/v1/conferences/" + f.conference_id;
  std::uint64_t deadline = now_ms() + 2000;
  while (http_request(port, "GET", "/healthz").status != 503 && now_ms() < deadline) f.pump_some(10);
  struct write_case {
    const char* method;
    std::string target;
    std::string body;
  };
  const write_case writes[] = {
      {"POST", "/v1/conferences", R"({"uri":"sip:late@example.com"})"},
      {"POST", conf + "/participants", R"({"address":"sip:late@example.com"})"},
      {"POST", conf + "/participants:batch", R"({"participants":[{"address":"sip:late2@example.com"}]})"},
      {"DELETE", conf + "/participants/" + f.participants[0].id, ""},
      {"POST", conf + "/messages", R"({"content_type":"text/plain","body":"too late"})"},
      {"DELETE", conf, ""},
  };
  for (const write_case& w : writes) {
    http_reply r = http_request(port, w.method, w.target, w.body);
    EXPECT_EQ(r.status, 503) << w.method << " " << w.target << ": " << r.body;
    EXPECT_EQ(json_field(r.body, "code"), "draining") << r.body;
  }
  EXPECT_EQ(http_request(port, "GET", conf).status, 200);
  EXPECT_EQ(json_int(http_request(port, "GET", conf).body, "participant_count"), 4);
  EXPECT_EQ(http_request(port, "GET", "/v1/conferences").status, 200);
  EXPECT_EQ(f.daemon.stop(10000), 0) << f.daemon.log();
}

}  // namespace
}  // namespace herald::e2e
