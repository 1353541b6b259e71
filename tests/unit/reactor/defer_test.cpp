// defer(): work split across loop iterations runs after each iteration's completions, never blocks the
// loop's wait, and submit_sends() hands queued frames to the kernel before the iteration ends.
#include "test_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

struct defer_fixture : ::testing::Test {
  recording_handler h;
  std::unique_ptr<shard> s;
  std::uint16_t port = 0;

  void SetUp() override {
    s = std::make_unique<shard>(shard_config{}, &h);
    ASSERT_EQ(s->init(), 0);
    const int p = s->listen("127.0.0.1", 0);
    ASSERT_GT(p, 0);
    port = std::uint16_t(p);
  }
  std::pair<int, connection_ref> accept_one() { return accept_client(*s, h, port); }
};

using Defer = defer_fixture;

TEST_F(Defer, RunsAfterTheCompletionsOfTheSendsSubmittedBeforeIt) {
  const auto [fd, c] = accept_one();
  auto body = shared_buffer::copy_of("hello");
  ASSERT_EQ(s->send(c, frame_of(body, 7)), send_error::ok);
  s->submit_sends();  // in the kernel now, not at the end of an iteration
  EXPECT_EQ(s->stats().sends_submitted, 1u);
  std::size_t written_when_run = SIZE_MAX;
  s->defer([&] { written_when_run = h.written.size(); });
  ASSERT_TRUE(pump(
      *s, [&] { return written_when_run != SIZE_MAX; }, 2000));
  EXPECT_EQ(written_when_run, 1u);
  std::string got;
  ASSERT_TRUE(read_available(fd, got));
  EXPECT_EQ(got, "hello");
  close(fd);
}

TEST_F(Defer, ATaskDeferredByADeferredTaskWaitsForTheNextIteration) {
  std::vector<int> order;
  s->defer([&] {
    order.push_back(1);
    s->defer([&] { order.push_back(2); });
  });
  s->run_once(0);
  EXPECT_EQ(order, (std::vector<int>{1}));
  s->run_once(0);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST_F(Defer, LoopDoesNotSleepWhileTasksAreDeferred) {
  bool ran = false;
  s->defer([&] { ran = true; });
  const std::uint64_t start = monotonic_ns();
  s->run_once(5'000'000'000ULL);  // would wait 5 s for a completion if the deferred task did not count
  EXPECT_TRUE(ran);
  EXPECT_LT(monotonic_ns() - start, 1'000'000'000ULL);
}

TEST_F(Defer, SubmitSendsWithNothingQueuedSubmitsNothing) {
  s->submit_sends();
  EXPECT_EQ(s->stats().sends_submitted, 0u);
}

}  // namespace
}  // namespace herald::reactor
