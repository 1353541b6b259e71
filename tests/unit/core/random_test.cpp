// Randomness helpers: alphabet, distinctness, constant-time compare.
#include "herald/core/random.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

namespace herald {

TEST(Random, CsprngAlnumUsesOnlyAlnum) {
  std::string s(1000, '\0');
  ASSERT_EQ(csprng_alnum(s.data(), s.size()), 0);
  for (char c : s) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
}

TEST(Random, CsprngIdsAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string s(16, '\0');
    ASSERT_EQ(csprng_alnum(s.data(), s.size()), 0);
    EXPECT_TRUE(seen.insert(s).second);
  }
}

TEST(Random, FastRngIsDeterministicPerSeed) {
  fast_rng a(42), b(42), c(43);
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(a.next(), c.next());
}

TEST(Random, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace herald
