// One shard's MSRP service: binds sessions on its connections, answers and reassembles what
// participants send, and delivers fan-out slices (stamp, queue, track responses, time out).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "herald/conference/delivery.hpp"
#include "herald/conference/directory.hpp"
#include "herald/conference/reassembly.hpp"
#include "herald/conference/session_table.hpp"
#include "herald/core/random.hpp"
#include "herald/fanout/frame_template.hpp"
#include "herald/msrp/parser.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::conference {

class engine;

// Counters one shard publishes for /metrics (copied under a mutex a few times a second).
struct shard_metrics {
  reactor::loop_stats loop{};
  std::uint64_t sessions = 0;
  std::uint64_t connections = 0;
  std::uint64_t queued_bytes = 0;
  std::uint64_t outbound_messages = 0;
  std::uint64_t frames_stamped = 0;
  std::uint64_t responses_received = 0;
  std::uint64_t sends_received = 0;
  std::uint64_t bind_ok = 0;
  std::uint64_t bind_rejected = 0;
  std::uint64_t malformed = 0;
  std::uint64_t participant_messages = 0;
  std::uint64_t reassembly_bytes = 0;
  std::uint64_t stamp_backlog = 0;  // messages whose frames are not all stamped yet
  std::uint64_t delivered = 0;
  std::uint64_t failed[failure_reason_count] = {};  // by failure_reason
};

// A slice of one message: the targets this shard serves.
struct fanout_slice {
  std::shared_ptr<message_record> record;
  std::shared_ptr<const fanout::frame_template> tmpl;
  std::vector<fanout_target> targets;
};

class shard_service final : public reactor::connection_handler {
 public:
  shard_service(engine& eng, reactor::shard& shard);
  ~shard_service() override;

  // --- shard thread only ---
  void deliver(fanout_slice slice);
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
  struct connection_state;
  struct outbound {
    std::uint32_t generation = 0;
    bool active = false;
    std::shared_ptr<message_record> record;
    std::shared_ptr<const fanout::frame_template> tmpl;
    std::vector<fanout_target> targets;     // grouped by connection (group_by_connection)
    std::vector<std::uint32_t> group_ends;  // end index of each connection's run of targets
    std::vector<std::uint32_t> group_keys;  // its connection key, ascending
    std::uint32_t next_group = 0;           // stamping progress, in runs
    std::uint32_t next_target = 0;
    bool stamping = false;  // targets left to stamp: the template must stay
    std::size_t unsettled = 0;
    std::size_t frames_outstanding = 0;
    std::size_t frames_queued = 0;
    std::uint32_t claimed_delivered = 0;  // settled here, not yet added to the record's counters
    std::uint32_t claimed_failed = 0;
    reactor::timer_id timer = 0;
  };

  // inbound (shard_receive.cpp)
  void handle_request(connection_state& cs, const msrp::message& m);
  void handle_response(connection_state& cs, const msrp::message& m);
  static constexpr std::uint32_t no_slot = UINT32_MAX;
  void update_queue_limit(connection_state& cs);
  std::uint32_t bind_session(connection_state& cs, const msrp::message& m, int& status);
  void handle_chunk(connection_state& cs, std::uint32_t slot, const msrp::message& m);
  int accept_participant_message(session& s, std::string_view content_type, shared_buffer body);
  void send_success_report(session& s, std::string_view message_id, std::uint64_t total);
  void respond(reactor::connection_ref c, std::string_view tid, int status, std::string_view to_path,
               std::string_view from_path);
  long answer_malformed(connection_state& cs, std::string_view input, msrp::error_code error);
  void release_connection_sessions(connection_state& cs, failure_reason why);
  // This shard's state for c, or nullptr. Kept here rather than in the reactor's user pointer because
  // the reactor clears that before on_closed, exactly when the sessions must be released.
  connection_state* state_of(reactor::connection_ref c) const;

  // outbound (shard_fanout.cpp)
  void group_by_connection(std::vector<fanout_target>& targets, std::vector<std::uint32_t>& group_ends,
                           std::vector<std::uint32_t>& group_keys);
  void stamp_pending();
  void defer_stamping();
  void finish_stamping(std::uint32_t slot);
  // Queues the target's frames (more than one when the body is chunked); returns how many.
  std::size_t stamp_target(std::uint32_t slot, outbound& o, std::uint32_t index);
  bool settle_delivered(outbound& o, std::uint32_t index);
  bool settle_failed(outbound& o, std::uint32_t index, failure_reason why, std::uint16_t status);
  void note_claim(outbound& o, bool delivered);
  void flush_claims();
  void publish_claims(outbound& o);
  void on_timeout(std::uint32_t slot, std::uint32_t generation);
  void schedule_sweep();
  void sweep();
  void maybe_release(std::uint32_t slot);
  void frame_done(std::uint64_t token);
  void on_tick();
  void publish_metrics();

  engine& engine_;
  reactor::shard& shard_;
  session_table sessions_;
  std::vector<outbound> outbox_;
  std::vector<std::uint32_t> free_outbound_;
  std::vector<connection_state*> connections_;
  std::vector<connection_state*> by_index_;  // indexed by connection_ref::index
  fast_rng rng_;
  // group_by_connection's scratch, kept so a fan-out does not allocate it per message.
  std::vector<std::uint32_t> target_conn_;
  std::vector<std::uint32_t> conn_start_;
  std::deque<std::uint32_t> stamp_queue_;  // outbound slots with targets left to stamp, oldest first
  bool stamp_deferred_ = false;
  std::vector<std::uint32_t> claimed_slots_;  // outbound slots with claims to publish
  bool claims_flush_deferred_ = false;
  msrp::limits limits_;
  bool sweep_scheduled_ = false;
  reactor::timer_id tick_timer_ = 0;
  shard_metrics counters_{};
  mutable std::mutex published_mutex_;
  shard_metrics published_{};
};

}  // namespace herald::conference
