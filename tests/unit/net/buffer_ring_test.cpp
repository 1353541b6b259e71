// buffer_ring: hand-registered provided buffers are picked by recv, viewed by id and recycled.
#include "herald/net/buffer_ring.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace herald::net {
namespace {

struct socket_pair {
  int fd[2] = {-1, -1};
  socket_pair() { socketpair(AF_UNIX, SOCK_STREAM, 0, fd); }
  ~socket_pair() {
    close(fd[0]);
    close(fd[1]);
  }
};

// One recv with buffer select; returns res and the buffer id through bid.
int recv_one(ring& r, int fd, std::uint16_t group, std::uint16_t& bid) {
  io_uring_sqe* sqe = r.get_sqe();
  io_uring_prep_recv(sqe, fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = group;
  r.submit();
  io_uring_cqe* cqe = nullptr;
  if (io_uring_wait_cqe(r.raw(), &cqe) != 0) return -1;
  const int res = cqe->res;
  bid = (cqe->flags & IORING_CQE_F_BUFFER) ? std::uint16_t(cqe->flags >> IORING_CQE_BUFFER_SHIFT) : 0xffff;
  io_uring_cqe_seen(r.raw(), cqe);
  return res;
}

}  // namespace

TEST(BufferRing, RejectsCountThatIsNotAPowerOfTwo) {
  ring r;
  ASSERT_EQ(r.init(), 0);
  buffer_ring b;
  EXPECT_EQ(b.init(r, 1, 3, 4096), -EINVAL);
  EXPECT_FALSE(b.registered());
}

TEST(BufferRing, RecvLandsInProvidedBufferAndViewShowsBytes) {
  ring r;
  ASSERT_EQ(r.init(), 0);
  if (!r.feats().buffer_ring) GTEST_SKIP() << "skipped: kernel has no provided buffer rings";
  buffer_ring b;
  ASSERT_EQ(b.init(r, 7, 4, 256), 0);
  socket_pair sp;
  ASSERT_EQ(write(sp.fd[1], "hello", 5), 5);
  std::uint16_t bid = 0;
  ASSERT_EQ(recv_one(r, sp.fd[0], 7, bid), 5);
  ASSERT_LT(bid, 4);
  EXPECT_EQ(b.view(bid, 5), "hello");
}

TEST(BufferRing, RecycledBuffersServeMoreRecvsThanTheRingHolds) {
  ring r;
  ASSERT_EQ(r.init(), 0);
  if (!r.feats().buffer_ring) GTEST_SKIP() << "skipped: kernel has no provided buffer rings";
  buffer_ring b;
  ASSERT_EQ(b.init(r, 3, 2, 64), 0);
  socket_pair sp;
  for (int i = 0; i < 10; ++i) {
    const std::string msg = "m" + std::to_string(i);
    ASSERT_EQ(write(sp.fd[1], msg.data(), msg.size()), ssize_t(msg.size()));
    std::uint16_t bid = 0;
    const int res = recv_one(r, sp.fd[0], 3, bid);
    ASSERT_EQ(res, int(msg.size())) << "iteration " << i;
    EXPECT_EQ(b.view(bid, std::uint32_t(res)), msg);
    b.recycle(bid);
  }
}

TEST(BufferRing, ExhaustedRingReportsEnobufs) {
  ring r;
  ASSERT_EQ(r.init(), 0);
  if (!r.feats().buffer_ring) GTEST_SKIP() << "skipped: kernel has no provided buffer rings";
  buffer_ring b;
  ASSERT_EQ(b.init(r, 5, 1, 64), 0);
  socket_pair sp;
  ASSERT_EQ(write(sp.fd[1], "a", 1), 1);
  std::uint16_t bid = 0;
  ASSERT_EQ(recv_one(r, sp.fd[0], 5, bid), 1);
  ASSERT_EQ(write(sp.fd[1], "b", 1), 1);
  EXPECT_EQ(recv_one(r, sp.fd[0], 5, bid), -ENOBUFS);
}

}  // namespace herald::net
