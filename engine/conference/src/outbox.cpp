// Outbound slots: generations, frame tokens, settling and the per-iteration claim batches.
#include "herald/conference/outbox.hpp"

#include <algorithm>

namespace herald::conference {

confirmation confirmation_for(msrp::report_mode success_report, msrp::report_mode failure_report) {
  if (success_report == msrp::report_mode::yes) return confirmation::success_report;
  if (failure_report == msrp::report_mode::partial) return confirmation::errors_only;
  if (failure_report == msrp::report_mode::no) return confirmation::none;
  return confirmation::response;
}

outbox::outbox(std::function<void()> request_flush, std::uint32_t capacity)
    : request_flush_(std::move(request_flush)), capacity_(std::min(capacity, max_outbound_slots)) {}

std::uint32_t outbox::open(fanout_slice&& slice) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else if (slots_.size() < capacity_) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    return no_slot;
  }
  outbound& o = slots_[slot];
  o.generation = o.generation + 1;
  o.active = true;
  o.confirm = confirmation_for(slice.tmpl->success_report(), slice.tmpl->failure_report());
  o.record = std::move(slice.record);
  o.tmpl = std::move(slice.tmpl);
  o.targets = std::move(slice.targets);
  o.group_ends.clear();
  o.group_keys.clear();
  o.next_group = 0;
  o.next_target = 0;
  o.stamping = true;
  o.unsettled = o.targets.size();
  o.frames_outstanding = 0;
  o.frames_queued = 0;
  o.written.assign(o.confirm == confirmation::errors_only ? o.targets.size() : 0, false);
  o.timer = 0;
  return slot;
}

bool outbox::settle(outbound& o, std::uint32_t index, delivery_state to, failure_reason why,
                    std::uint16_t status) {
  if (to == delivery_state::delivered) status = 200;
  if (!o.record->claim(o.targets[index].recipient, to, why, status)) return false;
  --o.unsettled;
  if (o.claimed_delivered + o.claimed_sent + o.claimed_failed == 0) claimed_.push_back(slot_of(o));
  switch (to) {
    case delivery_state::delivered:
      ++o.claimed_delivered;
      ++counters_.delivered;
      break;
    case delivery_state::sent:
      ++o.claimed_sent;
      ++counters_.sent;
      break;
    default:
      ++o.claimed_failed;
      ++counters_.failed[static_cast<std::size_t>(why)];
      break;
  }
  if (!flush_requested_) {
    flush_requested_ = true;
    request_flush_();
  }
  return true;
}

void outbox::publish(outbound& o) {
  if (o.claimed_delivered + o.claimed_sent + o.claimed_failed == 0 || !o.record) return;
  o.record->add_settled(o.claimed_delivered, o.claimed_sent, o.claimed_failed);
  o.claimed_delivered = o.claimed_sent = o.claimed_failed = 0;
}

void outbox::publish_claims() {
  flush_requested_ = false;
  for (std::uint32_t slot : claimed_) publish(slots_[slot]);
  claimed_.clear();
}

void outbox::release(std::uint32_t slot) {
  outbound& o = slots_[slot];
  o.active = false;
  o.timer = 0;
  publish(o);
  o.record.reset();
  o.tmpl.reset();
  std::vector<fanout_target>().swap(o.targets);
  std::vector<bool>().swap(o.written);
  std::vector<std::uint32_t>().swap(o.group_ends);
  std::vector<std::uint32_t>().swap(o.group_keys);
  free_.push_back(slot);
}

std::size_t outbox::frames_outstanding() const {
  std::size_t n = 0;
  for (const outbound& o : slots_)
    if (o.active) n += o.frames_outstanding;
  return n;
}

}  // namespace herald::conference
