// arena: aligned bump allocation that reuses its chunks after reset.
#include "herald/core/arena.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace herald {

TEST(Arena, AllocationsAreAlignedAndDisjoint) {
  arena a(1024);
  char* p = a.allocate(3, 1);
  char* q = a.allocate(8, 8);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % 8, 0u);
  EXPECT_GE(q, p + 3);
}

TEST(Arena, ResetReusesChunksWithoutGrowing) {
  arena a(1024);
  for (int i = 0; i < 100; ++i) a.allocate(100, 1);
  std::size_t reserved = a.bytes_reserved();
  a.reset();
  for (int i = 0; i < 100; ++i) a.allocate(100, 1);
  EXPECT_EQ(a.bytes_reserved(), reserved);
}

TEST(Arena, ShrinkLastGivesBackTail) {
  arena a(1024);
  char* p = a.allocate(200, 1);
  a.shrink_last(p, 10);
  char* q = a.allocate(1, 1);
  EXPECT_EQ(q, p + 10);
}

TEST(Arena, OversizedRequestGetsOwnBlock) {
  arena a(1024);
  char* p = a.allocate(4096, 1);
  p[4095] = 'x';
  EXPECT_GE(a.bytes_reserved(), 4096u);
}

}  // namespace herald
