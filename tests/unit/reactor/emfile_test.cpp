// Accept under EMFILE: the shard keeps serving, logs once, and accepts the waiting peer after a retry.
#include <sys/resource.h>

#include "test_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

TEST(AcceptEmfile, PendingPeerIsAcceptedOnceDescriptorsFreeUp) {
  shard_config cfg;
  cfg.accept_retry_ns = 20'000'000;
  recording_handler h;
  shard s(cfg, &h);
  ASSERT_EQ(s.init(), 0);
  const int port = s.listen("127.0.0.1", 0);
  ASSERT_GT(port, 0);
  // The handshake completes in the backlog before accept, so the client exists before we run out.
  const int client = net::connect_tcp("127.0.0.1", std::uint16_t(port));
  ASSERT_GE(client, 0);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = 256;  // a few hundred dups reach EMFILE instead of the 20,000 process cap
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> hogs;
  for (;;) {
    const int fd = dup(0);
    if (fd < 0) break;
    hogs.push_back(fd);
    if (hogs.size() > 30000) break;
  }
  ASSERT_EQ(errno, EMFILE);
  ASSERT_TRUE(pump(
      s, [&] { return s.stats().accept_fd_exhausted > 0; }, 3000));
  EXPECT_TRUE(h.opened.empty());
  pump_for(s, 60);  // retries keep failing without spinning or dying
  const std::uint64_t iterations = s.stats().loop_iterations;
  EXPECT_LT(iterations, 2000u);
  for (int fd : hogs) close(fd);
  setrlimit(RLIMIT_NOFILE, &old);
  ASSERT_TRUE(pump(
      s, [&] { return h.opened.size() == 1; }, 3000));
  ASSERT_EQ(write(client, "x", 1), 1);
  ASSERT_TRUE(pump(s, [&] { return s.stats().bytes_received == 1; }));
  close(client);
}

}  // namespace
}  // namespace herald::reactor
