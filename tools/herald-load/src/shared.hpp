// What the driver and its worker processes share: one MAP_SHARED region created before fork, holding
// the control flags, per-worker live counters and latency histogram, and per-message results.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "histogram.hpp"

namespace herald::load {

// stopped: no longer reading (its results are final); it checks once the driver says so, then done.
enum class worker_state : std::uint32_t { starting = 0, ready = 1, failed = 2, done = 3, stopped = 4 };
enum class send_state : std::uint8_t { pending = 0, sent = 1, failed = 2 };

struct control_block {
  std::atomic<std::uint64_t> t0_ns{0};  // schedule origin (CLOCK_MONOTONIC); 0 until the driver says go
  std::atomic<std::uint32_t> stop{0};
  std::atomic<std::uint32_t> check{0};  // every worker has stopped: their results may be cross-read
  std::atomic<std::uint64_t> expected_deliveries{0};  // recipients of every message sent so far
  std::atomic<std::uint64_t> joined{0};    // --churn: joiners registered so far (their paths are valid)
  std::atomic<std::uint64_t> failures{0};  // --churn: entries used in shared_region::failures
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
  std::atomic<std::uint64_t> chat_delivered{0};        // deliveries of chat messages (the --churn drain)
  std::atomic<std::uint64_t> outside_membership{0};    // --churn: reached someone not a member then
  std::atomic<std::uint64_t> unexplained_failures{0};  // --churn: server failures churn does not explain
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
  std::uint32_t missing;           // written by the worker's final check
  std::uint32_t received_failed;   // --churn: received, yet heraldd reports it failed (removed meanwhile)
};

// --churn: one participant's membership as the client saw it (membership.hpp's member_times), plus the
// session path heraldd gave a joiner. Times are written by the driver (registration, removal) and by
// the worker owning the participant (bound).
struct member_slot {
  std::atomic<std::uint64_t> reg_start{0}, reg_done{0}, bound{0}, del_start{0}, del_done{0};
  static constexpr std::size_t max_path = 112;
  char path[max_path];  // joiners only; published by control_block::joined
};

enum class report_state : std::uint8_t { none = 0, complete = 1, lost = 2 };

// --churn: when each message was sent and accepted, and heraldd's own account of it
// (GET /v1/messages/{id} once nothing is pending; API messages only: chat messages have no id).
struct message_meta {
  std::atomic<std::uint64_t> start_ns{0};  // POST issued / chat SEND queued
  std::atomic<std::uint64_t> ok_ns{0};     // 202 / MSRP 200 received
  std::atomic<std::uint32_t> delivered{0};
  std::atomic<std::uint32_t> failed{0};
  std::atomic<report_state> report{report_state::none};
};

// --churn: one failed recipient from a server report.
struct failure_entry {
  std::uint64_t seq;
  std::uint32_t participant;
  std::uint8_t why;  // churn_failure
};

struct shared_region {
  control_block* control = nullptr;
  worker_block* workers = nullptr;           // [procs]
  std::atomic<send_state>* sends = nullptr;  // [messages]
  message_result* results = nullptr;         // [procs * messages]
  member_slot* members = nullptr;            // [members_count] (--churn)
  message_meta* meta = nullptr;              // [messages] (--churn)
  failure_entry* failures = nullptr;         // [max_failures] (--churn)
  std::uint64_t messages = 0;
  std::size_t procs = 0;
  std::uint64_t members_count = 0;
  std::uint64_t max_failures = 0;

  message_result* results_of(std::size_t worker) const { return results + worker * messages; }
  // MAP_SHARED | MAP_ANONYMOUS: pages are touched only where used. False on failure. The churn arrays
  // are sized 0 unless participant_capacity / failure_capacity say otherwise.
  bool create(std::size_t procs, std::uint64_t messages, std::uint64_t participant_capacity = 0,
              std::uint64_t failure_capacity = 0);
};

}  // namespace herald::load
