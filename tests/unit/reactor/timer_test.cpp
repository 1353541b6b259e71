// Timers: the heap orders and cancels; on a shard they fire from the loop in deadline order.
#include "test_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

TEST(TimerHeap, FiresInDeadlineOrderWithTiesInInsertionOrder) {
  timer_heap t;
  std::vector<int> order;
  t.add(30, [&] { order.push_back(3); });
  t.add(10, [&] { order.push_back(1); });
  t.add(20, [&] { order.push_back(2); });
  t.add(20, [&] { order.push_back(22); });
  EXPECT_EQ(t.run_expired(15), 1u);
  EXPECT_EQ(t.run_expired(100), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 22, 3}));
  EXPECT_EQ(t.pending(), 0u);
}

TEST(TimerHeap, CancelledTimerNeverFires) {
  timer_heap t;
  int fired = 0;
  const timer_id a = t.add(10, [&] { ++fired; });
  t.add(20, [&] { fired += 10; });
  EXPECT_TRUE(t.cancel(a));
  EXPECT_FALSE(t.cancel(a));
  EXPECT_EQ(t.next_deadline(), 20u);
  t.run_expired(100);
  EXPECT_EQ(fired, 10);
}

TEST(TimerHeap, StaleIdCannotCancelAReusedSlot) {
  timer_heap t;
  int fired = 0;
  const timer_id a = t.add(10, [] {});
  t.run_expired(10);
  const timer_id b = t.add(20, [&] { ++fired; });
  EXPECT_FALSE(t.cancel(a));
  EXPECT_FALSE(t.cancel(0));
  t.run_expired(20);
  EXPECT_EQ(fired, 1);
  EXPECT_NE(a, b);
}

TEST(TimerHeap, CallbackMayAddAndCancelTimers) {
  timer_heap t;
  std::vector<int> order;
  timer_id victim = t.add(50, [&] { order.push_back(99); });
  t.add(10, [&] {
    order.push_back(1);
    t.cancel(victim);
    t.add(15, [&] { order.push_back(2); });
  });
  t.run_expired(100);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(ShardTimers, FireInOrderFromTheLoopAndCancelWorks) {
  recording_handler h;
  shard s(shard_config{}, &h);
  ASSERT_EQ(s.init(), 0);
  std::vector<int> order;
  const std::uint64_t now = monotonic_ns();
  s.add_timer(now + 30'000'000, [&] { order.push_back(3); });
  s.add_timer(now + 10'000'000, [&] { order.push_back(1); });
  const timer_id c = s.add_timer(now + 20'000'000, [&] { order.push_back(2); });
  s.add_timer(now + 25'000'000, [&] { order.push_back(25); });
  EXPECT_TRUE(s.cancel_timer(c));
  ASSERT_TRUE(pump(
      s, [&] { return order.size() == 3; }, 2000));
  EXPECT_EQ(order, (std::vector<int>{1, 25, 3}));
  EXPECT_GE(monotonic_ns(), now + 30'000'000);
  EXPECT_EQ(s.stats().timers_fired, 3u);
}

TEST(ShardTimers, LoopSleepsUntilTheNextDeadlineNotTheMaxWait) {
  shard s(shard_config{});
  ASSERT_EQ(s.init(), 0);
  bool fired = false;
  const std::uint64_t start = monotonic_ns();
  s.add_timer(start + 20'000'000, [&] { fired = true; });
  s.run_once(5'000'000'000ULL);  // would sleep 5 s if the timer did not bound the wait
  if (!fired) s.run_once(0);
  EXPECT_TRUE(fired);
  EXPECT_LT(monotonic_ns() - start, 1'000'000'000ULL);
}

}  // namespace
}  // namespace herald::reactor
