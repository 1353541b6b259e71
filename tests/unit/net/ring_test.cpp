// ring: setup picks the strongest flags the kernel accepts, honours requested fallbacks, and reports them.
#include "herald/net/ring.hpp"

#include <gtest/gtest.h>

namespace herald::net {

TEST(Ring, InitSucceedsAndDescribesChosenFlags) {
  ring r;
  ASSERT_EQ(r.init(), 0);
  const std::string d = r.feats().describe();
  std::printf("features: %s\n", d.c_str());
  EXPECT_NE(d.find("flags="), std::string::npos);
  EXPECT_NE(d.find("multishot_recv="), std::string::npos);
  EXPECT_EQ(r.feats().single_issuer, (r.feats().setup_flags & IORING_SETUP_SINGLE_ISSUER) != 0);
  EXPECT_EQ(r.feats().defer_taskrun, (r.feats().setup_flags & IORING_SETUP_DEFER_TASKRUN) != 0);
}

TEST(Ring, DeferTaskrunIsNeverChosenWithoutSingleIssuer) {
  ring_options o;
  o.try_single_issuer = false;
  ring r;
  ASSERT_EQ(r.init(o), 0);
  EXPECT_FALSE(r.feats().single_issuer);
  EXPECT_FALSE(r.feats().defer_taskrun);
  EXPECT_NE(r.feats().describe().find("flags="), std::string::npos);
}

TEST(Ring, SecondInitIsRefused) {
  ring r;
  ASSERT_EQ(r.init(), 0);
  EXPECT_EQ(r.init(), -EALREADY);
}

TEST(Ring, DisallowedFeaturesAreReportedMissing) {
  ring_options o;
  o.allow_multishot_accept = false;
  o.allow_multishot_recv = false;
  o.allow_buffer_ring = false;
  o.allow_send_zc = false;
  o.allow_msg_ring = false;
  ring r;
  ASSERT_EQ(r.init(o), 0);
  EXPECT_FALSE(r.feats().multishot_accept);
  EXPECT_FALSE(r.feats().multishot_recv);
  EXPECT_FALSE(r.feats().buffer_ring);
  EXPECT_FALSE(r.feats().send_zc);
  EXPECT_FALSE(r.feats().msg_ring);
  EXPECT_NE(r.feats().describe().find("multishot_recv=0"), std::string::npos);
}

TEST(Ring, NopRoundTripsUserData) {
  ring r;
  ASSERT_EQ(r.init(), 0);
  io_uring_sqe* sqe = r.get_sqe();
  ASSERT_NE(sqe, nullptr);
  io_uring_prep_nop(sqe);
  io_uring_sqe_set_data64(sqe, 0xfeedULL);
  ASSERT_EQ(r.submit(), 1);
  io_uring_cqe* cqe = nullptr;
  ASSERT_EQ(io_uring_wait_cqe(r.raw(), &cqe), 0);
  EXPECT_EQ(cqe->user_data, 0xfeedULL);
  io_uring_cqe_seen(r.raw(), cqe);
}

}  // namespace herald::net
