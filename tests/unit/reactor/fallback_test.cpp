// Fallback paths forced on: single-shot accept and recv into a per-connection buffer, ring without
// SINGLE_ISSUER/DEFER_TASKRUN. The same behaviour must hold.
#include "test_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

shard_config fallback_config() {
  shard_config cfg;
  cfg.ring.allow_multishot_accept = false;
  cfg.ring.allow_multishot_recv = false;
  cfg.ring.allow_buffer_ring = false;
  cfg.ring.try_single_issuer = false;
  return cfg;
}

TEST(Fallback, SingleShotAcceptAndRecvEchoManyConnections) {
  recording_handler h;
  h.echo = true;
  shard s(fallback_config(), &h);
  ASSERT_EQ(s.init(), 0);
  EXPECT_FALSE(s.features().multishot_recv);
  EXPECT_FALSE(s.features().single_issuer);
  const int port = s.listen("127.0.0.1", 0);
  ASSERT_GT(port, 0);
  std::vector<int> clients;
  for (int i = 0; i < 16; ++i) clients.push_back(net::connect_tcp("127.0.0.1", std::uint16_t(port)));
  ASSERT_TRUE(pump(s, [&] { return h.opened.size() == 16; }));
  for (int i = 0; i < 16; ++i) ASSERT_EQ(write(clients[i], "0123456789", 10), 10);
  std::vector<std::string> got(16);
  ASSERT_TRUE(pump(s, [&] {
    bool all = true;
    for (int i = 0; i < 16; ++i) {
      read_available(clients[i], got[i]);
      all = all && got[i].size() == 10;
    }
    return all;
  }));
  for (auto& g : got) EXPECT_EQ(g, "0123456789");
  for (int fd : clients) close(fd);
  ASSERT_TRUE(pump(s, [&] { return h.closed.size() == 16; }));
}

TEST(Fallback, SingleShotRecvKeepsLeftoversAcrossReads) {
  recording_handler h;
  std::string got;
  h.data_hook = [&](shard&, connection_ref, std::string_view b) {
    const std::size_t used = b.size() / 3 * 3;
    got.append(b.substr(0, used));
    return used;
  };
  shard s(fallback_config(), &h);
  ASSERT_EQ(s.init(), 0);
  const int port = s.listen("127.0.0.1", 0);
  const int fd = net::connect_tcp("127.0.0.1", std::uint16_t(port));
  ASSERT_TRUE(pump(s, [&] { return h.opened.size() == 1; }));
  for (const char* p : {"ab", "cde", "fghi"}) {
    ASSERT_EQ(write(fd, p, strlen(p)), ssize_t(strlen(p)));
    pump_for(s, 10);
  }
  EXPECT_EQ(got, "abcdefghi");
  close(fd);
}

TEST(Fallback, TinyBufferRingSurvivesEnobufs) {
  // Two 64-byte provided buffers for 8 busy connections: the ring runs dry and recv must re-arm.
  shard_config cfg;
  cfg.recv_buffer_count = 2;
  cfg.recv_buffer_bytes = 64;
  recording_handler h;
  std::size_t total = 0;
  h.data_hook = [&](shard&, connection_ref, std::string_view b) {
    total += b.size();
    return b.size();
  };
  shard s(cfg, &h);
  ASSERT_EQ(s.init(), 0);
  if (!s.features().multishot_recv) GTEST_SKIP() << "skipped: no multishot recv, ENOBUFS path not reachable";
  const int port = s.listen("127.0.0.1", 0);
  std::vector<int> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(net::connect_tcp("127.0.0.1", std::uint16_t(port)));
  ASSERT_TRUE(pump(s, [&] { return h.opened.size() == 8; }));
  const std::string chunk(1000, 'q');
  for (int round = 0; round < 5; ++round)
    for (int fd : clients) ASSERT_EQ(write(fd, chunk.data(), chunk.size()), ssize_t(chunk.size()));
  ASSERT_TRUE(pump(
      s, [&] { return total == 8u * 5 * 1000; }, 10000));
  EXPECT_GT(s.stats().recv_enobufs, 0u);
  for (int fd : clients) close(fd);
}

}  // namespace
}  // namespace herald::reactor
