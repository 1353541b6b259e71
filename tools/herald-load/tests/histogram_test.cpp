// Unit tests for herald-load's log-linear latency histogram.
#include "histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace herald::load {
namespace {

TEST(Histogram, EveryValueFallsInsideItsBucket) {
  const std::uint64_t values[] = {
      0, 1, 255, 256, 257, 1000, 65535, std::uint64_t{1} << 40, (std::uint64_t{1} << 40) + 12345, UINT64_MAX};
  for (std::uint64_t v : values) {
    std::size_t b = histogram::bucket_of(v);
    ASSERT_LT(b, histogram::bucket_count) << v;
    EXPECT_LE(histogram::bucket_low(b), v) << v;
    EXPECT_GE(histogram::bucket_high(b), v) << v;
  }
}

TEST(Histogram, BucketsAreContiguousAndOrdered) {
  for (std::size_t b = 1; b < histogram::bucket_count; ++b)
    ASSERT_EQ(histogram::bucket_low(b), histogram::bucket_high(b - 1) + 1) << b;
  EXPECT_EQ(histogram::bucket_high(histogram::bucket_count - 1), UINT64_MAX);
}

TEST(Histogram, BucketWidthIsAtMostOnePercentOfItsValues) {
  for (std::size_t b = histogram::linear; b < histogram::bucket_count; ++b) {
    double width = static_cast<double>(histogram::bucket_high(b) - histogram::bucket_low(b));
    ASSERT_LE(width / static_cast<double>(histogram::bucket_low(b)), 0.01) << b;
  }
}

TEST(Histogram, SmallValuesAreExact) {
  histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 50u);
  EXPECT_EQ(h.percentile(0.99), 99u);
  EXPECT_EQ(h.percentile(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.count(), 100u);
}

TEST(Histogram, PercentilesOfWideDistributionAreWithinOnePercent) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(10.0, 2.0);
  std::vector<std::uint64_t> values;
  histogram h;
  for (int i = 0; i < 200000; ++i) {
    auto v = static_cast<std::uint64_t>(dist(rng)) + 1;
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    std::uint64_t exact = values[static_cast<std::size_t>(std::ceil(q * values.size())) - 1];
    double got = static_cast<double>(h.percentile(q));
    EXPECT_NEAR(got, static_cast<double>(exact), 0.01 * static_cast<double>(exact)) << q;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.percentile(1.0), values.back());
}

TEST(Histogram, MergeEqualsRecordingIntoOne) {
  histogram a, b, both;
  for (std::uint64_t v = 0; v < 5000; v += 7) {
    (v % 2 ? a : b).record(v * 1000);
    both.record(v * 1000);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), both.count());
  for (double q : {0.1, 0.5, 0.9, 0.999}) EXPECT_EQ(a.percentile(q), both.percentile(q)) << q;
  EXPECT_EQ(a.min(), both.min());
  EXPECT_EQ(a.max(), both.max());
}

TEST(Histogram, EmptyReportsZero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.99), 0u);
  EXPECT_EQ(h.max(), 0u);
}

}  // namespace
}  // namespace herald::load
