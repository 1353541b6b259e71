// A shard's outbound side: stamps each target's frames in front of the shared body, queues them on the
// target's connection, and settles every target (a response or REPORT, the transaction timeout, the frames
// written, or the session gone) through the shard's outbox.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "herald/conference/outbox.hpp"
#include "herald/conference/session_table.hpp"
#include "herald/core/random.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::conference {

class engine;

class shard_outbound {
 public:
  shard_outbound(engine& eng, reactor::shard& shard, session_table& sessions);

  // Takes one message's slice of targets on this shard; stamping starts now or after the messages
  // queued before it.
  void start_fanout(fanout_slice slice);

  // What came back on `conn` for a delivery whose transaction id (response) or Message-ID (REPORT) is
  // `key`: settles it if `conn` is the connection the target's session is bound on.
  void on_response(reactor::connection_ref conn, const delivery_key& key, std::uint16_t status);
  // A REPORT (RFC 4975 §7.1.2): status 200 covering the whole message confirms a delivery that asked for
  // a success report; any other status fails it.
  void on_report(reactor::connection_ref conn, const delivery_key& key, std::uint16_t status,
                 bool covers_whole_message);
  // The reactor wrote (written) or gave up on (a closed connection's unsent) frames with these tokens.
  void frames_done(std::span<const std::uint64_t> tokens, bool written);
  // Fails pending targets whose session has gone (disconnect, slow consumer, removal); once per batch of
  // closes, after the loop's completions.
  void schedule_sweep();
  void sweep();
  // Shutdown: fails every pending target with `why`; targets not stamped yet go with them.
  void fail_all(failure_reason why);

  std::size_t frames_outstanding() const { return outbox_.frames_outstanding(); }
  std::size_t stamp_backlog() const { return stamp_queue_.size(); }
  std::uint64_t frames_stamped() const { return frames_stamped_; }
  std::uint64_t fanouts_started() const { return fanouts_started_; }
  // Slices refused for want of an outbound slot, and their targets (failed with outbox_full).
  std::uint64_t outbox_full_slices() const { return outbox_full_slices_; }
  std::uint64_t outbox_full_targets() const { return outbox_full_targets_; }
  const outbox_counters& counters() const { return outbox_.counters(); }
  // Flushes claims not yet published (the loop has stopped).
  void publish_claims() { outbox_.publish_claims(); }

 private:
  void group_by_connection(std::vector<fanout_target>& targets, std::vector<std::uint32_t>& group_ends,
                           std::vector<std::uint32_t>& group_keys);
  void stamp_pending();
  void defer_stamping();
  void finish_stamping(std::uint32_t slot);
  // Queues the target's frames (more than one when the body is chunked); returns how many.
  std::size_t stamp_target(std::uint32_t slot, outbound& o, std::uint32_t index);
  // The target `key` names, if it is still pending on that slot and bound on `conn`.
  outbound* target_on(reactor::connection_ref conn, const delivery_key& key);
  void on_timeout(std::uint32_t slot, std::uint32_t generation);
  // Failure-Report no: once every frame of the slice is written, its live targets are sent.
  void settle_written(outbound& o);
  void maybe_release(std::uint32_t slot);

  engine& engine_;
  reactor::shard& shard_;
  session_table& sessions_;
  outbox outbox_;
  fast_rng rng_;
  // group_by_connection's scratch, kept so a fan-out does not allocate it per message.
  std::vector<std::uint32_t> target_conn_;
  std::vector<std::uint32_t> conn_start_;
  std::deque<std::uint32_t> stamp_queue_;  // outbound slots with targets left to stamp, oldest first
  bool stamp_deferred_ = false;
  bool sweep_scheduled_ = false;
  std::uint64_t frames_stamped_ = 0;
  std::uint64_t fanouts_started_ = 0;
  std::uint64_t outbox_full_slices_ = 0;
  std::uint64_t outbox_full_targets_ = 0;
};

}  // namespace herald::conference
