// INVITEs Kamailio refuses on Herald's word: no such conference (404), an offer Herald cannot answer
// (422 sdp_not_acceptable -> 488), the same caller joining twice (409 -> 486). Nothing is registered.
#include <gtest/gtest.h>

#include "sip_fixture.hpp"

namespace herald::sip_test {
namespace {

class SipRefusals : public SipTest {};

TEST_F(SipRefusals, UnknownConferenceIs404) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "refused-404", {row("nosuchroom", "alice")}));
  EXPECT_EQ(sipp.wait(30000), 0) << sipp.report() << stack.logs();
  EXPECT_TRUE(sipp.wait_log("REFUSED caller=alice ", 1, 0)) << sipp.report();
  EXPECT_EQ(stack.participant_count(), 0);
}

TEST_F(SipRefusals, OfferWithoutMsrpIs488) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "refused-488", {row("team", "bob")}));
  EXPECT_EQ(sipp.wait(30000), 0) << sipp.report() << stack.logs();
  EXPECT_TRUE(sipp.wait_log("REFUSED caller=bob ", 1, 0)) << sipp.report();
  EXPECT_EQ(stack.participant_count(), 0);
}

TEST_F(SipRefusals, SecondJoinOfTheSameCallerIs486) {
  sipp_process first;
  ASSERT_TRUE(first.start(stack.sip_port, "join-wait-bye", {row("team", "carol")}));
  ASSERT_FALSE(answered_path(first, "carol").empty()) << first.report();
  sipp_process again;
  ASSERT_TRUE(again.start(stack.sip_port, "refused-486", {row("team", "carol")}));
  EXPECT_EQ(again.wait(30000), 0) << again.report() << stack.logs();
  EXPECT_EQ(stack.participant_count(), 1);
  first.kill();
}

}  // namespace
}  // namespace herald::sip_test
