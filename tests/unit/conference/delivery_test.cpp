// Delivery records: exactly-once outcomes, counters, completion and retention.
#include "herald/conference/delivery.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace herald::conference {
namespace {

std::vector<std::string> addresses(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("sip:" + std::to_string(i) + "@x");
  return out;
}

TEST(Delivery, FirstOutcomeWins) {
  message_record m("m1", addresses(2), 1);
  EXPECT_TRUE(m.mark_delivered(0));
  EXPECT_FALSE(m.mark_failed(0, failure_reason::timeout, 408));
  EXPECT_EQ(m.state(0), delivery_state::delivered);
  EXPECT_TRUE(m.mark_failed(1, failure_reason::error_response, 486));
  EXPECT_FALSE(m.mark_delivered(1));
  EXPECT_EQ(m.reason(1), failure_reason::error_response);
  EXPECT_EQ(m.status(1), 486);
  EXPECT_EQ(m.delivered(), 1u);
  EXPECT_EQ(m.failed(), 1u);
  EXPECT_TRUE(m.complete());
  EXPECT_NE(m.completed_ns(), 0u);
}

TEST(Delivery, CompletedRecordReleasesTheRosterAndKeepsFailedAddresses) {
  auto shared = std::make_shared<const roster>(roster{addresses(8), {}});
  std::weak_ptr<const roster> watch = shared;
  message_record m("m1", shared, recipient_set{false, recipient_set::none, {4, 2, 0}}, 1);
  shared.reset();
  EXPECT_EQ(m.address(0), "sip:4@x");  // recipient 0 is roster entry 4
  EXPECT_TRUE(m.mark_failed(0, failure_reason::timeout, 408));
  EXPECT_TRUE(m.mark_delivered(1));
  EXPECT_FALSE(watch.expired());  // still pending: the roster stays
  EXPECT_TRUE(m.mark_delivered(2));
  ASSERT_TRUE(m.complete());
  EXPECT_TRUE(watch.expired());  // 1 failure in a roster of 8: its address is copied instead
  EXPECT_EQ(m.recipients(), 3u);
  EXPECT_EQ(m.address(0), "sip:4@x");
  EXPECT_EQ(m.address(2), "");  // delivered: no longer kept
  EXPECT_EQ(m.reason(0), failure_reason::timeout);
}

TEST(Delivery, MassFailureKeepsTheSharedRosterRatherThanCopyingEveryAddress) {
  auto shared = std::make_shared<const roster>(roster{addresses(8), {}});
  std::weak_ptr<const roster> watch = shared;
  message_record m("m1", shared, recipient_set{}, 1);
  shared.reset();
  for (std::size_t i = 0; i < 8; ++i) {
    if (i < 2)
      EXPECT_TRUE(m.mark_delivered(i));
    else
      EXPECT_TRUE(m.mark_failed(i, failure_reason::slow_consumer, 0));
  }
  ASSERT_TRUE(m.complete());
  EXPECT_FALSE(watch.expired());  // 6 of 8 failed: copies would cost more than the roster
  EXPECT_EQ(m.address(7), "sip:7@x");
  EXPECT_EQ(m.reason(7), failure_reason::slow_consumer);
}

TEST(Delivery, ClaimsSettleStatesAtOnceAndCountsWhenAdded) {
  message_record m("m1", addresses(3), 1);
  EXPECT_TRUE(m.claim(0, delivery_state::delivered, failure_reason::none, 200));
  EXPECT_TRUE(m.claim(1, delivery_state::delivered, failure_reason::none, 200));
  EXPECT_TRUE(m.claim(2, delivery_state::failed, failure_reason::timeout, 408));
  EXPECT_FALSE(m.claim(2, delivery_state::delivered, failure_reason::none, 200));  // first outcome wins
  EXPECT_FALSE(m.mark_failed(0, failure_reason::disconnected, 0));
  EXPECT_EQ(m.state(2), delivery_state::failed);
  EXPECT_EQ(m.status(2), 408);
  EXPECT_EQ(m.delivered(), 0u);  // counted only when the shard adds its batch
  EXPECT_EQ(m.pending(), 3u);
  EXPECT_FALSE(m.complete());
  m.add_settled(1, 0, 0);
  EXPECT_FALSE(m.complete());
  m.add_settled(1, 0, 1);
  EXPECT_EQ(m.delivered(), 2u);
  EXPECT_EQ(m.failed(), 1u);
  ASSERT_TRUE(m.complete());
  EXPECT_NE(m.completed_ns(), 0u);
  EXPECT_EQ(m.address(2), "sip:2@x");
}

TEST(Delivery, OutOfRangeRecipientIsIgnored) {
  message_record m("m1", addresses(1), 1);
  EXPECT_FALSE(m.mark_delivered(5));
  EXPECT_EQ(m.pending(), 1u);
}

TEST(Delivery, ConcurrentSettlersCountEachRecipientOnce) {
  constexpr std::size_t n = 20000;
  message_record m("m1", addresses(n), 1);
  std::thread a([&] {
    for (std::size_t i = 0; i < n; ++i) m.mark_delivered(i);
  });
  std::thread b([&] {
    for (std::size_t i = 0; i < n; ++i) m.mark_failed(i, failure_reason::timeout, 408);
  });
  a.join();
  b.join();
  EXPECT_EQ(m.delivered() + m.failed(), n);
  EXPECT_TRUE(m.complete());
  EXPECT_NE(m.completed_ns(), 0u);
}

TEST(Delivery, EmptyMessageIsCompleteAtOnce) {
  message_record m("m1", {}, 5);
  EXPECT_TRUE(m.complete());
  EXPECT_EQ(m.completed_ns(), 5u);
}

TEST(Delivery, TrackerExpiresAfterRetention) {
  delivery_tracker t(100);
  t.add(std::make_shared<message_record>("old", addresses(1), 0));
  t.add(std::make_shared<message_record>("new", addresses(1), 150));
  EXPECT_EQ(t.expire(120), 1u);  // "new" is 30 ns old at 120 ns
  EXPECT_EQ(t.expire(200), 0u);
  EXPECT_EQ(t.find("old"), nullptr);
  EXPECT_NE(t.find("new"), nullptr);
}

TEST(Delivery, ReasonsHaveStableNames) {
  EXPECT_EQ(to_string(failure_reason::slow_consumer), "slow_consumer");
  EXPECT_EQ(to_string(failure_reason::conference_deleted), "conference_deleted");
  EXPECT_EQ(to_string(failure_reason::timeout), "timeout");
}

}  // namespace
}  // namespace herald::conference
