// Conference directory implementation.
#include "herald/conference/directory.hpp"

#include <algorithm>
#include <memory>
#include <unordered_set>

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
    case directory_error::duplicate_uri:
      return "duplicate_uri";
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

// --- binding cells ---

struct directory::binding_cells::cell {
  std::atomic<std::uint32_t> generation{0};
  std::atomic<std::uint64_t> where{0};  // 0: unbound; else shard + 1 (8 bits), slot (24), generation (32)
};

namespace {
constexpr std::uint32_t kSlotBits = 24;
constexpr std::uint64_t pack(binding b) {
  if (!b.bound()) return 0;
  return (std::uint64_t(b.shard + 1) << 56) | (std::uint64_t(b.slot) << 32) | b.generation;
}
constexpr binding unpack(std::uint64_t v) {
  if (v == 0) return binding{};
  return binding{static_cast<int>(v >> 56) - 1, static_cast<std::uint32_t>(v >> 32) & ((1u << kSlotBits) - 1),
                 static_cast<std::uint32_t>(v)};
}
}  // namespace

directory::binding_cells::binding_cells() : chunks_(new std::atomic<cell*>[max_chunks]) {
  for (std::uint32_t i = 0; i < max_chunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

directory::binding_cells::~binding_cells() {
  for (std::uint32_t i = 0; i < max_chunks; ++i) delete[] chunks_[i].load(std::memory_order_relaxed);
}

bool directory::binding_cells::reserve(std::uint32_t slot) {
  const std::uint32_t chunk = slot >> chunk_bits;
  if (chunk >= max_chunks) return false;
  if (!chunks_[chunk].load(std::memory_order_relaxed))
    chunks_[chunk].store(new cell[std::size_t(1) << chunk_bits], std::memory_order_release);
  return true;
}

directory::binding_cells::cell* directory::binding_cells::at(std::uint32_t slot) const {
  return chunks_[slot >> chunk_bits].load(std::memory_order_acquire) + (slot & ((1u << chunk_bits) - 1));
}

std::uint32_t directory::binding_cells::generation(std::uint32_t slot) const {
  return at(slot)->generation.load(std::memory_order_relaxed);
}

binding directory::binding_cells::get(std::uint32_t slot) const {
  return unpack(at(slot)->where.load(std::memory_order_relaxed));
}

void directory::binding_cells::set(std::uint32_t slot, binding where) {
  // Release: a reader that sees this binding also sees the generation its member was created with.
  at(slot)->where.store(pack(where), std::memory_order_release);
}

void directory::binding_cells::retire(std::uint32_t slot) {
  cell* c = at(slot);
  c->where.store(0, std::memory_order_relaxed);
  c->generation.store(c->generation.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

binding directory::binding_cells::read(member_ref m) const {
  const cell* c = at(m.slot);
  // The generation before and after the binding: equal to the planned member's, the binding is its own.
  const std::uint32_t before = c->generation.load(std::memory_order_acquire);
  const std::uint64_t where = c->where.load(std::memory_order_acquire);
  const std::uint32_t after = c->generation.load(std::memory_order_relaxed);
  if (before != m.generation || after != m.generation) return binding{binding::removed};
  return unpack(where);
}

// --- directory ---

directory::directory(directory_limits limits) : limits_(limits) {}
directory::~directory() = default;

directory::conference_entry* directory::find_locked(std::string_view id) const {
  auto it = conferences_.find(std::string(id));
  return it == conferences_.end() ? nullptr : const_cast<conference_entry*>(&it->second);
}

std::uint32_t directory::find_id(const conference_entry& c, std::string_view participant_id) const {
  return c.by_id.find(slot_index::hash(participant_id),
                      [&](std::uint32_t slot) { return members_[slot].id_view() == participant_id; });
}

std::uint32_t directory::find_address(const conference_entry& c, std::string_view address) const {
  return c.by_address.find(slot_index::hash(address),
                           [&](std::uint32_t slot) { return members_[slot].address() == address; });
}

void directory::fill(std::uint32_t slot, participant& out) const {
  const member& m = members_[slot];
  out.id.assign(m.id_view());
  out.address.assign(m.address());
  out.display_name.assign(m.display_name());
  out.session_id.assign(m.session_view());
  out.tls = m.tls;
  out.where = cells_.get(slot);
  out.order = m.order;
  out.member = member_ref{slot, cells_.generation(slot)};
  if (m.sip) {
    out.sip = *m.sip;
  } else {
    out.sip.reset();
  }
}

void directory::fill(const conference_entry& c, conference_info& out) const {
  out = c.info;
  out.participant_count = c.order.size();
}

void directory::free_member(std::uint32_t slot) {
  member& m = members_[slot];
  m.conference = nullptr;
  m.text.reset();
  m.sip.reset();
  m.tls = false;
  cells_.retire(slot);
  free_members_.push_back(slot);
}

directory_error directory::create_conference(std::string uri, std::string display_name,
                                             conference_info& out) {
  std::lock_guard lock(mutex_);
  if (by_uri_.count(uri)) return directory_error::duplicate_uri;
  if (conferences_.size() >= limits_.max_conferences) return directory_error::too_many_conferences;
  conference_entry entry;
  do {
    if (!make_object_id('c', entry.info.id)) return directory_error::entropy_unavailable;
  } while (conferences_.count(entry.info.id));
  entry.info.uri = std::move(uri);
  entry.info.display_name = std::move(display_name);
  out = entry.info;
  std::string key = entry.info.id;
  conference_entry& c = conferences_.emplace(std::move(key), std::move(entry)).first->second;
  by_uri_.emplace(c.info.uri, &c);
  creation_order_.push_back(&c);
  return directory_error::ok;
}

directory_error directory::get_conference(std::string_view id, conference_info& out) const {
  std::lock_guard lock(mutex_);
  const conference_entry* c = find_locked(id);
  if (!c) return directory_error::no_such_conference;
  fill(*c, out);
  return directory_error::ok;
}

directory_error directory::find_conference_by_uri(std::string_view uri, conference_info& out) const {
  std::lock_guard lock(mutex_);
  auto it = by_uri_.find(std::string(uri));
  if (it == by_uri_.end()) return directory_error::no_such_conference;
  fill(*it->second, out);
  return directory_error::ok;
}

void directory::list_conferences(std::size_t offset, std::size_t limit, std::vector<conference_info>& out,
                                 std::size_t& total) const {
  std::lock_guard lock(mutex_);
  total = creation_order_.size();
  for (std::size_t i = offset; i < creation_order_.size() && out.size() < limit; ++i)
    fill(*creation_order_[i], out.emplace_back());
}

directory_error directory::list_participants(std::string_view id, std::size_t offset, std::size_t limit,
                                             std::vector<participant>& out) const {
  std::lock_guard lock(mutex_);
  const conference_entry* c = find_locked(id);
  if (!c) return directory_error::no_such_conference;
  for (std::size_t i = offset; i < c->order.size() && out.size() < limit; ++i)
    fill(c->order[i], out.emplace_back());
  return directory_error::ok;
}

directory_error directory::get_participant(std::string_view conference_id, std::string_view participant_id,
                                           participant& out) const {
  std::lock_guard lock(mutex_);
  const conference_entry* c = find_locked(conference_id);
  if (!c) return directory_error::no_such_conference;
  std::uint32_t slot = find_id(*c, participant_id);
  if (slot == slot_index::npos) return directory_error::no_such_participant;
  fill(slot, out);
  return directory_error::ok;
}

directory_error directory::delete_conference(std::string_view id, std::vector<binding>& unbound,
                                             std::vector<sip_dialog>* dialogs) {
  std::lock_guard lock(mutex_);
  conference_entry* c = find_locked(id);
  if (!c) return directory_error::no_such_conference;
  for (std::uint32_t slot : c->order) {
    if (binding b = cells_.get(slot); b.bound()) {
      unbound.push_back(b);
      --bound_;
    }
    if (const auto& sip = members_[slot].sip; dialogs && sip && sip->dialog) dialogs->push_back(*sip->dialog);
    sessions_.erase(slot_index::hash(members_[slot].session_view()), slot);
    free_member(slot);
  }
  participants_ -= c->order.size();
  by_uri_.erase(c->info.uri);
  std::erase(creation_order_, c);
  conferences_.erase(c->info.id);
  return directory_error::ok;
}

directory_error directory::add_participant(std::string_view conference_id, std::string address,
                                           std::string display_name, participant& out,
                                           std::optional<signalling> sip, bool tls) {
  std::lock_guard lock(mutex_);
  conference_entry* c = find_locked(conference_id);
  if (!c) return directory_error::no_such_conference;
  if (c->order.size() >= limits_.max_participants_per_conference)
    return directory_error::too_many_participants;
  if (find_address(*c, address) != slot_index::npos) return directory_error::duplicate_address;
  return add_locked(*c, std::move(address), std::move(display_name), out, std::move(sip), tls);
}

directory_error directory::add_participants(std::string_view conference_id,
                                            std::vector<new_participant> entries,
                                            std::vector<participant>& out, std::string& duplicate) {
  std::lock_guard lock(mutex_);
  conference_entry* found = find_locked(conference_id);
  if (!found) return directory_error::no_such_conference;
  conference_entry& c = *found;
  if (c.order.size() + entries.size() > limits_.max_participants_per_conference)
    return directory_error::too_many_participants;
  std::unordered_set<std::string_view> batch;
  batch.reserve(entries.size());
  for (const new_participant& e : entries) {
    const std::string& address = e.address;
    if (find_address(c, address) != slot_index::npos || !batch.insert(address).second) {
      duplicate = address;
      return directory_error::duplicate_address;
    }
  }
  const std::size_t after = c.order.size() + entries.size();
  out.reserve(out.size() + entries.size());
  // Geometric, not exact: batches of 10^4 into a 10^6 conference would otherwise copy the order 100 times.
  if (c.order.capacity() < after) c.order.reserve(std::max(after, 2 * c.order.capacity()));
  c.by_id.reserve(after);
  c.by_address.reserve(after);
  sessions_.reserve(participants_ + entries.size());
  for (new_participant& entry : entries) {
    if (directory_error e = add_locked(c, std::move(entry.address), std::move(entry.display_name),
                                       out.emplace_back(), {}, entry.tls);
        e != directory_error::ok) {
      out.pop_back();
      return e;
    }
  }
  return directory_error::ok;
}

directory_error directory::add_locked(conference_entry& c, std::string address, std::string display_name,
                                      participant& out, std::optional<signalling> sip, bool tls) {
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
    if (!cells_.reserve(slot)) return directory_error::too_many_participants;
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
  if (sip) m.sip = std::make_unique<signalling>(*sip);
  m.tls = tls;
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
  out.where = binding{};
  out.order = m.order;
  out.member = member_ref{slot, cells_.generation(slot)};
  out.sip = std::move(sip);
  out.tls = tls;
  return directory_error::ok;
}

directory_error directory::remove_participant(std::string_view conference_id, std::string_view participant_id,
                                              binding& unbound, participant* left) {
  std::lock_guard lock(mutex_);
  conference_entry* found = find_locked(conference_id);
  if (!found) return directory_error::no_such_conference;
  conference_entry& c = *found;
  std::uint32_t slot = find_id(c, participant_id);
  if (slot == slot_index::npos) return directory_error::no_such_participant;
  member& m = members_[slot];
  if (left) fill(slot, *left);
  unbound = cells_.get(slot);
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
  if (where.slot >= (1u << kSlotBits)) return directory_error::too_many_participants;  // cannot be packed
  std::lock_guard lock(mutex_);
  // The hash finds candidates; the constant-time compare decides, so timing does not reveal how many
  // leading characters of a guessed session id were right.
  std::uint32_t slot = sessions_.find(slot_index::hash(session_id), [&](std::uint32_t s) {
    return constant_time_equal(members_[s].session_view(), session_id);
  });
  if (slot == slot_index::npos) return directory_error::no_such_session;
  member& m = members_[slot];
  const binding current = cells_.get(slot);
  if (current.bound() && current != where) return directory_error::session_bound_elsewhere;
  if (!current.bound()) ++bound_;
  cells_.set(slot, where);
  out.conference_id = m.conference->info.id;
  out.participant_id.assign(m.id_view());
  out.address.assign(m.address());
  out.display_name.assign(m.display_name());
  out.member = member_ref{slot, cells_.generation(slot)};
  out.expected_peer = m.sip ? m.sip->expected_peer : std::string();
  out.has_dialog = m.sip && m.sip->dialog;
  out.tls = m.tls;
  return directory_error::ok;
}

void directory::unbind(std::string_view session_id, binding where) {
  std::lock_guard lock(mutex_);
  std::uint32_t slot = sessions_.find(slot_index::hash(session_id), [&](std::uint32_t s) {
    return members_[s].session_view() == session_id;
  });
  if (slot == slot_index::npos) return;
  const binding current = cells_.get(slot);
  if (current.bound() && current == where) {
    cells_.set(slot, binding{});
    --bound_;
  }
}

std::shared_ptr<const roster> directory::roster_locked(const conference_entry& c) const {
  if (!c.snapshot) {
    auto r = std::make_shared<roster>();
    r->addresses.reserve(c.order.size());
    r->members.reserve(c.order.size());
    for (std::uint32_t slot : c.order) {
      r->addresses.emplace_back(members_[slot].address());
      r->members.push_back(member_ref{slot, cells_.generation(slot)});
    }
    c.snapshot = std::move(r);
  }
  return c.snapshot;
}

directory_error directory::plan(std::string_view conference_id, const std::vector<std::string>& to,
                                member_ref sender, fanout_plan& out) const {
  {
    std::lock_guard lock(mutex_);
    const conference_entry* c = find_locked(conference_id);
    if (!c) return directory_error::no_such_conference;
    out.conference_uri = c->info.uri;
    out.conference_display_name = c->info.display_name;
    out.members_of = roster_locked(*c);
    out.who = recipient_set{};
    if (!to.empty()) {
      // A recipient named twice still gets one SEND: "for each target recipient" (OMA IM TS 7.2.3.4).
      out.who.everyone = false;
      std::unordered_set<std::uint32_t> seen;
      for (const auto& address : to) {
        std::uint32_t slot = find_address(*c, address);
        if (slot == slot_index::npos) {
          out.unknown.push_back(address);
          continue;
        }
        if (member_ref{slot, cells_.generation(slot)} == sender || !seen.insert(slot).second) continue;
        out.who.members.push_back(members_[slot].order);
      }
    }
  }
  // Without the lock: the roster is immutable, the bindings are read from their cells.
  const roster& r = *out.members_of;
  if (out.who.everyone && sender.slot != UINT32_MAX) {
    for (std::uint32_t i = 0; i < r.members.size(); ++i) {
      if (r.members[i] == sender) {
        out.who.excluded = i;
        break;
      }
    }
  }
  const std::size_t n = out.recipients();
  out.targets.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    out.targets[i] =
        fanout_target{static_cast<std::uint32_t>(i), cells_.read(r.members[out.who.roster_index(i)])};
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
