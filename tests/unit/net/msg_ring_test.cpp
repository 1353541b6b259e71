// IORING_OP_MSG_RING: one ring posts a CQE into another (probed; skipped where the kernel lacks it).
#include <gtest/gtest.h>

#include "herald/net/ring.hpp"

namespace herald::net {

TEST(MsgRing, PostsCompletionIntoAnotherRing) {
  ring a;
  ring b;
  ASSERT_EQ(a.init(), 0);
  ASSERT_EQ(b.init(), 0);
  if (!a.feats().msg_ring) {
    std::printf("skipped: kernel has no IORING_OP_MSG_RING\n");
    GTEST_SKIP();
  }
  io_uring_sqe* sqe = a.get_sqe();
  io_uring_prep_msg_ring(sqe, b.raw()->ring_fd, 42, 0xabcdULL, 0);
  ASSERT_EQ(a.submit(), 1);
  io_uring_cqe* cqe = nullptr;
  ASSERT_EQ(io_uring_wait_cqe(b.raw(), &cqe), 0);
  EXPECT_EQ(cqe->user_data, 0xabcdULL);
  EXPECT_EQ(cqe->res, 42);
  io_uring_cqe_seen(b.raw(), cqe);
}

}  // namespace herald::net
