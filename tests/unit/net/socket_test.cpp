// Socket helpers: ephemeral loopback listeners, SO_REUSEPORT sharing, blocking connect, host:port parsing.
#include "herald/net/socket.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace herald::net {

TEST(Socket, ListenOnPortZeroReportsBoundPort) {
  const int fd = listen_tcp("127.0.0.1", 0, false);
  ASSERT_GE(fd, 0);
  EXPECT_GT(local_port(fd), 0);
  close(fd);
}

TEST(Socket, ReuseportLetsTwoListenersShareAPort) {
  const int a = listen_tcp("127.0.0.1", 0, true);
  ASSERT_GE(a, 0);
  const int port = local_port(a);
  const int b = listen_tcp("127.0.0.1", std::uint16_t(port), true);
  EXPECT_GE(b, 0);
  EXPECT_EQ(local_port(b), port);
  close(a);
  if (b >= 0) close(b);
}

TEST(Socket, SecondListenerWithoutReuseportGetsAddrInUse) {
  const int a = listen_tcp("127.0.0.1", 0, false);
  ASSERT_GE(a, 0);
  EXPECT_EQ(listen_tcp("127.0.0.1", std::uint16_t(local_port(a)), false), -EADDRINUSE);
  close(a);
}

TEST(Socket, ConnectReachesListener) {
  const int l = listen_tcp("127.0.0.1", 0, false);
  ASSERT_GE(l, 0);
  const int c = connect_tcp("127.0.0.1", std::uint16_t(local_port(l)));
  ASSERT_GE(c, 0);
  ASSERT_EQ(write(c, "x", 1), 1);
  close(c);
  close(l);
}

TEST(Socket, ConnectToClosedPortIsRefused) {
  const int l = listen_tcp("127.0.0.1", 0, false);
  ASSERT_GE(l, 0);
  const auto port = std::uint16_t(local_port(l));
  close(l);
  EXPECT_EQ(connect_tcp("127.0.0.1", port), -ECONNREFUSED);
}

TEST(Socket, NonLiteralHostIsInvalid) {
  EXPECT_EQ(listen_tcp("example.invalid", 0, false), -EINVAL);
  EXPECT_EQ(connect_tcp("example.invalid", 1), -EINVAL);
}

TEST(HostPort, ParsesValidForms) {
  struct row {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  const row rows[] = {
      {"127.0.0.1:2855", "127.0.0.1", 2855},
      {"localhost:0", "localhost", 0},
      {"[::1]:65535", "::1", 65535},
      {"example.com:80", "example.com", 80},
  };
  for (const row& r : rows) {
    auto res = parse_host_port(r.text);
    ASSERT_TRUE(res.ok()) << r.text;
    EXPECT_EQ(res->host, r.host) << r.text;
    EXPECT_EQ(res->port, r.port) << r.text;
  }
}

TEST(HostPort, RejectsMalformedForms) {
  struct row {
    const char* text;
    address_error err;
  };
  const row rows[] = {
      {"127.0.0.1", address_error::missing_port},
      {":80", address_error::empty_host},
      {"h:", address_error::bad_port},
      {"h:65536", address_error::bad_port},
      {"h:8a", address_error::bad_port},
      {"[::1]80", address_error::missing_port},
      {"h:123456", address_error::bad_port},
      {"[::1", address_error::empty_host},
  };
  for (const row& r : rows) {
    auto res = parse_host_port(r.text);
    EXPECT_EQ(res.error(), r.err) << r.text;
  }
}

}  // namespace herald::net
