// One shard's MSRP service: the reactor's handler for the shard's connections. It owns the shard's
// sessions and wires its two sides together: inbound (binding, what participants send, responses and
// REPORTs, inbound limits) and outbound (stamping fan-out slices, settling every target).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "herald/conference/delivery.hpp"
#include "herald/conference/directory.hpp"
#include "herald/conference/outbox.hpp"
#include "herald/conference/session_table.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::conference {

class engine;
class shard_inbound;
class shard_outbound;

// What a shard's inbound side counted, for /metrics.
struct inbound_counters {
  std::uint64_t sends_received = 0;
  std::uint64_t responses_received = 0;
  std::uint64_t reports_received = 0;
  std::uint64_t bind_ok = 0;
  std::uint64_t bind_rejected = 0;
  std::uint64_t participant_messages = 0;
  // Malformed messages by what became of them: answered with their status (a request), skipped to the
  // next message (a response or REPORT, never answered), or the connection closed (unanswerable, or
  // its framing lost).
  std::uint64_t malformed_answered = 0;
  std::uint64_t malformed_skipped = 0;
  std::uint64_t malformed_closed = 0;
  std::uint64_t slow_senders_closed = 0;  // a message started and not finished within --header-timeout
};

// Counters one shard publishes for /metrics (copied under a mutex a few times a second).
struct shard_metrics {
  reactor::loop_stats loop{};
  inbound_counters in{};
  outbox_counters out{};  // settled outcomes; failed[outbox_full] includes the refused slices' targets
  std::uint64_t sessions = 0;
  std::uint64_t connections = 0;
  std::uint64_t queued_bytes = 0;
  std::uint64_t outbound_messages = 0;
  std::uint64_t frames_stamped = 0;
  std::uint64_t reassembly_bytes = 0;
  std::uint64_t stamp_backlog = 0;  // messages whose frames are not all stamped yet
  std::uint64_t outbox_full = 0;    // message slices refused for want of an outbound slot
};

class shard_service final : public reactor::connection_handler {
 public:
  shard_service(engine& eng, reactor::shard& shard);
  ~shard_service() override;

  // --- shard thread only ---
  // A message's slice of targets on this shard: stamped, queued and tracked until each settles.
  void start_fanout(fanout_slice slice);
  // The directory dropped these sessions (participant removed, conference deleted): fail their
  // pending deliveries with `why` and forget them.
  void drop_sessions(const std::vector<binding>& gone, failure_reason why);
  // Shutdown: fail every pending delivery on this shard with `why`.
  void fail_all(failure_reason why);
  // Frames queued or in flight on this shard (0 once every send has been flushed).
  std::size_t frames_outstanding() const;

  // --- any thread ---
  shard_metrics metrics() const;

  // reactor::connection_handler
  void on_open(reactor::shard& s, reactor::connection_ref c) override;
  std::size_t on_data(reactor::shard& s, reactor::connection_ref c, std::string_view bytes) override;
  void on_frames_written(reactor::shard& s, reactor::connection_ref c,
                         std::span<const std::uint64_t> tokens) override;
  void on_closed(reactor::shard& s, reactor::connection_ref c, reactor::close_reason why,
                 std::span<const std::uint64_t> unsent_tokens) override;

 private:
  void on_tick();
  void publish_metrics();

  reactor::shard& shard_;
  session_table sessions_;
  std::unique_ptr<shard_outbound> outbound_;
  std::unique_ptr<shard_inbound> inbound_;
  reactor::timer_id tick_timer_ = 0;
  mutable std::mutex published_mutex_;
  shard_metrics published_{};
};

}  // namespace herald::conference
