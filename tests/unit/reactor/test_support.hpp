// Shared test scaffolding: a recording handler, a loop pump with a deadline, and loopback clients.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "herald/core/clock.hpp"
#include "herald/net/socket.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::reactor::testing {

struct closed_event {
  connection_ref ref;
  close_reason why;
  std::vector<std::uint64_t> unsent;
};

// Records every event; by default consumes all input. Tests override consume/echo via the hooks.
struct recording_handler : connection_handler {
  std::vector<connection_ref> opened;
  std::vector<closed_event> closed;
  std::vector<std::uint64_t> written;
  std::string received;
  bool echo = false;
  std::function<std::size_t(shard&, connection_ref, std::string_view)> data_hook;
  std::vector<std::string> echo_storage;

  void on_open(shard&, connection_ref c) override { opened.push_back(c); }
  std::size_t on_data(shard& s, connection_ref c, std::string_view bytes) override {
    if (data_hook) return data_hook(s, c, bytes);
    received.append(bytes);
    if (echo) {
      auto body = shared_buffer::copy_of(bytes);
      frame f;
      f.add(body.view());
      f.body = std::move(body);
      EXPECT_EQ(s.send(c, std::move(f)), send_error::ok);
    }
    return bytes.size();
  }
  void on_frames_written(shard&, connection_ref, std::span<const std::uint64_t> tokens) override {
    written.insert(written.end(), tokens.begin(), tokens.end());
  }
  void on_closed(shard&, connection_ref c, close_reason why, std::span<const std::uint64_t> unsent) override {
    closed.push_back({c, why, {unsent.begin(), unsent.end()}});
  }
};

// Runs the loop on this thread until pred() holds or timeout_ms passes.
inline bool pump(shard& s, const std::function<bool()>& pred, int timeout_ms = 5000) {
  const std::uint64_t deadline = monotonic_ns() + std::uint64_t(timeout_ms) * 1'000'000ULL;
  while (!pred()) {
    if (monotonic_ns() > deadline) return false;
    s.run_once(1'000'000);
  }
  return true;
}

// A loopback client of the shard's listener on port (SO_RCVBUF set before connecting when rcvbuf > 0),
// and the shard's ref for it once the loop has accepted it.
// A blocking loopback client socket connected to port (SO_RCVBUF set first when rcvbuf > 0).
inline int connect_loopback(std::uint16_t port, int rcvbuf = 0) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

inline std::pair<int, connection_ref> accept_client(shard& s, recording_handler& h, std::uint16_t port,
                                                    int rcvbuf = 0) {
  const int fd = connect_loopback(port, rcvbuf);
  const std::size_t before = h.opened.size();
  EXPECT_TRUE(pump(s, [&] { return h.opened.size() > before; }));
  return {fd, h.opened.back()};
}

// Runs the loop for a fixed time, to show that nothing more happens.
inline void pump_for(shard& s, int ms) {
  const std::uint64_t deadline = monotonic_ns() + std::uint64_t(ms) * 1'000'000ULL;
  while (monotonic_ns() < deadline) s.run_once(1'000'000);
}

// Reads whatever is available without blocking; returns false on EOF/error.
inline bool read_available(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, std::size_t(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

inline std::string pattern(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& ch : s) {
    x = x * 1103515245u + 12345u;
    ch = char('a' + (x >> 16) % 26);
  }
  return s;
}

inline frame frame_of(const shared_buffer& body, std::uint64_t token) {
  frame f;
  f.add(body.view());
  f.body = body;
  f.token = token;
  return f;
}

}  // namespace herald::reactor::testing
