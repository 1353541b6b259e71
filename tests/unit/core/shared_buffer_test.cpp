// shared_buffer: one body, many owners, freed with the last one.
#include "herald/core/shared_buffer.hpp"

#include <gtest/gtest.h>

namespace herald {

TEST(SharedBuffer, CopyOfKeepsBinaryBytes) {
  std::string_view bytes("a\0b\r\n-------x", 13);
  shared_buffer buf = shared_buffer::copy_of(bytes);
  EXPECT_EQ(buf.view(), bytes);
  EXPECT_EQ(buf.use_count(), 1u);
}

TEST(SharedBuffer, CopiesShareOneBlockAndCountReferences) {
  shared_buffer a = shared_buffer::copy_of("body");
  {
    shared_buffer b = a;
    shared_buffer c = b;
    EXPECT_EQ(a.data(), c.data());
    EXPECT_EQ(a.use_count(), 3u);
  }
  EXPECT_EQ(a.use_count(), 1u);
}

TEST(SharedBuffer, MoveLeavesSourceEmpty) {
  shared_buffer a = shared_buffer::copy_of("body");
  shared_buffer b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state is the point
  EXPECT_EQ(b.view(), "body");
  EXPECT_EQ(b.use_count(), 1u);
}

TEST(SharedBuffer, EmptyBodyIsValid) {
  shared_buffer a = shared_buffer::copy_of("");
  EXPECT_TRUE(a);
  EXPECT_TRUE(a.empty());
}

TEST(SharedBuffer, PrependFillsHeadroomWithoutMovingTheData) {
  shared_buffer a = shared_buffer::copy_of("body", 8);
  const char* body = a.data();
  EXPECT_EQ(a.headroom(), 8u);
  EXPECT_TRUE(a.prepend("\r\n\r\n"));
  EXPECT_EQ(a.view(), "\r\n\r\nbody");
  EXPECT_EQ(a.data() + 4, body);
  EXPECT_EQ(a.headroom(), 4u);
  EXPECT_FALSE(a.prepend("12345"));  // more than the headroom left
  EXPECT_EQ(a.view(), "\r\n\r\nbody");
  EXPECT_TRUE(a.prepend("1234"));
  EXPECT_EQ(a.view(), "1234\r\n\r\nbody");
  EXPECT_FALSE(a.prepend("x"));
}

TEST(SharedBuffer, PrependRefusedOnceShared) {
  shared_buffer a = shared_buffer::copy_of("body", 8);
  shared_buffer b = a;
  EXPECT_FALSE(a.prepend("x"));
  EXPECT_EQ(b.view(), "body");
  b = shared_buffer();
  EXPECT_TRUE(a.prepend("x"));
  EXPECT_EQ(a.view(), "xbody");
}

}  // namespace herald
