// Kamailio restarted while calls are up: Herald's MSRP sessions keep delivering (Kamailio is not in the
// media path), and the dialogs still work afterwards because the 200's Contact carries the conference and
// participant ids: the client's BYE reaches the new Kamailio and removes its participant, and Herald's
// BYE request (API DELETE) goes out through it.
#include <gtest/gtest.h>

#include "herald/cpim/parser.hpp"
#include "sip_fixture.hpp"

namespace herald::sip_test {
namespace {

class SipFrontEndRestart : public SipTest {};

TEST_F(SipFrontEndRestart, BoundSessionsKeepDeliveringAndDialogsOutliveTheRestart) {
  sipp_process waits;     // stays until Herald's BYE
  sipp_process hangs_up;  // hangs up on its own, after the restart
  ASSERT_TRUE(waits.start(stack.sip_port, "join-wait-bye", {row("team", "alice")}));
  ASSERT_TRUE(hangs_up.start(stack.sip_port, "join-then-bye", {row("team", "bob")}, {"-d", "6000"}));
  const std::string alice = answered_path(waits, "alice");
  const std::string bob = answered_path(hangs_up, "bob");
  ASSERT_FALSE(alice.empty()) << waits.report();
  ASSERT_FALSE(bob.empty()) << hangs_up.report();
  msrp_peer peer;
  peer.tag = "alice";
  ASSERT_NO_FATAL_FAILURE(connect_to_path(peer, alice));
  ASSERT_EQ(peer.bind_from(alice, offered_path("alice")), 200);
  ASSERT_EQ(post_system_message("before the restart").status, 202);
  ASSERT_TRUE(peer.pump_until([&] { return peer.sends.size() == 1; }, 10000));

  const std::uint64_t down = now_ms();
  EXPECT_EQ(stack.kamailio.stop(), 0) << stack.kamailio.log();
  // While it is down, and after it is back, the bound session delivers.
  ASSERT_EQ(post_system_message("while the front end is down").status, 202);
  ASSERT_TRUE(peer.pump_until([&] { return peer.sends.size() == 2; }, 10000));
  ASSERT_TRUE(stack.kamailio.start(stack.sip_port, stack.herald.control_port())) << stack.kamailio.log();
  ASSERT_LT(now_ms() - down, 5500u) << "restart too slow for bob's scenario to hang up after it";
  ASSERT_EQ(post_system_message("after the restart").status, 202);
  ASSERT_TRUE(peer.pump_until([&] { return peer.sends.size() == 3; }, 10000));
  for (const received_send& s : peer.sends) {
    cpim::message m;
    ASSERT_EQ(cpim::parse_final(s.body, m), cpim::parse_error::ok);
    EXPECT_EQ(m.find(cpim::header_kind::to)->addr.uri, "sip:alice@example.com");
  }

  // Bob's BYE reaches the new Kamailio, which knows nothing of the dialog but the Contact's ids.
  EXPECT_EQ(hangs_up.wait(20000), 0) << hangs_up.report() << stack.logs();
  const std::uint64_t deadline = now_ms() + 10000;
  while (!stack.participant_with_path(bob).empty() && now_ms() < deadline) ::usleep(20000);
  EXPECT_TRUE(stack.participant_with_path(bob).empty());

  // Herald's BYE for alice goes out through the new Kamailio.
  const std::string pid = json_field(stack.participant_with_path(alice), "id");
  ASSERT_EQ(stack.api("DELETE", "/v1/conferences/" + stack.conference_id + "/participants/" + pid).status,
            204);
  ASSERT_TRUE(waits.wait_log("GOT-BYE caller=alice ")) << waits.report() << stack.logs();
  EXPECT_EQ(waits.wait(20000), 0) << waits.report();
}

}  // namespace
}  // namespace herald::sip_test
