// Conference directory implementation.
#include "herald/conference/directory.hpp"

#include <algorithm>
#include <memory>

#include "herald/core/random.hpp"

namespace herald::conference {

std::string_view to_string(directory_error e) {
  switch (e) {
    case directory_error::ok:
      return "ok";
    case directory_error::no_such_conference:
      return "no_such_conference";
    case directory_error::no_such_participant:
      return "no_such_participant";
    case directory_error::no_such_session:
      return "no_such_session";
    case directory_error::duplicate_address:
      return "duplicate_address";
    case directory_error::too_many_conferences:
      return "too_many_conferences";
    case directory_error::too_many_participants:
      return "too_many_participants";
    case directory_error::session_bound_elsewhere:
      return "session_bound_elsewhere";
    case directory_error::entropy_unavailable:
      return "entropy_unavailable";
  }
  return "unknown";
}

namespace {
constexpr std::size_t kObjectIdChars = 13;   // prefix + 12 alnum (~71 bits): unique, not secret
constexpr std::size_t kSessionIdChars = 22;  // ~131 bits: the session id is what authorises a bind
}  // namespace

bool make_session_id(std::string& out) {
  out.assign(kSessionIdChars, '\0');
  return csprng_alnum(out.data(), out.size()) == 0;
}

bool make_object_id(char prefix, std::string& out) {
  out.assign(kObjectIdChars, '\0');
  out[0] = prefix;
  return csprng_alnum(out.data() + 1, out.size() - 1) == 0;
}

std::uint32_t directory::find_id(const conference_entry& c, std::string_view participant_id) const {
  return c.by_id.find(slot_index::hash(participant_id),
                      [&](std::uint32_t slot) { return members_[slot].id_view() == participant_id; });
}

std::uint32_t directory::find_address(const conference_entry& c, std::string_view address) const {
  return c.by_address.find(slot_index::hash(address),
                           [&](std::uint32_t slot) { return members_[slot].address() == address; });
}

void directory::fill(const member& m, participant& out) const {
  out.id.assign(m.id_view());
  out.address.assign(m.address());
  out.display_name.assign(m.display_name());
  out.session_id.assign(m.session_view());
  out.where = m.where;
  out.order = m.order;
}

void directory::free_member(std::uint32_t slot) {
  member& m = members_[slot];
  m.conference = nullptr;
  m.text.reset();
  m.where = binding{};
  free_members_.push_back(slot);
}

directory_error directory::create_conference(std::string uri, std::string display_name,
                                             conference_info& out) {
  std::lock_guard lock(mutex_);
  if (conferences_.size() >= limits_.max_conferences) return directory_error::too_many_conferences;
  conference_entry entry;
  do {
    if (!make_object_id('c', entry.info.id)) return directory_error::entropy_unavailable;
  } while (conferences_.count(entry.info.id));
  entry.info.uri = std::move(uri);
  entry.info.display_name = std::move(display_name);
  out = entry.info;
  std::string key = entry.info.id;
  conferences_.emplace(std::move(key), std::move(entry));
  return directory_error::ok;
}

directory_error directory::get_conference(std::string_view id, conference_info& out) const {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  out = it->second.info;
  out.participant_count = it->second.order.size();
  return directory_error::ok;
}

directory_error directory::list_participants(std::string_view id, std::size_t offset, std::size_t limit,
                                             std::vector<participant>& out) const {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  const auto& order = it->second.order;
  for (std::size_t i = offset; i < order.size() && out.size() < limit; ++i)
    fill(members_[order[i]], out.emplace_back());
  return directory_error::ok;
}

directory_error directory::delete_conference(std::string_view id, std::vector<binding>& unbound) {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  for (std::uint32_t slot : it->second.order) {
    member& m = members_[slot];
    if (m.where.bound()) {
      unbound.push_back(m.where);
      --bound_;
    }
    sessions_.erase(slot_index::hash(m.session_view()), slot);
    free_member(slot);
  }
  participants_ -= it->second.order.size();
  conferences_.erase(it);
  return directory_error::ok;
}

directory_error directory::add_participant(std::string_view conference_id, std::string address,
                                           std::string display_name, participant& out) {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(conference_id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  conference_entry& c = it->second;
  if (c.order.size() >= limits_.max_participants_per_conference)
    return directory_error::too_many_participants;
  if (find_address(c, address) != slot_index::npos) return directory_error::duplicate_address;
  return add_locked(c, std::move(address), std::move(display_name), out);
}

directory_error directory::add_participants(std::string_view conference_id,
                                            std::vector<std::pair<std::string, std::string>> address_and_name,
                                            std::vector<participant>& out, std::string& duplicate) {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(conference_id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  conference_entry& c = it->second;
  if (c.order.size() + address_and_name.size() > limits_.max_participants_per_conference)
    return directory_error::too_many_participants;
  std::unordered_map<std::string_view, bool> batch;
  batch.reserve(address_and_name.size());
  for (const auto& [address, name] : address_and_name) {
    if (find_address(c, address) != slot_index::npos || !batch.emplace(address, true).second) {
      duplicate = address;
      return directory_error::duplicate_address;
    }
  }
  const std::size_t after = c.order.size() + address_and_name.size();
  out.reserve(out.size() + address_and_name.size());
  // Geometric, not exact: batches of 10^4 into a 10^6 conference would otherwise copy the order 100 times.
  if (c.order.capacity() < after) c.order.reserve(std::max(after, 2 * c.order.capacity()));
  c.by_id.reserve(after);
  c.by_address.reserve(after);
  sessions_.reserve(participants_ + address_and_name.size());
  for (auto& [address, name] : address_and_name) {
    if (directory_error e = add_locked(c, std::move(address), std::move(name), out.emplace_back());
        e != directory_error::ok) {
      out.pop_back();
      return e;
    }
  }
  return directory_error::ok;
}

directory_error directory::add_locked(conference_entry& c, std::string address, std::string display_name,
                                      participant& out) {
  static_assert(object_id_chars == kObjectIdChars && session_id_chars == kSessionIdChars);
  char id[object_id_chars];
  char session_id[session_id_chars];
  do {
    if (csprng_alnum(id + 1, sizeof id - 1) != 0) return directory_error::entropy_unavailable;
    id[0] = 'p';
  } while (find_id(c, {id, sizeof id}) != slot_index::npos);
  std::uint32_t session_hash;
  auto session_taken = [&](std::uint32_t slot) {
    return members_[slot].session_view() == std::string_view(session_id, sizeof session_id);
  };
  do {
    if (csprng_alnum(session_id, sizeof session_id) != 0) return directory_error::entropy_unavailable;
    session_hash = slot_index::hash({session_id, sizeof session_id});
  } while (sessions_.find(session_hash, session_taken) != slot_index::npos);

  std::uint32_t slot;
  if (!free_members_.empty()) {
    slot = free_members_.back();
    free_members_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(members_.size());
    members_.emplace_back();
  }
  member& m = members_[slot];
  m.conference = &c;
  m.text = std::make_unique_for_overwrite<char[]>(address.size() + display_name.size());
  std::copy(address.begin(), address.end(), m.text.get());
  std::copy(display_name.begin(), display_name.end(), m.text.get() + address.size());
  m.address_len = static_cast<std::uint32_t>(address.size());
  m.name_len = static_cast<std::uint32_t>(display_name.size());
  std::copy(id, id + sizeof id, m.id);
  std::copy(session_id, session_id + sizeof session_id, m.session_id);
  m.where = binding{};
  m.order = static_cast<std::uint32_t>(c.order.size());
  c.order.push_back(slot);
  c.by_id.insert(slot_index::hash(m.id_view()), slot);
  c.by_address.insert(slot_index::hash(m.address()), slot);
  sessions_.insert(session_hash, slot);
  c.snapshot.reset();
  ++participants_;
  out.id.assign(m.id_view());
  out.address = std::move(address);
  out.display_name = std::move(display_name);
  out.session_id.assign(m.session_view());
  out.where = m.where;
  out.order = m.order;
  return directory_error::ok;
}

directory_error directory::remove_participant(std::string_view conference_id, std::string_view participant_id,
                                              binding& unbound) {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(conference_id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  conference_entry& c = it->second;
  std::uint32_t slot = find_id(c, participant_id);
  if (slot == slot_index::npos) return directory_error::no_such_participant;
  member& m = members_[slot];
  unbound = m.where;
  if (unbound.bound()) --bound_;
  sessions_.erase(slot_index::hash(m.session_view()), slot);
  c.by_address.erase(slot_index::hash(m.address()), slot);
  c.by_id.erase(slot_index::hash(m.id_view()), slot);
  auto& order = c.order;
  order.erase(order.begin() + m.order);
  for (std::size_t i = m.order; i < order.size(); ++i)
    members_[order[i]].order = static_cast<std::uint32_t>(i);
  c.snapshot.reset();
  free_member(slot);
  --participants_;
  return directory_error::ok;
}

directory_error directory::bind(std::string_view session_id, binding where, session_grant& out) {
  std::lock_guard lock(mutex_);
  // The hash finds candidates; the constant-time compare decides, so timing does not reveal how many
  // leading characters of a guessed session id were right.
  std::uint32_t slot = sessions_.find(slot_index::hash(session_id), [&](std::uint32_t s) {
    return constant_time_equal(members_[s].session_view(), session_id);
  });
  if (slot == slot_index::npos) return directory_error::no_such_session;
  member& m = members_[slot];
  if (m.where.bound() &&
      (m.where.shard != where.shard || m.where.slot != where.slot || m.where.generation != where.generation))
    return directory_error::session_bound_elsewhere;
  if (!m.where.bound()) ++bound_;
  m.where = where;
  out.conference_id = m.conference->info.id;
  out.participant_id.assign(m.id_view());
  out.address.assign(m.address());
  out.display_name.assign(m.display_name());
  return directory_error::ok;
}

void directory::unbind(std::string_view session_id, binding where) {
  std::lock_guard lock(mutex_);
  std::uint32_t slot = sessions_.find(slot_index::hash(session_id), [&](std::uint32_t s) {
    return members_[s].session_view() == session_id;
  });
  if (slot == slot_index::npos) return;
  member& m = members_[slot];
  if (!m.where.bound()) return;
  if (m.where.shard == where.shard && m.where.slot == where.slot && m.where.generation == where.generation) {
    m.where = binding{};
    --bound_;
  }
}

directory_error directory::plan(std::string_view conference_id, const std::vector<std::string>& to,
                                std::string_view exclude_participant_id, fanout_plan& out) const {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(conference_id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  const conference_entry& c = it->second;
  out.conference_uri = c.info.uri;
  out.conference_display_name = c.info.display_name;
  if (!c.snapshot) {
    auto r = std::make_shared<roster>();
    r->addresses.reserve(c.order.size());
    for (std::uint32_t slot : c.order) r->addresses.emplace_back(members_[slot].address());
    c.snapshot = std::move(r);
  }
  out.members_of = c.snapshot;
  auto add = [&](const member& m) {
    out.targets.push_back(fanout_target{static_cast<std::uint32_t>(out.targets.size()), m.where});
    out.members.push_back(m.order);
  };
  if (to.empty()) {
    out.everyone = exclude_participant_id.empty();
    out.targets.reserve(c.order.size());
    if (!out.everyone) out.members.reserve(c.order.size());
    for (std::uint32_t slot : c.order) {
      const member& m = members_[slot];
      if (out.everyone) {
        out.targets.push_back(fanout_target{static_cast<std::uint32_t>(out.targets.size()), m.where});
      } else if (m.id_view() != exclude_participant_id) {
        add(m);
      }
    }
    return directory_error::ok;
  }
  // A recipient named twice still gets one SEND: "for each target recipient" (OMA IM TS 7.2.3.4).
  std::unordered_map<std::uint32_t, bool> seen;
  for (const auto& address : to) {
    std::uint32_t slot = find_address(c, address);
    if (slot == slot_index::npos) {
      out.unknown.push_back(address);
      continue;
    }
    if (!seen.emplace(slot, true).second) continue;
    const member& m = members_[slot];
    if (m.id_view() != exclude_participant_id) add(m);
  }
  return directory_error::ok;
}

std::size_t directory::conference_count() const {
  std::lock_guard lock(mutex_);
  return conferences_.size();
}
std::size_t directory::participant_count() const {
  std::lock_guard lock(mutex_);
  return participants_;
}
std::size_t directory::bound_count() const {
  std::lock_guard lock(mutex_);
  return bound_;
}

}  // namespace herald::conference
