// Close semantics: exactly one on_closed per connection, with the reason and the unsent tokens.
#include "test_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

struct close_fixture : ::testing::Test {
  recording_handler h;
  shard s{shard_config{}, &h};
  std::uint16_t port = 0;
  void SetUp() override {
    ASSERT_EQ(s.init(), 0);
    const int p = s.listen("127.0.0.1", 0);
    ASSERT_GT(p, 0);
    port = std::uint16_t(p);
  }
  std::pair<int, connection_ref> accept_one() { return accept_client(s, h, port); }
};

using Close = close_fixture;

TEST_F(Close, PeerResetProducesExactlyOneOnClosed) {
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
  ASSERT_TRUE(pump(s, [&] { return !h.closed.empty(); }));
  pump_for(s, 30);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].ref, c);
  EXPECT_EQ(h.closed[0].why, close_reason::peer_reset);
  EXPECT_FALSE(s.is_open(c));
}

TEST_F(Close, HalfClosedPeerStillGetsQueuedRepliesThenOneOnClosed) {
  h.echo = true;
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  ASSERT_EQ(write(fd, "ping\n", 5), 5);
  shutdown(fd, SHUT_WR);
  std::string got;
  bool eof = false;
  ASSERT_TRUE(pump(s, [&] {
    eof = !read_available(fd, got);
    return eof;
  }));
  EXPECT_EQ(got, "ping\n");
  pump_for(s, 30);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].ref, c);
  EXPECT_EQ(h.closed[0].why, close_reason::peer_eof);
  EXPECT_TRUE(h.closed[0].unsent.empty());
  close(fd);
}

TEST_F(Close, LocalCloseReportsEveryQueuedTokenUnsent) {
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  auto body = shared_buffer::copy_of("payload");
  for (std::uint64_t t = 1; t <= 5; ++t) ASSERT_EQ(s.send(c, frame_of(body, t)), send_error::ok);
  EXPECT_TRUE(s.close(c, close_reason::timeout));
  EXPECT_FALSE(s.close(c));  // already closing: no second report
  ASSERT_TRUE(pump(s, [&] { return !h.closed.empty(); }));
  pump_for(s, 20);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].why, close_reason::timeout);
  EXPECT_EQ(h.closed[0].unsent, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(h.written.empty());
  EXPECT_EQ(body.use_count(), 1u);
  std::string got;
  ASSERT_TRUE(pump(s, [&] { return !read_available(fd, got); }));
  EXPECT_TRUE(got.empty());
  close(fd);
}

TEST_F(Close, StaleRefIsRejectedAfterSlotReuse) {
  const auto c1_pair = accept_one();
  const int fd1 = c1_pair.first;
  const connection_ref c1 = c1_pair.second;
  ASSERT_TRUE(s.close(c1));
  ASSERT_TRUE(pump(s, [&] { return h.closed.size() == 1; }));
  const auto c2_pair = accept_one();
  const int fd2 = c2_pair.first;
  const connection_ref c2 = c2_pair.second;
  EXPECT_EQ(c2.index, c1.index);            // the slot is reused...
  EXPECT_NE(c2.generation, c1.generation);  // ...under a new generation
  auto body = shared_buffer::copy_of("x");
  EXPECT_EQ(s.send(c1, frame_of(body, 1)), send_error::stale_connection);
  EXPECT_FALSE(s.close(c1));
  EXPECT_EQ(s.header_alloc(c1, 10), nullptr);
  EXPECT_TRUE(s.is_open(c2));
  close(fd1);
  close(fd2);
}

TEST_F(Close, UserPointerFollowsTheConnectionAndDiesWithIt) {
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  int session = 0;
  s.set_user(c, &session);
  EXPECT_EQ(s.user(c), &session);
  s.close(c);
  ASSERT_TRUE(pump(s, [&] { return h.closed.size() == 1; }));
  EXPECT_EQ(s.user(c), nullptr);
  close(fd);
}

TEST_F(Close, OutgoingConnectOpensAndCarriesData) {
  auto r = s.connect("127.0.0.1", port);
  ASSERT_TRUE(r.ok());
  // Both ends live on this shard: the client side and the accepted side.
  ASSERT_TRUE(pump(s, [&] { return h.opened.size() == 2; }));
  std::string received;
  h.data_hook = [&](shard&, connection_ref, std::string_view b) {
    received.append(b);
    return b.size();
  };
  auto body = shared_buffer::copy_of("over-connect");
  ASSERT_EQ(s.send(*r, frame_of(body, 7)), send_error::ok);
  ASSERT_TRUE(pump(s, [&] { return received == "over-connect"; }));
  s.close(*r);
  ASSERT_TRUE(pump(s, [&] { return h.closed.size() == 2; }));
}

TEST_F(Close, ConnectToClosedPortReportsConnectFailed) {
  const int l = net::listen_tcp("127.0.0.1", 0, false);
  const auto dead_port = std::uint16_t(net::local_port(l));
  close(l);
  auto r = s.connect("127.0.0.1", dead_port);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(pump(s, [&] { return h.closed.size() == 1; }));
  EXPECT_EQ(h.closed[0].why, close_reason::connect_failed);
  EXPECT_EQ(h.closed[0].ref, *r);
  EXPECT_TRUE(h.opened.empty());
}

TEST_F(Close, ConnectToBadAddressFailsSynchronously) {
  auto r = s.connect("not-an-address", 1);
  EXPECT_EQ(r.error(), open_error::bad_address);
}

TEST_F(Close, AdoptedSocketIsServedLikeAnAcceptedOne) {
  h.echo = true;
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto r = s.adopt(sv[0]);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(h.opened.size(), 1u);
  ASSERT_EQ(write(sv[1], "abc", 3), 3);
  std::string got;
  ASSERT_TRUE(pump(s, [&] {
    read_available(sv[1], got);
    return got == "abc";
  }));
  close(sv[1]);
  ASSERT_TRUE(pump(s, [&] { return h.closed.size() == 1; }));
  EXPECT_EQ(h.closed[0].why, close_reason::peer_eof);
}

}  // namespace
}  // namespace herald::reactor
