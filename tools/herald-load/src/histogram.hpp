// Latency histogram in the HDR mould: log-linear buckets, at most 1/128 (< 1%) relative error, constant
// memory.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace herald::load {

class histogram {
 public:
  // Values below 2 * sub_buckets are counted exactly; above, each power of two is cut into sub_buckets
  // equal buckets, so a bucket is at most value / sub_buckets wide: 1/128 = 0.78% relative error.
  static constexpr std::uint64_t sub_buckets = 128;
  static constexpr std::size_t linear = 2 * sub_buckets;
  static constexpr std::size_t bucket_count = linear + (64 - 8) * sub_buckets;

  static std::size_t bucket_of(std::uint64_t v) {
    if (v < linear) return static_cast<std::size_t>(v);
    const int e = 63 - std::countl_zero(v);  // >= 8
    const int shift = e - 7;
    return linear + static_cast<std::size_t>(e - 8) * sub_buckets +
           static_cast<std::size_t>((v >> shift) - sub_buckets);
  }
  // Smallest and largest value counted in bucket b.
  static std::uint64_t bucket_low(std::size_t b) {
    if (b < linear) return b;
    const std::size_t e = (b - linear) / sub_buckets + 8;
    const std::uint64_t sub = (b - linear) % sub_buckets + sub_buckets;
    return sub << (e - 7);
  }
  static std::uint64_t bucket_high(std::size_t b) {
    if (b < linear) return b;
    const std::size_t e = (b - linear) / sub_buckets + 8;
    return bucket_low(b) + ((std::uint64_t{1} << (e - 7)) - 1);
  }

  void record(std::uint64_t v) { add(bucket_of(v), 1, v, v); }
  // Adds n values known to lie in bucket b (merging another histogram's counts); lo/hi are the extremes seen.
  void add(std::size_t b, std::uint64_t n, std::uint64_t lo, std::uint64_t hi) {
    if (n == 0) return;
    counts_[b] += n;
    total_ += n;
    if (lo < min_) min_ = lo;
    if (hi > max_) max_ = hi;
  }
  void merge(const histogram& o) {
    for (std::size_t b = 0; b < bucket_count; ++b) counts_[b] += o.counts_[b];
    total_ += o.total_;
    if (o.min_ < min_) min_ = o.min_;
    if (o.max_ > max_) max_ = o.max_;
  }

  std::uint64_t count() const { return total_; }
  std::uint64_t min() const { return total_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  std::uint64_t count_in(std::size_t b) const { return counts_[b]; }

  // The value at quantile q (0..1): the midpoint of the bucket holding the ceil(q * count)-th value,
  // clamped to the exact min and max, so the answer is within 1/256 of a value actually recorded.
  std::uint64_t percentile(double q) const {
    if (total_ == 0) return 0;
    if (q <= 0) return min();
    std::uint64_t rank = static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > total_) rank = total_;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < bucket_count; ++b) {
      seen += counts_[b];
      if (seen >= rank) {
        std::uint64_t mid = bucket_low(b) + (bucket_high(b) - bucket_low(b)) / 2;
        if (mid < min()) mid = min();
        if (mid > max_) mid = max_;
        return mid;
      }
    }
    return max_;
  }

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace herald::load
