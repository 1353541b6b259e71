// Clocks: monotonic nanoseconds for latency and timeouts, wall time for CPIM DateTime.
#pragma once

#include <cstdint>
#include <ctime>

namespace herald {

inline std::uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1'000'000'000ULL + std::uint64_t(ts.tv_nsec);
}

inline std::int64_t wall_seconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

}  // namespace herald
