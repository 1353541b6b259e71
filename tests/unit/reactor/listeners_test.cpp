// shard::close_listeners(): a draining shard refuses new connections but keeps serving the open ones.
#include "test_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

TEST(CloseListeners, NewConnectionsAreRefusedWhileOpenOnesKeepWorking) {
  recording_handler h;
  h.echo = true;
  shard s{shard_config{}, &h};
  ASSERT_EQ(s.init(), 0);
  const int p = s.listen("127.0.0.1", 0);
  ASSERT_GT(p, 0);
  const std::uint16_t port = std::uint16_t(p);
  const int open_fd = net::connect_tcp("127.0.0.1", port);
  ASSERT_GE(open_fd, 0);
  ASSERT_TRUE(pump(s, [&] { return h.opened.size() == 1; }));

  s.close_listeners();
  // The listening socket closes once its cancelled accept completes: poll until a connect is refused.
  int refused = 0;
  ASSERT_TRUE(pump(s, [&] {
    const int fd = net::connect_tcp("127.0.0.1", port);
    if (fd >= 0) {
      close(fd);
      return false;
    }
    refused = fd;
    return true;
  }));
  EXPECT_EQ(refused, -ECONNREFUSED);

  const std::string msg = "still here\n";
  ASSERT_EQ(write(open_fd, msg.data(), msg.size()), ssize_t(msg.size()));
  std::string got;
  ASSERT_TRUE(pump(s, [&] {
    read_available(open_fd, got);
    return got.size() >= msg.size();
  }));
  EXPECT_EQ(got, msg);
  close(open_fd);
  ASSERT_TRUE(pump(s, [&] { return h.closed.size() == 1; }));
}

}  // namespace
}  // namespace herald::reactor
