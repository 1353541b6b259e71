// A per-shard min-heap of deadlines with O(1) cancel by generation-checked id (no locks: shard-owned).
#pragma once

#include <cstdint>
#include <vector>

#include "herald/reactor/task.hpp"

namespace herald::reactor {

// 0 is never a live timer, so a default-constructed id can be cancelled harmlessly.
using timer_id = std::uint64_t;

class timer_heap {
 public:
  timer_id add(std::uint64_t deadline_ns, task callback);
  // True if the timer was pending; false if it already fired, was cancelled, or never existed.
  bool cancel(timer_id id);
  // Runs every callback whose deadline <= now_ns, earliest first (ties in insertion order).
  std::size_t run_expired(std::uint64_t now_ns);
  // Earliest pending deadline, or UINT64_MAX.
  std::uint64_t next_deadline();
  std::size_t pending() const { return live_; }

 private:
  struct entry {
    std::uint64_t deadline;
    std::uint64_t seq;  // keeps equal deadlines FIFO
    std::uint32_t slot;
    std::uint32_t generation;
  };
  struct slot {
    task callback;
    std::uint32_t generation = 1;
    bool live = false;
  };
  static bool later(const entry& a, const entry& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
  }
  void drop_dead_top();

  std::vector<entry> heap_;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::size_t live_ = 0;
};

}  // namespace herald::reactor
