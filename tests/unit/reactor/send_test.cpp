// The outbound path: coalescing, partial-send resume, slow consumers, body and header lifetimes.
#include <netinet/tcp.h>

#include <atomic>
#include <thread>

#include "test_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

struct send_fixture : ::testing::Test {
  recording_handler h;
  shard_config cfg;
  std::unique_ptr<shard> s;
  std::uint16_t port = 0;

  void start() {
    s = std::make_unique<shard>(cfg, &h);
    ASSERT_EQ(s->init(), 0);
    const int p = s->listen("127.0.0.1", 0);
    ASSERT_GT(p, 0);
    port = std::uint16_t(p);
  }
  // A connected client and the server-side ref for it.
  std::pair<int, connection_ref> accept_one(int rcvbuf = 0) { return accept_client(*s, h, port, rcvbuf); }
};

using Send = send_fixture;

TEST_F(Send, FramesQueuedDuringAnInFlightSendCoalesce) {
  start();
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  std::string expected;
  auto body0 = shared_buffer::copy_of(pattern(1000, 0));
  expected += body0.view();
  ASSERT_EQ(s->send(c, frame_of(body0, 0)), send_error::ok);
  s->run_once(0);  // the first frame's sendmsg is submitted
  ASSERT_EQ(s->stats().sends_submitted, 1u);
  std::vector<shared_buffer> bodies;
  for (std::uint64_t i = 1; i < 1000; ++i) {
    bodies.push_back(shared_buffer::copy_of("frame-" + std::to_string(i) + ";"));
    expected += bodies.back().view();
    ASSERT_EQ(s->send(c, frame_of(bodies.back(), i)), send_error::ok);
  }
  std::string got;
  ASSERT_TRUE(pump(*s, [&] {
    read_available(fd, got);
    return got.size() >= expected.size();
  }));
  EXPECT_TRUE(got == expected);
  std::printf("1000 frames: %llu sendmsg calls, %.1f iovecs per call\n",
              static_cast<unsigned long long>(s->stats().sends_submitted), s->stats().avg_iovecs_per_send());
  EXPECT_LT(s->stats().sends_submitted, 20u) << "sendmsg calls for 1000 frames";
  EXPECT_GT(s->stats().avg_iovecs_per_send(), 40.0);
  EXPECT_EQ(s->stats().frames_written, 1000u);
  close(fd);
}

TEST_F(Send, WrittenTokensAreReportedOnceInQueueOrder) {
  start();
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  auto body = shared_buffer::copy_of("x");
  for (std::uint64_t t = 100; t < 150; ++t) ASSERT_EQ(s->send(c, frame_of(body, t)), send_error::ok);
  ASSERT_TRUE(pump(*s, [&] { return h.written.size() >= 50; }));
  pump_for(*s, 20);
  ASSERT_EQ(h.written.size(), 50u);
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(h.written[i], 100 + i);
  close(fd);
}

TEST_F(Send, PartialSendsResumeAtTheExactByteForASlowReader) {
  cfg.so_sndbuf = 8192;  // small on both ends, so the kernel takes only part of each sendmsg
  start();
  const auto c_pair = accept_one(4096);
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  std::string expected;
  std::vector<shared_buffer> bodies;
  for (std::uint64_t i = 0; i < 400; ++i) {
    bodies.push_back(shared_buffer::copy_of(pattern(5000 + i, std::uint32_t(i))));
    auto hdr = "H" + std::to_string(i) + ":";
    char* p = s->header_alloc(c, hdr.size());
    ASSERT_NE(p, nullptr);
    memcpy(p, hdr.data(), hdr.size());
    frame f;
    f.add({p, hdr.size()});
    f.add(bodies.back().view());
    f.add("\r\n");
    f.body = bodies.back();
    f.token = i;
    expected += hdr;
    expected += bodies.back().view();
    expected += "\r\n";
    ASSERT_EQ(s->send(c, std::move(f)), send_error::ok);
  }
  std::string got;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    char buf[3000];
    while (got.size() < expected.size()) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, std::size_t(n));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    done = true;
  });
  const bool ok = pump(
      *s, [&] { return done.load(); }, 30000);
  reader.join();
  ASSERT_TRUE(ok);
  EXPECT_TRUE(got == expected);
  EXPECT_GT(s->stats().partial_sends, 0u);
  ASSERT_TRUE(pump(*s, [&] { return h.written.size() == 400; }));
  for (auto& b : bodies) EXPECT_EQ(b.use_count(), 1u);
  EXPECT_EQ(s->headers().chunks_free(), s->headers().chunks_allocated());
  close(fd);
}

TEST_F(Send, SlowConsumerIsClosedAndOthersKeepReceiving) {
  cfg.max_queue_bytes = 256 * 1024;
  start();
  const auto slow_pair = accept_one(4096);
  const int slow_fd = slow_pair.first;
  const connection_ref slow = slow_pair.second;
  const auto fast_pair = accept_one();
  const int fast_fd = fast_pair.first;
  const connection_ref fast = fast_pair.second;
  auto body = shared_buffer::copy_of(pattern(16 * 1024, 3));
  std::uint64_t token = 0;
  send_error last = send_error::ok;
  for (int i = 0; i < 10000 && last == send_error::ok; ++i) {
    last = s->send(slow, frame_of(body, token));
    if (last == send_error::ok) ++token;
    s->run_once(0);
  }
  ASSERT_EQ(last, send_error::slow_consumer);
  ASSERT_TRUE(pump(*s, [&] { return !h.closed.empty(); }));
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].ref, slow);
  EXPECT_EQ(h.closed[0].why, close_reason::slow_consumer);
  EXPECT_FALSE(h.closed[0].unsent.empty());
  // Every accepted frame is either written or reported unsent, never both, never lost.
  EXPECT_EQ(h.written.size() + h.closed[0].unsent.size(), token);
  EXPECT_EQ(s->send(slow, frame_of(body, 999999)), send_error::stale_connection);
  EXPECT_EQ(s->stats().slow_consumers, 1u);

  auto msg = shared_buffer::copy_of("still-here");
  ASSERT_EQ(s->send(fast, frame_of(msg, 1)), send_error::ok);
  std::string got;
  ASSERT_TRUE(pump(*s, [&] {
    read_available(fast_fd, got);
    return got.size() >= 10;
  }));
  EXPECT_EQ(got, "still-here");
  EXPECT_EQ(body.use_count(), 1u);
  close(slow_fd);
  close(fast_fd);
}

TEST_F(Send, SharedBodyIsReleasedAfterItsLastFrameIsWritten) {
  start();
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  auto body = shared_buffer::copy_of(pattern(2000, 9));
  for (std::uint64_t i = 0; i < 10; ++i) {
    frame f;
    f.add(body.view().substr(0, 1000));
    f.add(body.view().substr(1000));
    f.body = body;
    f.token = i;
    ASSERT_EQ(s->send(c, std::move(f)), send_error::ok);
  }
  EXPECT_EQ(body.use_count(), 11u);
  std::string got;
  ASSERT_TRUE(pump(*s, [&] {
    read_available(fd, got);
    return h.written.size() == 10 && got.size() == 20000;
  }));
  EXPECT_EQ(body.use_count(), 1u);
  close(fd);
}

TEST_F(Send, HeaderChunksReturnToThePoolOnceFramesAreWritten) {
  cfg.header_chunk_bytes = 1024;
  start();
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  std::string expected;
  for (std::uint64_t i = 0; i < 100; ++i) {
    const std::string hdr = "MSRP " + std::to_string(i) + " SEND\r\n" + std::string(100, 'h');
    char* p = s->header_alloc(c, hdr.size());
    ASSERT_NE(p, nullptr);
    memcpy(p, hdr.data(), hdr.size());
    frame f;
    f.add({p, hdr.size()});
    f.token = i;
    expected += hdr;
    ASSERT_EQ(s->send(c, std::move(f)), send_error::ok);
  }
  EXPECT_GT(s->headers().chunks_allocated(), 5u);
  std::string got;
  ASSERT_TRUE(pump(*s, [&] {
    read_available(fd, got);
    return h.written.size() == 100 && got.size() == expected.size();
  }));
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(s->headers().chunks_free(), s->headers().chunks_allocated());
  EXPECT_EQ(s->header_alloc(c, 1025), nullptr);
  close(fd);
}

TEST_F(Send, EmptyFrameIsRefused) {
  start();
  const auto c_pair = accept_one();
  const int fd = c_pair.first;
  const connection_ref c = c_pair.second;
  EXPECT_EQ(s->send(c, frame{}), send_error::empty_frame);
  close(fd);
}

TEST_F(Send, FrameRejectsAFifthPart) {
  frame f;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(f.add("p"));
  EXPECT_FALSE(f.add("p"));
  EXPECT_TRUE(f.add(""));
  EXPECT_EQ(f.size(), 4u);
}

}  // namespace
}  // namespace herald::reactor
