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

}  // namespace herald
