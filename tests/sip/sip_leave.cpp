// A SIP participant leaves: its own BYE (a message still in flight to it ends failed participant_removed),
// its MSRP connection ending (Herald has Kamailio send the BYE), or its dialog timing out in Kamailio.
#include <gtest/gtest.h>

#include "sip_fixture.hpp"

namespace herald::sip_test {
namespace {

class SipLeave : public SipTest {
 protected:
  // GET /v1/messages/{id} until nothing is pending; the last body.
  std::string wait_settled(const std::string& message_id) {
    const std::uint64_t deadline = now_ms() + 20000;
    std::string body;
    while (now_ms() < deadline) {
      body = stack.api("GET", "/v1/messages/" + message_id).body;
      if (json_int(body, "pending") == 0) break;
      ::usleep(20000);
    }
    return body;
  }
  bool wait_gone(const std::string& path) {
    const std::uint64_t deadline = now_ms() + 10000;
    while (now_ms() < deadline) {
      if (stack.participant_with_path(path).empty()) return true;
      ::usleep(20000);
    }
    return false;
  }
};

TEST_F(SipLeave, ClientByeRemovesTheParticipantAndFailsItsInFlightMessage) {
  sipp_process sipp;
  // The client hangs up 4 s after the ACK: time to bind and to have a message in flight to it.
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-then-bye", {row("team", "alice")}, {"-d", "4000"}));
  const std::string path = answered_path(sipp, "alice");
  ASSERT_FALSE(path.empty()) << sipp.report();
  msrp_peer peer;
  peer.tag = "alice";
  peer.policy.respond_with = 0;  // never answers: the delivery stays in flight
  ASSERT_NO_FATAL_FAILURE(connect_to_path(peer, path));
  ASSERT_EQ(peer.bind_from(path, offered_path("alice")), 200);
  http_reply posted = post_system_message("are you there");
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string message_id = json_field(posted.body, "id");
  ASSERT_TRUE(peer.pump_until([&] { return !peer.sends.empty(); }, 10000));
  EXPECT_EQ(json_int(stack.api("GET", "/v1/messages/" + message_id).body, "pending"), 1);

  // BYE -> Kamailio answers 200 -> POST .../participants/{pid}:remove {"bye":false}.
  EXPECT_EQ(sipp.wait(20000), 0) << sipp.report() << stack.logs();
  EXPECT_TRUE(wait_gone(path)) << stack.participant_with_path(path);
  const std::string status = wait_settled(message_id);
  EXPECT_EQ(json_int(status, "failed"), 1) << status;
  EXPECT_NE(status.find(R"("address":"sip:alice@example.com")"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("reason":"participant_removed")"), std::string::npos) << status;
  // The client ended the dialog itself: no BYE was requested back.
  const std::string metrics = stack.api("GET", "/metrics").body;
  EXPECT_EQ(metrics.find("herald_sip_byes_total{result=\"sent\"} 1"), std::string::npos) << metrics;
}

TEST_F(SipLeave, MsrpConnectionEndingByesTheClient) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-wait-bye", {row("team", "bob")}));
  const std::string path = answered_path(sipp, "bob");
  ASSERT_FALSE(path.empty()) << sipp.report();
  {
    msrp_peer peer;
    peer.tag = "bob";
    ASSERT_NO_FATAL_FAILURE(connect_to_path(peer, path));
    ASSERT_EQ(peer.bind_from(path, offered_path("bob")), 200);
  }  // the MSRP connection closes
  ASSERT_TRUE(sipp.wait_log("GOT-BYE caller=bob ")) << sipp.report() << stack.logs();
  EXPECT_EQ(sipp.wait(20000), 0) << sipp.report();
  EXPECT_TRUE(wait_gone(path));
}

class SipDialogTimeout : public SipLeave {
  std::vector<std::string> kamailio_flags() const override { return {"--dialog-timeout", "2"}; }
};

TEST_F(SipDialogTimeout, ExpiredDialogRemovesTheParticipantAndByesTheClient) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-wait-bye", {row("team", "carol")}));
  const std::string path = answered_path(sipp, "carol");
  ASSERT_FALSE(path.empty()) << sipp.report();
  ASSERT_FALSE(stack.participant_with_path(path).empty());
  // Kamailio's dialog timer (2 s here) -> dialog:end -> :remove -> Herald's RPC -> BYE.
  ASSERT_TRUE(sipp.wait_log("GOT-BYE caller=carol ", 1, 30000)) << sipp.report() << stack.logs();
  EXPECT_EQ(sipp.wait(20000), 0) << sipp.report();
  EXPECT_TRUE(wait_gone(path));
}

}  // namespace
}  // namespace herald::sip_test
