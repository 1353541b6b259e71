// Delivery tracking implementation.
#include "herald/conference/delivery.hpp"

#include <algorithm>

#include "herald/core/clock.hpp"

namespace herald::conference {

std::string_view to_string(failure_reason r) {
  switch (r) {
    case failure_reason::none:
      return "none";
    case failure_reason::error_response:
      return "error_response";
    case failure_reason::timeout:
      return "timeout";
    case failure_reason::disconnected:
      return "disconnected";
    case failure_reason::participant_removed:
      return "participant_removed";
    case failure_reason::conference_deleted:
      return "conference_deleted";
    case failure_reason::slow_consumer:
      return "slow_consumer";
    case failure_reason::not_connected:
      return "not_connected";
    case failure_reason::shutdown:
      return "shutdown";
    case failure_reason::outbox_full:
      return "outbox_full";
  }
  return "unknown";
}

message_record::message_record(std::string id, std::shared_ptr<const roster> r, recipient_set who,
                               std::uint64_t created_ns)
    : id_(std::move(id)),
      recipients_(who.size(r->addresses.size())),
      roster_(std::move(r)),
      who_(std::move(who)),
      slots_(new slot[recipients_]),
      created_ns_(created_ns) {
  if (recipients_ == 0) completed_ns_.store(created_ns, std::memory_order_release);
}

std::string message_record::address(std::size_t i) const {
  std::lock_guard lock(roster_mutex_);
  if (roster_) return roster_->addresses[who_.roster_index(i)];
  auto it = std::lower_bound(failed_addresses_.begin(), failed_addresses_.end(), i,
                             [](const auto& entry, std::size_t index) { return entry.first < index; });
  return it != failed_addresses_.end() && it->first == i ? it->second : std::string();
}

void message_record::release_roster() {
  // Called by whichever thread settled the last recipient: every slot is final and visible to it.
  std::lock_guard lock(roster_mutex_);
  const std::size_t failed_count = failed_.load(std::memory_order_acquire);
  // A mass failure (a relay carrying most of the conference went away) is cheaper to explain from the
  // roster, which messages of the same membership share, than from a copy of every failed address in
  // every such message: keep it once copies would cost a quarter of it or more.
  if (failed_count * 4 >= roster_->addresses.size()) return;
  std::vector<std::pair<std::uint32_t, std::string>> failed;
  failed.reserve(failed_count);
  for (std::size_t i = 0; i < recipients_; ++i)
    if (slots_[i].state.load(std::memory_order_acquire) == static_cast<std::uint8_t>(delivery_state::failed))
      failed.emplace_back(static_cast<std::uint32_t>(i), roster_->addresses[who_.roster_index(i)]);
  failed_addresses_ = std::move(failed);
  roster_.reset();
  std::vector<std::uint32_t>().swap(who_.members);
}

message_record::message_record(std::string id, std::vector<std::string> addresses, std::uint64_t created_ns)
    : message_record(std::move(id), std::make_shared<const roster>(roster{std::move(addresses), {}}),
                     recipient_set{}, created_ns) {}

bool message_record::claim(std::size_t recipient, delivery_state to, failure_reason reason,
                           std::uint16_t status) {
  if (recipient >= recipients()) return false;
  // Claim the slot with an intermediate value so reason/status are written by exactly one thread
  // and published together with the final state.
  std::uint8_t expected = static_cast<std::uint8_t>(delivery_state::pending);
  if (!slots_[recipient].state.compare_exchange_strong(expected, claiming, std::memory_order_acq_rel))
    return false;
  slots_[recipient].reason = reason;
  slots_[recipient].status = status;
  slots_[recipient].state.store(static_cast<std::uint8_t>(to), std::memory_order_release);
  return true;
}

void message_record::add_settled(std::size_t delivered, std::size_t sent, std::size_t failed) {
  const std::size_t n = delivered + sent + failed;
  if (n == 0) return;
  if (delivered) delivered_.fetch_add(delivered, std::memory_order_acq_rel);
  if (sent) sent_.fetch_add(sent, std::memory_order_acq_rel);
  if (failed) failed_.fetch_add(failed, std::memory_order_acq_rel);
  if (conference_pending_) conference_pending_->fetch_sub(n, std::memory_order_acq_rel);
  // One counter decides completion: two separate counters could both miss the last settle. Every
  // batch adds its failures before this, so the batch that completes the record sees them all.
  if (settled_.fetch_add(n, std::memory_order_acq_rel) + n == recipients_) {
    release_roster();
    completed_ns_.store(monotonic_ns(), std::memory_order_release);
  }
}

bool message_record::mark_delivered(std::size_t recipient) {
  if (!claim(recipient, delivery_state::delivered, failure_reason::none, 200)) return false;
  add_settled(1, 0, 0);
  return true;
}

bool message_record::mark_sent(std::size_t recipient) {
  if (!claim(recipient, delivery_state::sent, failure_reason::none, 0)) return false;
  add_settled(0, 1, 0);
  return true;
}

bool message_record::mark_failed(std::size_t recipient, failure_reason reason, std::uint16_t status) {
  if (!claim(recipient, delivery_state::failed, reason, status)) return false;
  add_settled(0, 0, 1);
  return true;
}

void delivery_tracker::add(std::shared_ptr<message_record> record) {
  std::lock_guard lock(mutex_);
  std::string key = record->id();
  records_.emplace(std::move(key), std::move(record));
}

std::shared_ptr<message_record> delivery_tracker::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find(std::string(id));
  return it == records_.end() ? nullptr : it->second;
}

std::size_t delivery_tracker::expire(std::uint64_t now_ns) {
  std::lock_guard lock(mutex_);
  std::size_t dropped = 0;
  for (auto it = records_.begin(); it != records_.end();) {
    if (now_ns >= it->second->created_ns() && now_ns - it->second->created_ns() >= retention_ns_) {
      it = records_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

std::size_t delivery_tracker::size() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

std::size_t delivery_tracker::pending_total() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, r] : records_) n += r->pending();
  return n;
}

std::size_t delivery_tracker::fail_pending(failure_reason why) {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, r] : records_) {
    if (r->complete()) continue;
    for (std::size_t i = 0; i < r->recipients(); ++i)
      if (r->state(i) == delivery_state::pending) n += r->mark_failed(i, why, 0);
  }
  return n;
}

}  // namespace herald::conference
