// Unit tests for herald-load's churn accounting rules (membership.hpp) and its address parsing.
#include "membership.hpp"

#include <gtest/gtest.h>

#include "plan.hpp"

namespace herald::load {
namespace {

// A participant registered at 10-20, bound at 30, still a member; times in arbitrary ns.
member_times stayed() {
  return member_times{10, 20, 30, 0, 0};
}
// The same participant removed: DELETE issued at 500, answered at 510.
member_times removed_at_500() {
  return member_times{10, 20, 30, 500, 510};
}
// A joiner: registration issued at 400, answered at 410, bound at 420.
member_times joined_at_400() {
  return member_times{400, 410, 420, 0, 0};
}

TEST(Membership, MessageBetweenBindAndRemovalMayAndMustReachIt) {
  send_window w{100, 110};
  EXPECT_TRUE(may_receive(removed_at_500(), w));
  EXPECT_TRUE(must_be_planned(removed_at_500(), w));
}

TEST(Membership, MessageSentAfterRemovalCompletedMustNotReachIt) {
  EXPECT_FALSE(may_receive(removed_at_500(), send_window{600, 610}));
}

TEST(Membership, MessageAcceptedBeforeRegistrationBeganMustNotReachIt) {
  EXPECT_FALSE(may_receive(joined_at_400(), send_window{300, 390}));
}

TEST(Membership, MessageOverlappingTheRegistrationMayReachItButNeedNot) {
  send_window w{395, 405};
  EXPECT_TRUE(may_receive(joined_at_400(), w));
  EXPECT_FALSE(must_be_planned(joined_at_400(), w));
}

TEST(Membership, MessageOverlappingTheRemovalMayReachItButNeedNot) {
  send_window w{495, 505};
  EXPECT_TRUE(may_receive(removed_at_500(), w));
  EXPECT_FALSE(must_be_planned(removed_at_500(), w));
}

TEST(Membership, UnansweredSendKeepsTheWindowOpen) {
  send_window w{300, UINT64_MAX};
  EXPECT_TRUE(may_receive(joined_at_400(), w));
  EXPECT_FALSE(must_be_planned(removed_at_500(), w));
}

TEST(Membership, NeverRegisteredMayReceiveNothing) {
  EXPECT_FALSE(may_receive(member_times{}, send_window{100, 110}));
}

TEST(Membership, RemovedFailureIsExplainedOnlyForARemovedParticipant) {
  send_window w{100, 110};
  EXPECT_TRUE(failure_explained(churn_failure::participant_removed, removed_at_500(), w));
  EXPECT_FALSE(failure_explained(churn_failure::participant_removed, stayed(), w));
}

TEST(Membership, NotConnectedIsExplainedOnlyBeforeTheBindWasSeen) {
  EXPECT_TRUE(failure_explained(churn_failure::not_connected, joined_at_400(), send_window{415, 418}));
  EXPECT_FALSE(failure_explained(churn_failure::not_connected, joined_at_400(), send_window{425, 430}));
}

TEST(Membership, OtherFailuresAreNeverExplained) {
  EXPECT_FALSE(failure_explained(churn_failure::other, removed_at_500(), send_window{495, 505}));
  EXPECT_FALSE(failure_explained(churn_failure::none, removed_at_500(), send_window{495, 505}));
}

TEST(Membership, FailureOutsideTheMembershipIsNotExplained) {
  EXPECT_FALSE(
      failure_explained(churn_failure::participant_removed, removed_at_500(), send_window{600, 610}));
}

TEST(Membership, ChatMissIsExplainedOnlyByARemovalBeforeTheLastDelivery) {
  EXPECT_TRUE(chat_miss_explained(removed_at_500(), 520));
  EXPECT_FALSE(chat_miss_explained(removed_at_500(), 480));
  EXPECT_FALSE(chat_miss_explained(stayed(), 520));
}

TEST(ParticipantOf, ParsesTheLoadAddresses) {
  std::uint64_t i = 0;
  ASSERT_TRUE(participant_of(address_of(12345), i));
  EXPECT_EQ(i, 12345u);
  ASSERT_TRUE(participant_of("sip:load0@example.com", i));
  EXPECT_EQ(i, 0u);
}

TEST(ParticipantOf, RejectsOtherAddresses) {
  std::uint64_t i = 0;
  for (const char* a : {"sip:load@example.com", "sip:load12@example.org", "sip:loadx1@example.com",
                        "sip:load1x@example.com", "sip:alice@example.com", "", "sip:load@example.com"})
    EXPECT_FALSE(participant_of(a, i)) << a;
}

}  // namespace
}  // namespace herald::load
