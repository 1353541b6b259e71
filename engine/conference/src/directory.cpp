// Conference directory implementation.
#include "herald/conference/directory.hpp"

#include "herald/core/random.hpp"

#include <algorithm>

namespace herald::conference {

std::string_view to_string(directory_error e) {
  switch (e) {
    case directory_error::ok: return "ok";
    case directory_error::no_such_conference: return "no_such_conference";
    case directory_error::no_such_participant: return "no_such_participant";
    case directory_error::no_such_session: return "no_such_session";
    case directory_error::duplicate_address: return "duplicate_address";
    case directory_error::too_many_conferences: return "too_many_conferences";
    case directory_error::too_many_participants: return "too_many_participants";
    case directory_error::session_bound_elsewhere: return "session_bound_elsewhere";
    case directory_error::entropy_unavailable: return "entropy_unavailable";
  }
  return "unknown";
}

bool make_session_id(std::string& out) {
  out.assign(22, '\0');
  return csprng_alnum(out.data(), out.size()) == 0;
}

bool make_object_id(char prefix, std::string& out) {
  out.assign(13, '\0');
  out[0] = prefix;
  return csprng_alnum(out.data() + 1, out.size() - 1) == 0;
}

directory_error directory::create_conference(std::string uri, std::string display_name, conference_info& out) {
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
  out.participant_count = it->second.participants.size();
  return directory_error::ok;
}

directory_error directory::list_participants(std::string_view id, std::size_t offset, std::size_t limit,
                                             std::vector<participant>& out) const {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  const auto& order = it->second.participant_order;
  for (std::size_t i = offset; i < order.size() && out.size() < limit; ++i)
    out.push_back(*order[i]);
  return directory_error::ok;
}

directory_error directory::delete_conference(std::string_view id, std::vector<binding>& unbound) {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  for (auto& [pid, p] : it->second.participants) {
    if (p.where.bound()) {
      unbound.push_back(p.where);
      --bound_;
    }
    sessions_.erase(p.session_id);
  }
  participants_ -= it->second.participants.size();
  conferences_.erase(it);
  return directory_error::ok;
}

directory_error directory::add_participant(std::string_view conference_id, std::string address,
                                           std::string display_name, participant& out) {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(conference_id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  conference_entry& c = it->second;
  if (c.participants.size() >= limits_.max_participants_per_conference)
    return directory_error::too_many_participants;
  if (c.by_address.count(address)) return directory_error::duplicate_address;
  return add_locked(c, std::move(address), std::move(display_name), out);
}

directory_error directory::add_participants(std::string_view conference_id,
                                            std::vector<std::pair<std::string, std::string>> address_and_name,
                                            std::vector<participant>& out, std::string& duplicate) {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(conference_id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  conference_entry& c = it->second;
  if (c.participants.size() + address_and_name.size() > limits_.max_participants_per_conference)
    return directory_error::too_many_participants;
  std::unordered_map<std::string_view, bool> batch;
  batch.reserve(address_and_name.size());
  for (const auto& [address, name] : address_and_name) {
    if (c.by_address.count(address) || !batch.emplace(address, true).second) {
      duplicate = address;
      return directory_error::duplicate_address;
    }
  }
  out.reserve(out.size() + address_and_name.size());
  c.participant_order.reserve(c.participant_order.size() + address_and_name.size());
  for (auto& [address, name] : address_and_name) {
    participant p;
    if (directory_error e = add_locked(c, std::move(address), std::move(name), p); e != directory_error::ok) return e;
    out.push_back(std::move(p));
  }
  return directory_error::ok;
}

directory_error directory::add_locked(conference_entry& c, std::string address, std::string display_name,
                                      participant& out) {
  participant p;
  do {
    if (!make_object_id('p', p.id)) return directory_error::entropy_unavailable;
  } while (c.participants.count(p.id));
  do {
    if (!make_session_id(p.session_id)) return directory_error::entropy_unavailable;
  } while (sessions_.count(p.session_id));
  p.address = std::move(address);
  p.display_name = std::move(display_name);
  p.order = static_cast<std::uint32_t>(c.participant_order.size());
  c.snapshot.reset();
  sessions_.emplace(p.session_id, session_entry{c.info.id, p.id});
  c.by_address.emplace(p.address, p.id);
  out = p;
  std::string key = p.id;
  auto node = c.participants.emplace(std::move(key), std::move(p)).first;
  c.participant_order.push_back(&node->second);
  ++participants_;
  return directory_error::ok;
}

directory_error directory::remove_participant(std::string_view conference_id, std::string_view participant_id,
                                              binding& unbound) {
  std::lock_guard lock(mutex_);
  auto it = conferences_.find(std::string(conference_id));
  if (it == conferences_.end()) return directory_error::no_such_conference;
  conference_entry& c = it->second;
  auto pit = c.participants.find(std::string(participant_id));
  if (pit == c.participants.end()) return directory_error::no_such_participant;
  unbound = pit->second.where;
  if (unbound.bound()) --bound_;
  sessions_.erase(pit->second.session_id);
  c.by_address.erase(pit->second.address);
  auto& order = c.participant_order;
  order.erase(order.begin() + pit->second.order);
  for (std::size_t i = pit->second.order; i < order.size(); ++i) order[i]->order = static_cast<std::uint32_t>(i);
  c.snapshot.reset();
  c.participants.erase(pit);
  --participants_;
  return directory_error::ok;
}

participant* directory::find_participant(const session_entry& s) {
  auto cit = conferences_.find(s.conference_id);
  if (cit == conferences_.end()) return nullptr;
  auto pit = cit->second.participants.find(s.participant_id);
  return pit == cit->second.participants.end() ? nullptr : &pit->second;
}

directory_error directory::bind(std::string_view session_id, binding where, session_grant& out) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(session_id));
  // The hash lookup finds a candidate; the constant-time compare decides, so timing does not
  // reveal how many leading characters of a guessed session id were right.
  if (it == sessions_.end() || !constant_time_equal(it->first, session_id))
    return directory_error::no_such_session;
  participant* p = find_participant(it->second);
  if (!p) return directory_error::no_such_session;
  if (p->where.bound() && (p->where.shard != where.shard || p->where.slot != where.slot ||
                           p->where.generation != where.generation))
    return directory_error::session_bound_elsewhere;
  if (!p->where.bound()) ++bound_;
  p->where = where;
  out.conference_id = it->second.conference_id;
  out.participant_id = p->id;
  out.address = p->address;
  out.display_name = p->display_name;
  return directory_error::ok;
}

void directory::unbind(std::string_view session_id, binding where) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(session_id));
  if (it == sessions_.end()) return;
  participant* p = find_participant(it->second);
  if (!p || !p->where.bound()) return;
  if (p->where.shard == where.shard && p->where.slot == where.slot && p->where.generation == where.generation) {
    p->where = binding{};
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
    r->addresses.reserve(c.participant_order.size());
    for (const participant* p : c.participant_order) r->addresses.push_back(p->address);
    c.snapshot = std::move(r);
  }
  out.members_of = c.snapshot;
  auto add = [&](const participant& p) {
    out.targets.push_back(fanout_target{static_cast<std::uint32_t>(out.targets.size()), p.where});
    out.members.push_back(p.order);
  };
  if (to.empty()) {
    out.everyone = exclude_participant_id.empty();
    out.targets.reserve(c.participant_order.size());
    if (!out.everyone) out.members.reserve(c.participant_order.size());
    for (const participant* p : c.participant_order) {
      if (out.everyone) {
        out.targets.push_back(fanout_target{static_cast<std::uint32_t>(out.targets.size()), p->where});
      } else if (p->id != exclude_participant_id) {
        add(*p);
      }
    }
    return directory_error::ok;
  }
  // A recipient named twice still gets one SEND: "for each target recipient" (OMA IM TS 7.2.3.4).
  std::unordered_map<std::string_view, bool> seen;
  for (const auto& address : to) {
    auto a = c.by_address.find(address);
    if (a == c.by_address.end()) {
      out.unknown.push_back(address);
      continue;
    }
    if (!seen.emplace(a->second, true).second) continue;
    const participant& p = c.participants.at(a->second);
    if (p.id != exclude_participant_id) add(p);
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
