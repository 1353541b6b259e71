// TLS on the shard: on_open only after the handshake, frames of any size gathered into records and
// reported written in order (partial sends included), close_notify after the last record, and handshakes
// that fail or stall closed and counted without the handler ever seeing them.
#include <random>

#include "tls_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

struct tls_fixture : ::testing::Test {
  recording_handler h;
  shard_config cfg;
  std::unique_ptr<shard> s;
  std::uint16_t port = 0;
  std::shared_ptr<tls::context> client_ctx = load(true);

  void start(std::uint64_t handshake_timeout_ns = 10'000'000'000ULL) {
    s = std::make_unique<shard>(cfg, &h);
    ASSERT_EQ(s->init(), 0);
    auto endpoint = std::make_shared<tls_endpoint>();
    endpoint->contexts = std::make_shared<tls::context_source>(load(false));
    endpoint->handshake_timeout_ns = handshake_timeout_ns;
    const int p = s->listen("127.0.0.1", 0, 16, endpoint);
    ASSERT_GT(p, 0);
    port = std::uint16_t(p);
  }
  bool pump_with(tls_client& c, const std::function<bool()>& pred, int timeout_ms = 10000) {
    return pump(
        *s,
        [&] {
          c.step();
          return pred();
        },
        timeout_ms);
  }
};

using ShardTls = tls_fixture;

TEST_F(ShardTls, HandlerSeesTheConnectionOnlyOnceTheHandshakeIsDone) {
  start();
  tls_client c(*client_ctx, port);
  pump_for(*s, 50);
  // The ClientHello has been answered, but the client has not finished: nothing opened yet.
  EXPECT_TRUE(h.opened.empty());
  ASSERT_TRUE(pump_with(c, [&] { return !h.opened.empty(); }));
  EXPECT_TRUE(s->is_tls(h.opened[0]));
  EXPECT_NE(s->tls_description(h.opened[0]).find("TLSv1.3"), std::string::npos);
  h.echo = true;
  c.write("hello over tls");
  ASSERT_TRUE(pump_with(c, [&] { return c.plain == "hello over tls"; }));
  EXPECT_EQ(h.received, "hello over tls");
  EXPECT_EQ(s->stats().tls_handshakes, 1u);
  EXPECT_EQ(s->stats().tls_open, 1u);
}

TEST_F(ShardTls, FramesOfAnySizeArriveInOrderAndAreReportedWrittenInOrder) {
  cfg.so_sndbuf = 4096;  // small socket buffers on both sides: many partial sends
  start();
  tls_client c(*client_ctx, port, 8192);  // a small receive buffer: many partial sends
  ASSERT_TRUE(pump_with(c, [&] { return !h.opened.empty(); }));
  const connection_ref ref = h.opened[0];
  std::mt19937 rng(7);
  std::string expected;
  std::vector<shared_buffer> bodies;
  constexpr std::uint64_t kFrames = 3000;
  for (std::uint64_t i = 0; i < kFrames; ++i) {
    // Two parts per frame, from 1 byte to 40 KB, so frames straddle records and batches.
    const std::size_t a = 1 + rng() % (i % 50 == 0 ? 40000 : 600), b = rng() % 300;
    bodies.push_back(shared_buffer::copy_of(pattern(a + b, std::uint32_t(i))));
    frame f;
    f.add(bodies.back().view().substr(0, a));
    f.add(bodies.back().view().substr(a));
    f.body = bodies.back();
    f.token = i + 1;
    expected += bodies.back().view();
    ASSERT_EQ(s->send(ref, std::move(f)), send_error::ok);
  }
  ASSERT_TRUE(pump_with(
      c, [&] { return c.plain.size() >= expected.size(); }, 30000))
      << c.plain.size();
  ASSERT_TRUE(c.plain == expected);
  ASSERT_TRUE(pump(*s, [&] { return h.written.size() == kFrames; }));
  for (std::uint64_t i = 0; i < kFrames; ++i) ASSERT_EQ(h.written[i], i + 1);
  EXPECT_EQ(s->queued_bytes(ref), 0u);
  EXPECT_GT(s->stats().partial_sends, 0u);
  // Coalesced: a send carries many frames.
  EXPECT_LT(s->stats().sends_submitted, kFrames / 10);
  EXPECT_EQ(s->stats().tls_plaintext_bytes, expected.size());
}

TEST_F(ShardTls, CloseAfterFlushSendsEveryFrameThenCloseNotify) {
  start();
  tls_client c(*client_ctx, port);
  ASSERT_TRUE(pump_with(c, [&] { return !h.opened.empty(); }));
  auto body = shared_buffer::copy_of(pattern(50000, 3));
  ASSERT_EQ(s->send(h.opened[0], frame_of(body, 1)), send_error::ok);
  ASSERT_TRUE(s->close_after_flush(h.opened[0]));
  ASSERT_TRUE(pump_with(c, [&] { return c.closed && !h.closed.empty(); }));
  EXPECT_TRUE(c.plain == body.view());
  EXPECT_EQ(h.closed[0].why, close_reason::local);
  EXPECT_TRUE(h.closed[0].unsent.empty());
  EXPECT_EQ(s->stats().tls_open, 0u);
}

TEST_F(ShardTls, StalledHandshakeIsClosedAtItsDeadlineAndNeverOpened) {
  start(200'000'000ULL);
  const int fd = net::connect_tcp("127.0.0.1", port);
  ASSERT_GE(fd, 0);
  const std::uint64_t t0 = monotonic_ns();
  ASSERT_TRUE(pump(*s, [&] {
    return s->stats().tls_failures[std::size_t(tls::failure::handshake_timeout)] == 1 &&
           s->open_connections() == 0;
  }));
  EXPECT_GE(monotonic_ns() - t0, 150'000'000ULL);
  EXPECT_TRUE(h.opened.empty());
  EXPECT_TRUE(h.closed.empty());  // nothing is owed for a connection the handler never saw
  close(fd);
}

TEST_F(ShardTls, PlaintextIsClosedAsNotTls) {
  start();
  const int fd = net::connect_tcp("127.0.0.1", port);
  ASSERT_GE(fd, 0);
  const std::string msrp = "MSRP a1 SEND\r\nTo-Path: msrps://127.0.0.1:1/s;tcp\r\n\r\n";
  ASSERT_EQ(::send(fd, msrp.data(), msrp.size(), 0), ssize_t(msrp.size()));
  ASSERT_TRUE(pump(*s, [&] { return s->stats().tls_failures[std::size_t(tls::failure::not_tls)] == 1; }));
  ASSERT_TRUE(pump(*s, [&] { return s->open_connections() == 0; }));
  EXPECT_TRUE(h.opened.empty());
  close(fd);
}

TEST_F(ShardTls, PeerThatClosesMidHandshakeIsCountedAsHandshakeEof) {
  start();
  {
    tls_client c(*client_ctx, port);  // sends its ClientHello, then goes
  }
  ASSERT_TRUE(
      pump(*s, [&] { return s->stats().tls_failures[std::size_t(tls::failure::handshake_eof)] == 1; }));
  ASSERT_TRUE(pump(*s, [&] { return s->open_connections() == 0; }));
  EXPECT_TRUE(h.opened.empty());
}

}  // namespace
}  // namespace herald::reactor
