// A shard's fan-outs in flight: one outbound slot per message slice, named by (slot, generation) in the
// transaction ids and frame tokens it sends, holding every target until it settles, and counting frames
// until the last is written. Claims reach the shared message records once per loop iteration.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "herald/conference/delivery.hpp"
#include "herald/conference/directory.hpp"
#include "herald/conference/transaction_id.hpp"
#include "herald/fanout/frame_template.hpp"
#include "herald/msrp/types.hpp"
#include "herald/reactor/timers.hpp"

namespace herald::conference {

// A slice of one message: the targets one shard serves.
struct fanout_slice {
  std::shared_ptr<message_record> record;
  std::shared_ptr<const fanout::frame_template> tmpl;
  std::vector<fanout_target> targets;
};

// What confirms a delivery, from the report headers the SEND carries (RFC 4975 §7.1.2).
enum class confirmation : std::uint8_t {
  response,        // Failure-Report yes (the default): a 2xx response -> delivered
  success_report,  // Success-Report yes: a REPORT with status 200 for the whole message -> delivered
  errors_only,     // Failure-Report partial: only failures are answered; none by the timeout -> sent
  none,            // Failure-Report no: nothing comes back; every frame written -> sent
};
confirmation confirmation_for(msrp::report_mode success_report, msrp::report_mode failure_report);

// One message slice on this shard.
struct outbound {
  std::uint32_t generation = 0;
  bool active = false;
  confirmation confirm = confirmation::response;
  std::shared_ptr<message_record> record;
  std::shared_ptr<const fanout::frame_template> tmpl;  // kept until every frame is written
  std::vector<fanout_target> targets;                  // grouped by connection (the stamper's order)
  // Stamping progress, kept by the shard's stamper: runs of targets by connection key.
  std::vector<std::uint32_t> group_ends;  // end index of each connection's run of targets
  std::vector<std::uint32_t> group_keys;  // its connection key, ascending
  std::uint32_t next_group = 0;
  std::uint32_t next_target = 0;
  bool stamping = false;  // targets left to stamp: the template must stay
  std::size_t unsettled = 0;
  std::size_t frames_outstanding = 0;  // queued or in flight
  std::size_t frames_queued = 0;       // ever, for this slice
  std::vector<bool> written;           // errors_only: per target, its last frame was written
  reactor::timer_id timer = 0;         // the transaction timeout, once stamping is done
  // Settled here, not yet added to the record's counters.
  std::uint32_t claimed_delivered = 0;
  std::uint32_t claimed_sent = 0;
  std::uint32_t claimed_failed = 0;
};

// Outcomes this shard settled, for /metrics.
struct outbox_counters {
  std::uint64_t delivered = 0;
  std::uint64_t sent = 0;
  std::uint64_t failed[failure_reason_count] = {};
};

class outbox {
 public:
  static constexpr std::uint32_t no_slot = UINT32_MAX;

  // request_flush runs when a claim is noted and none was pending: the caller then arranges for
  // publish_claims() before the loop sleeps (a shard defers it to the end of the iteration).
  explicit outbox(std::function<void()> request_flush, std::uint32_t capacity = max_outbound_slots);

  // A slot for the slice with a new generation, or no_slot when `capacity` slices are in flight.
  std::uint32_t open(fanout_slice&& slice);
  outbound& at(std::uint32_t slot) { return slots_[slot]; }
  std::uint32_t slot_of(const outbound& o) const { return static_cast<std::uint32_t>(&o - slots_.data()); }
  std::size_t slots() const { return slots_.size(); }

  // The slot and target a delivery transaction id names, if that slot still holds its message.
  outbound* find(const delivery_key& key);

  // Inline, like find(): each runs once per frame or per response.
  // Frame tokens name the slot (generation mod 2^15), the target and whether the frame is the target's
  // last: a frame written or failed is counted against its message, and a written last frame can settle
  // its target where nothing else will (Failure-Report no).
  static constexpr std::uint32_t max_targets = 1u << 29;
  static std::uint64_t token(std::uint32_t slot, std::uint32_t generation, std::uint32_t target, bool last);
  struct frame_ref {
    std::uint32_t slot = no_slot;
    std::uint32_t target = 0;
    bool last = false;
  };
  // Lowers the frames outstanding of the message a token names; which frame it was, or slot no_slot if
  // the token is not an outbound frame's or its message has gone.
  frame_ref frame_done(std::uint64_t token);

  // First outcome wins (message_record::claim); false if the target had already settled.
  bool settle(outbound& o, std::uint32_t index, delivery_state to, failure_reason why = failure_reason::none,
              std::uint16_t status = 0);
  // Adds every batch of claims to its record's counters.
  void publish_claims();

  // Not stamping, every target settled and every frame written: release() may run.
  static bool finished(const outbound& o) {
    return !o.stamping && o.unsettled == 0 && o.frames_outstanding == 0;
  }
  // Frees the slot (its timer already cancelled by the caller); claims are published first.
  void release(std::uint32_t slot);

  std::size_t frames_outstanding() const;
  const outbox_counters& counters() const { return counters_; }
  template <class F>
  void for_each_active(F&& f) {
    for (std::uint32_t slot = 0; slot < slots_.size(); ++slot)
      if (slots_[slot].active) f(slot, slots_[slot]);
  }

 private:
  // Token layout: flag (1) | slot (18) | generation mod 2^15 | last (1) | target (29).
  static constexpr std::uint64_t token_flag = 1ULL << 63;
  static constexpr int slot_shift = 45, generation_shift = 30, last_shift = 29;
  static constexpr std::uint64_t generation_mask = (1u << 15) - 1;
  static_assert(max_outbound_slots <= (1u << 18));

  void publish(outbound& o);

  std::function<void()> request_flush_;
  std::uint32_t capacity_;
  std::vector<outbound> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> claimed_;  // slots with claims to publish
  bool flush_requested_ = false;
  outbox_counters counters_{};
};

inline outbound* outbox::find(const delivery_key& key) {
  if (key.outbound >= slots_.size()) return nullptr;
  outbound& o = slots_[key.outbound];
  // Transaction ids carry the generation mod 62 (one character): enough to refuse a late answer to the
  // slot's previous message, since a slot cycles through 62 messages well after the timeout.
  if (!o.active || o.generation % 62 != key.generation || key.target >= o.targets.size()) return nullptr;
  return &o;
}

inline std::uint64_t outbox::token(std::uint32_t slot, std::uint32_t generation, std::uint32_t target,
                                   bool last) {
  return token_flag | (std::uint64_t(slot) << slot_shift) |
         ((generation & generation_mask) << generation_shift) | (std::uint64_t(last) << last_shift) | target;
}

inline outbox::frame_ref outbox::frame_done(std::uint64_t token) {
  if (!(token & token_flag)) return {};
  const auto slot = static_cast<std::uint32_t>((token & ~token_flag) >> slot_shift);
  const auto generation = static_cast<std::uint32_t>((token >> generation_shift) & generation_mask);
  if (slot >= slots_.size()) return {};
  outbound& o = slots_[slot];
  if (!o.active || (o.generation & generation_mask) != generation || o.frames_outstanding == 0) return {};
  --o.frames_outstanding;
  const auto target = static_cast<std::uint32_t>(token & (max_targets - 1));
  return {slot, target, ((token >> last_shift) & 1) != 0 && target < o.targets.size()};
}

}  // namespace herald::conference
