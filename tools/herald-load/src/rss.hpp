// heraldd's RSS over a run: the once-a-second samples (--rss-csv) and the flatness verdict
// (--max-rss-growth), kept pure so the rule is unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace herald::load {

struct rss_sample {
  double elapsed_s = 0;  // since the schedule's start (t0); samples after the schedule belong to the drain
  std::uint64_t rss_bytes = 0;
  std::uint64_t deliveries = 0;    // received by the workers so far
  std::uint64_t participants = 0;  // registered at the time (changes with --churn)
};

// The rule: skip the first 10% of the sending time (warm-up: allocator pools, rings and delivery records
// filling up to --message-retention), then compare the mean RSS of the last 20% of the sending time
// with the mean of the 20% right after the warm-up. Drain samples are not judged.
struct rss_verdict {
  bool valid = false;  // both windows had samples
  std::size_t early_samples = 0, late_samples = 0;
  double first_bytes = 0;       // the first sample (schedule start)
  double early_mean_bytes = 0;  // (10%, 30%] of the sending time
  double late_mean_bytes = 0;   // (80%, 100%]
  double last_bytes = 0;        // the last sample inside the sending time
  double peak_bytes = 0;        // over every sample, drain included
  double growth_pct = 0;        // (late - early) / early * 100
  // Least-squares slope inside each window: a leak climbs within the late window too, while a step
  // (the allocator keeping the high-water mark of a transient backlog) leaves it flat.
  double early_slope_bytes_per_s = 0, late_slope_bytes_per_s = 0;
};

// Least-squares slope of rss_bytes over elapsed_s for samples with lo < elapsed_s <= hi (0 if < 2).
inline double rss_slope(std::span<const rss_sample> samples, double lo, double hi) {
  double n = 0, st = 0, sb = 0;
  for (const rss_sample& s : samples)
    if (s.elapsed_s > lo && s.elapsed_s <= hi) {
      n += 1;
      st += s.elapsed_s;
      sb += static_cast<double>(s.rss_bytes);
    }
  if (n < 2) return 0;
  const double mt = st / n, mb = sb / n;
  double num = 0, den = 0;
  for (const rss_sample& s : samples)
    if (s.elapsed_s > lo && s.elapsed_s <= hi) {
      num += (s.elapsed_s - mt) * (static_cast<double>(s.rss_bytes) - mb);
      den += (s.elapsed_s - mt) * (s.elapsed_s - mt);
    }
  return den > 0 ? num / den : 0;
}

inline rss_verdict judge_rss(std::span<const rss_sample> samples, double duration_s) {
  rss_verdict v;
  double early_sum = 0, late_sum = 0;
  bool first = true;
  for (const rss_sample& s : samples) {
    const double b = static_cast<double>(s.rss_bytes);
    if (b > v.peak_bytes) v.peak_bytes = b;
    if (s.elapsed_s < 0 || s.elapsed_s > duration_s) continue;
    if (first) {
      v.first_bytes = b;
      first = false;
    }
    v.last_bytes = b;
    if (s.elapsed_s > 0.1 * duration_s && s.elapsed_s <= 0.3 * duration_s) {
      early_sum += b;
      ++v.early_samples;
    }
    if (s.elapsed_s > 0.8 * duration_s) {
      late_sum += b;
      ++v.late_samples;
    }
  }
  if (v.early_samples == 0 || v.late_samples == 0) return v;
  v.early_mean_bytes = early_sum / static_cast<double>(v.early_samples);
  v.late_mean_bytes = late_sum / static_cast<double>(v.late_samples);
  v.growth_pct =
      v.early_mean_bytes > 0 ? (v.late_mean_bytes - v.early_mean_bytes) / v.early_mean_bytes * 100 : 0;
  v.early_slope_bytes_per_s = rss_slope(samples, 0.1 * duration_s, 0.3 * duration_s);
  v.late_slope_bytes_per_s = rss_slope(samples, 0.8 * duration_s, duration_s);
  v.valid = true;
  return v;
}

}  // namespace herald::load
