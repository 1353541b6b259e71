// What the driver and its worker processes share: one MAP_SHARED region created before fork, holding
// the control flags, per-worker live counters and latency histogram, and per-message results.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "histogram.hpp"

namespace herald::load {

enum class worker_state : std::uint32_t { starting = 0, ready = 1, failed = 2, done = 3 };
enum class send_state : std::uint8_t { pending = 0, sent = 1, failed = 2 };

struct control_block {
  std::atomic<std::uint64_t> t0_ns{0};  // schedule origin (CLOCK_MONOTONIC); 0 until the driver says go
  std::atomic<std::uint32_t> stop{0};
  std::atomic<std::uint64_t> expected_deliveries{0};  // recipients of every message sent so far
};

// Single writer (the worker); the driver reads for progress and, after the worker exits, for results.
struct worker_block {
  std::atomic<worker_state> state{worker_state::starting};
  std::atomic<std::uint64_t> bound{0};
  std::atomic<std::uint64_t> bind_failed{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> mismatches{0};
  std::atomic<std::uint64_t> missing{0};  // written at the end
  std::atomic<std::uint64_t> chat_sent{0};
  std::atomic<std::uint64_t> chat_rejected{0};
  std::atomic<std::uint64_t> connections_lost{0};
  std::atomic<std::uint64_t> last_delivery_ns{0};
  std::atomic<std::uint64_t> latency_min_us{UINT64_MAX};
  std::atomic<std::uint64_t> latency_max_us{0};
  std::atomic<std::uint64_t>
      latency_counts[histogram::bucket_count];  // per delivery, from the scheduled time
  static constexpr std::size_t max_examples = 8;
  std::atomic<std::uint32_t> example_count{0};
  char examples[max_examples][200];
};

// Per worker per message.
struct message_result {
  std::uint64_t first_ns;
  std::uint64_t last_ns;
  std::uint32_t count;
  std::uint32_t last_participant;  // who was slowest
};

struct shared_region {
  control_block* control = nullptr;
  worker_block* workers = nullptr;           // [procs]
  std::atomic<send_state>* sends = nullptr;  // [messages]
  message_result* results = nullptr;         // [procs * messages]
  std::uint64_t messages = 0;
  std::size_t procs = 0;

  message_result* results_of(std::size_t worker) const { return results + worker * messages; }
  // MAP_SHARED | MAP_ANONYMOUS: pages are touched only where used. False on failure.
  bool create(std::size_t procs, std::uint64_t messages);
};

}  // namespace herald::load
