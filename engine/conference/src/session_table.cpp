// Session table implementation.
#include "herald/conference/session_table.hpp"

#include <algorithm>

namespace herald::conference {

bool inline_id::assign(std::string_view id) {
  if (id.size() > capacity) {
    len_ = 0;
    return false;
  }
  std::copy(id.begin(), id.end(), chars_);
  len_ = static_cast<std::uint8_t>(id.size());
  return true;
}

std::string_view session::session_id() const {
  // Directory session ids are alphanumeric, so the last '/' and ';' delimit it whatever the authority.
  std::string_view path = local_path();
  std::size_t slash = path.rfind('/');
  std::size_t semi = path.rfind(';');
  if (slash == std::string_view::npos || semi == std::string_view::npos || semi <= slash) return {};
  return path.substr(slash + 1, semi - slash - 1);
}

std::string session::display_name() const {
  std::string_view to = frame_bytes.cpim_to();
  std::string name;
  if (to.empty() || to.front() != '"') return name;
  // `"` name `" <` uri `>`, with `"` and `\` in the name escaped by a backslash.
  std::string_view quoted = to.substr(1, to.size() - address().size() - 5);
  name.reserve(quoted.size());
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 1 < quoted.size()) ++i;
    name += quoted[i];
  }
  return name;
}

std::uint32_t session_table::allocate() {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    ended_.push_back({});
  }
  session& s = slots_[slot];
  s.generation = s.generation + 1 == 0 ? 1 : s.generation + 1;
  ++live_;
  return slot;
}

std::uint32_t session_table::find_slot(std::string_view session_id) const {
  std::uint32_t slot = by_id_.find(slot_index::hash(session_id),
                                   [&](std::uint32_t s) { return slots_[s].session_id() == session_id; });
  return slot == slot_index::npos ? npos : slot;
}

void session_table::index(std::uint32_t slot) {
  std::string_view id = slots_[slot].session_id();
  std::uint32_t h = slot_index::hash(id);
  // A re-index of the same slot keeps one entry; another slot holding the id is replaced, as the map
  // assignment this stands in for did.
  std::uint32_t old = by_id_.find(h, [&](std::uint32_t s) { return slots_[s].session_id() == id; });
  if (old == slot) return;
  if (old != slot_index::npos) by_id_.erase(h, old);
  by_id_.insert(h, slot);
}

void session_table::release(std::uint32_t slot, failure_reason why) {
  if (slot >= slots_.size()) return;
  session& s = slots_[slot];
  if (s.generation == 0) return;
  // Only this slot's own entry: an unindexed slot (a bind that failed) must not drop another's.
  if (s.bound()) by_id_.erase(slot_index::hash(s.session_id()), slot);
  ended_[slot] = {s.generation, why};
  std::uint32_t gen = s.generation;
  s = session{};
  // Keep the generation so the next allocate() moves past it and old targets stay stale.
  s.generation = gen;
  free_.push_back(slot);
  --live_;
}

failure_reason session_table::why_gone(std::uint32_t slot, std::uint32_t generation) const {
  if (slot >= slots_.size()) return failure_reason::not_connected;
  // The last generation that ended is the one old targets name, even once the slot serves a newer
  // session (under membership churn a joiner reuses a removed participant's slot at once); an older
  // one also ended somehow.
  if (ended_[slot].generation == generation) return ended_[slot].why;
  return slots_[slot].generation == generation ? failure_reason::not_connected : failure_reason::disconnected;
}

}  // namespace herald::conference
