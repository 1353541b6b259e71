// Cross-shard posting: tasks run on the target shard's thread; shard_group starts, serves and joins.
#include <atomic>
#include <mutex>
#include <thread>

#include "herald/reactor/shard_group.hpp"
#include "test_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

TEST(Mailbox, DrainRunsEveryTaskPostedFromManyThreadsExactlyOnce) {
  mailbox m;
  ASSERT_TRUE(m.valid());
  std::atomic<int> sum{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&] {
      for (int i = 1; i <= 1000; ++i) m.post([&sum, i] { sum += i; });
    });
  }
  std::size_t ran = 0;
  const std::uint64_t deadline = monotonic_ns() + 10'000'000'000ULL;
  while (ran < 4000 && monotonic_ns() < deadline) ran += m.drain();
  for (auto& p : producers) p.join();
  ran += m.drain();
  EXPECT_EQ(ran, 4000u);
  EXPECT_EQ(sum.load(), 4 * 500500);
}

TEST(Mailbox, TaskWithLargeCaptureRuns) {
  mailbox m;
  std::array<char, 200> big{};
  big[199] = 'z';
  char seen = 0;
  m.post([big, &seen] { seen = big[199]; });
  EXPECT_EQ(m.drain(), 1u);
  EXPECT_EQ(seen, 'z');
}

TEST(Mailbox, UnrunTasksAreDestroyedWithTheMailbox) {
  auto token = std::make_shared<int>(1);
  {
    mailbox m;
    m.post([token] {});
    EXPECT_EQ(token.use_count(), 2);
  }
  EXPECT_EQ(token.use_count(), 1);
}

TEST(ShardPost, TaskFromAnotherThreadRunsOnTheShardThread) {
  shard s(shard_config{});
  std::atomic<std::thread::id> loop_thread{};
  std::atomic<std::thread::id> task_thread{};
  std::atomic<shard*> task_shard{nullptr};
  std::thread loop([&] {
    ASSERT_EQ(s.init(), 0);
    loop_thread = std::this_thread::get_id();
    s.run();
  });
  std::thread poster([&] {
    s.post([&] {
      task_thread = std::this_thread::get_id();
      task_shard = shard::current();
    });
  });
  poster.join();
  const std::uint64_t deadline = monotonic_ns() + 5'000'000'000ULL;
  while (task_shard.load() == nullptr && monotonic_ns() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  s.stop();
  loop.join();
  EXPECT_EQ(task_shard.load(), &s);
  EXPECT_EQ(task_thread.load(), loop_thread.load());
  EXPECT_NE(task_thread.load(), std::this_thread::get_id());
  EXPECT_TRUE(s.stopped());
}

struct counting_handler : recording_handler {
  std::mutex* mu;
  std::vector<std::uint16_t>* shards_seen;
  void on_open(shard& s, connection_ref c) override {
    std::lock_guard<std::mutex> lock(*mu);
    shards_seen->push_back(c.shard);
    EXPECT_EQ(c.shard, s.id());
    EXPECT_EQ(shard::current(), &s);
  }
};

TEST(ShardGroup, StartsServesOnEveryShardAndJoinsOnStop) {
  std::mutex mu;
  std::vector<std::uint16_t> seen;
  std::vector<std::unique_ptr<counting_handler>> handlers;
  std::mutex handlers_mu;
  {
    shard_group g;
    ASSERT_EQ(g.start(2, shard_config{},
                      [&](shard&) {
                        std::lock_guard<std::mutex> lock(handlers_mu);
                        handlers.push_back(std::make_unique<counting_handler>());
                        handlers.back()->mu = &mu;
                        handlers.back()->shards_seen = &seen;
                        handlers.back()->echo = true;
                        return handlers.back().get();
                      }),
              0);
    const int port = g.listen("127.0.0.1", 0);
    ASSERT_GT(port, 0);
    // Posting to each shard shows both loops are live and run tasks on their own shard.
    std::atomic<int> ran{0};
    for (std::uint16_t i = 0; i < 2; ++i) {
      g.post(i, [&ran, i] {
        if (shard::current() && shard::current()->id() == i) ++ran;
      });
    }
    std::vector<int> clients;
    for (int i = 0; i < 32; ++i) {
      const int fd = net::connect_tcp("127.0.0.1", std::uint16_t(port));
      ASSERT_GE(fd, 0);
      clients.push_back(fd);
    }
    for (int fd : clients) {
      ASSERT_EQ(write(fd, "e", 1), 1);
      char c = 0;
      timeval tv{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ASSERT_EQ(read(fd, &c, 1), 1);
      EXPECT_EQ(c, 'e');
    }
    const std::uint64_t deadline = monotonic_ns() + 5'000'000'000ULL;
    while (ran.load() < 2 && monotonic_ns() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(ran.load(), 2);
    g.stop();  // connections are still open: stop must close them and return
    EXPECT_EQ(g.size(), 0u);
    for (int fd : clients) close(fd);
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen.size(), 32u);
  std::size_t closed = 0;
  for (auto& h : handlers) {
    closed += h->closed.size();
    for (auto& e : h->closed) EXPECT_EQ(e.why, close_reason::shard_stopping);
  }
  EXPECT_EQ(closed, 32u);
}

TEST(ShardGroup, StopWithoutWorkJoinsPromptly) {
  shard_group g;
  ASSERT_EQ(g.start(2, shard_config{}, nullptr), 0);
  const std::uint64_t start = monotonic_ns();
  g.stop();
  EXPECT_LT(monotonic_ns() - start, 2'000'000'000ULL);
}

}  // namespace
}  // namespace herald::reactor
