// Session table implementation.
#include "herald/conference/session_table.hpp"

namespace herald::conference {

std::uint32_t session_table::allocate() {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    last_reason_.push_back(failure_reason::not_connected);
  }
  session& s = slots_[slot];
  s.generation = s.generation + 1 == 0 ? 1 : s.generation + 1;
  ++live_;
  return slot;
}

session* session_table::get(std::uint32_t slot, std::uint32_t generation) {
  if (slot >= slots_.size()) return nullptr;
  session& s = slots_[slot];
  return (s.generation == generation && !s.session_id.empty()) ? &s : nullptr;
}

std::uint32_t session_table::find_slot(std::string_view session_id) const {
  auto it = by_id_.find(session_id);
  return it == by_id_.end() ? npos : it->second;
}

void session_table::index(std::uint32_t slot) {
  by_id_[slots_[slot].session_id] = slot;
}

void session_table::release(std::uint32_t slot, failure_reason why) {
  if (slot >= slots_.size()) return;
  session& s = slots_[slot];
  if (s.generation == 0) return;
  by_id_.erase(s.session_id);
  last_reason_[slot] = why;
  std::uint32_t gen = s.generation;
  s = session{};
  // Keep the generation so the next allocate() moves past it and old targets stay stale.
  s.generation = gen;
  s.session_id.clear();
  free_.push_back(slot);
  --live_;
}

failure_reason session_table::why_gone(std::uint32_t slot, std::uint32_t generation) const {
  if (slot >= slots_.size()) return failure_reason::not_connected;
  // The generation that just ended is the one old targets name; older ones also ended somehow.
  return slots_[slot].generation == generation ? last_reason_[slot] : failure_reason::disconnected;
}

}  // namespace herald::conference
