// Unit tests for herald-load's RSS flatness verdict (rss.hpp): which samples each window takes.
#include "rss.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace herald::load {
namespace {

// One sample a second for `seconds`, RSS = f(elapsed).
template <typename F>
std::vector<rss_sample> curve(int seconds, F f) {
  std::vector<rss_sample> v;
  for (int t = 0; t <= seconds; ++t) v.push_back(rss_sample{double(t), f(t), 0, 0});
  return v;
}

TEST(RssVerdict, FlatCurveHasNoGrowth) {
  auto v = judge_rss(curve(100, [](int) { return 1000u; }), 100);
  ASSERT_TRUE(v.valid);
  EXPECT_DOUBLE_EQ(v.growth_pct, 0);
}

TEST(RssVerdict, WarmUpIsNotJudged) {
  // Grows steeply during the first 10%, flat after: no growth.
  auto v = judge_rss(curve(100, [](int t) { return t <= 10 ? 100u * unsigned(t) : 1000u; }), 100);
  ASSERT_TRUE(v.valid);
  EXPECT_DOUBLE_EQ(v.growth_pct, 0);
  EXPECT_DOUBLE_EQ(v.first_bytes, 0);
}

TEST(RssVerdict, ComparesLastFifthWithTheFifthAfterWarmUp) {
  // 1000 bytes in (10, 30], 1500 in (80, 100]: +50%.
  auto v = judge_rss(curve(100, [](int t) { return t > 80 ? 1500u : 1000u; }), 100);
  ASSERT_TRUE(v.valid);
  EXPECT_EQ(v.early_samples, 20u);
  EXPECT_EQ(v.late_samples, 20u);
  EXPECT_DOUBLE_EQ(v.early_mean_bytes, 1000);
  EXPECT_DOUBLE_EQ(v.late_mean_bytes, 1500);
  EXPECT_DOUBLE_EQ(v.growth_pct, 50);
}

TEST(RssVerdict, SteadyLeakShowsAsGrowth) {
  auto v = judge_rss(curve(100, [](int t) { return 1000u + 10u * unsigned(t); }), 100);
  ASSERT_TRUE(v.valid);
  // Means: early 1000 + 10 * 20.5, late 1000 + 10 * 90.5.
  EXPECT_NEAR(v.growth_pct, (1905.0 - 1205.0) / 1205.0 * 100, 1e-9);
}

TEST(RssVerdict, DrainSamplesAreNotJudgedButCountForThePeak) {
  auto samples = curve(100, [](int) { return 1000u; });
  samples.push_back(rss_sample{105, 5000, 0, 0});
  auto v = judge_rss(samples, 100);
  ASSERT_TRUE(v.valid);
  EXPECT_DOUBLE_EQ(v.growth_pct, 0);
  EXPECT_DOUBLE_EQ(v.last_bytes, 1000);
  EXPECT_DOUBLE_EQ(v.peak_bytes, 5000);
}

TEST(RssVerdict, SlopeInsideTheLateWindowSeesALeak) {
  auto v = judge_rss(curve(100, [](int t) { return 1000u + 10u * unsigned(t); }), 100);
  EXPECT_NEAR(v.late_slope_bytes_per_s, 10, 1e-9);
  EXPECT_NEAR(v.early_slope_bytes_per_s, 10, 1e-9);
}

TEST(RssVerdict, StepBetweenTheWindowsLeavesTheirSlopesFlat) {
  auto v = judge_rss(curve(100, [](int t) { return t > 50 ? 1500u : 1000u; }), 100);
  EXPECT_DOUBLE_EQ(v.growth_pct, 50);
  EXPECT_NEAR(v.early_slope_bytes_per_s, 0, 1e-9);
  EXPECT_NEAR(v.late_slope_bytes_per_s, 0, 1e-9);
}

TEST(RssVerdict, TooShortARunIsNotJudged) {
  auto v = judge_rss(curve(2, [](int) { return 1000u; }), 2);
  EXPECT_FALSE(v.valid);
}

}  // namespace
}  // namespace herald::load
