// The conference directory: conferences, participants, their session ids and where each is bound.
// Control-path state behind one mutex; the data path never takes it (shards get plans, not locks).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "herald/conference/delivery.hpp"
#include "herald/conference/slot_index.hpp"

namespace herald::conference {

enum class directory_error : std::uint8_t {
  ok = 0,
  no_such_conference,
  no_such_participant,
  no_such_session,    // MSRP 481
  duplicate_address,  // HTTP 409
  too_many_conferences,
  too_many_participants,
  session_bound_elsewhere,  // MSRP 403
  entropy_unavailable,
};
std::string_view to_string(directory_error);

// Where a bound session lives: the shard that owns its connection and the session's slot there.
struct binding {
  int shard = -1;
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  bool bound() const { return shard >= 0; }
};

struct participant {
  std::string id;
  std::string address;
  std::string display_name;
  std::string session_id;
  binding where;
  std::uint32_t order = 0;  // position in registration order = index in the conference's roster
};

struct conference_info {
  std::string id;
  std::string uri;
  std::string display_name;
  std::size_t participant_count = 0;
};

// Returned on bind: what the shard needs to serve the session without asking again.
struct session_grant {
  std::string conference_id;
  std::string participant_id;
  std::string address;
  std::string display_name;
};

// One fan-out target: its index in the message record, its address, and where it is bound.
struct fanout_target {
  std::uint32_t recipient = 0;
  binding where;
};

struct fanout_plan {
  std::string conference_uri;
  std::string conference_display_name;
  std::shared_ptr<const roster> members_of;  // the conference's roster when planned
  bool everyone = false;                     // recipients = the whole roster, in order
  std::vector<std::uint32_t> members;        // else: recipient number -> roster index
  std::vector<fanout_target> targets;        // recipient number and where it is bound
  std::vector<std::string> unknown;          // requested addresses not in the conference
  std::size_t recipients() const { return everyone ? members_of->addresses.size() : members.size(); }
};

struct directory_limits {
  std::size_t max_conferences = 10'000;
  std::size_t max_participants_per_conference = 2'000'000;
};

class directory {
 public:
  explicit directory(directory_limits limits = {}) : limits_(limits) {}

  directory_error create_conference(std::string uri, std::string display_name, conference_info& out);
  directory_error get_conference(std::string_view id, conference_info& out) const;
  // Participants [offset, offset+limit) in registration order.
  directory_error list_participants(std::string_view id, std::size_t offset, std::size_t limit,
                                    std::vector<participant>& out) const;
  // Removes the conference; `unbound` receives the bindings the shards must drop.
  directory_error delete_conference(std::string_view id, std::vector<binding>& unbound);

  directory_error add_participant(std::string_view conference_id, std::string address,
                                  std::string display_name, participant& out);
  // All or nothing: a duplicate (within the batch or with existing participants) or a limit adds none.
  // `duplicate` receives the offending address.
  directory_error add_participants(std::string_view conference_id,
                                   std::vector<std::pair<std::string, std::string>> address_and_name,
                                   std::vector<participant>& out, std::string& duplicate);
  directory_error remove_participant(std::string_view conference_id, std::string_view participant_id,
                                     binding& unbound);

  // A shard binds a session id presented in a To-Path to one of its connections' session slots.
  directory_error bind(std::string_view session_id, binding where, session_grant& out);
  // Drops a binding if it is still the one given (a rebind elsewhere must not be undone).
  void unbind(std::string_view session_id, binding where);

  // Targets for a message: all participants (to empty) or the named addresses, minus `exclude`.
  directory_error plan(std::string_view conference_id, const std::vector<std::string>& to,
                       std::string_view exclude_participant_id, fanout_plan& out) const;

  std::size_t conference_count() const;
  std::size_t participant_count() const;
  std::size_t bound_count() const;

 private:
  static constexpr std::size_t object_id_chars = 13;   // make_object_id
  static constexpr std::size_t session_id_chars = 22;  // make_session_id
  struct conference_entry;
  // One participant, packed for 10^6-participant conferences: ids inline, address and display name in one
  // allocation (~80 bytes + text; a `participant` in an unordered_map node with its copies in three maps
  // cost ~560 bytes). Slots are indices into members_; a free slot has no conference.
  struct member {
    conference_entry* conference = nullptr;
    std::unique_ptr<char[]> text;  // address, then display name
    binding where;
    std::uint32_t order = 0;  // position in registration order = index in the conference's roster
    std::uint32_t address_len = 0;
    std::uint32_t name_len = 0;
    char id[object_id_chars];
    char session_id[session_id_chars];
    std::string_view id_view() const { return {id, object_id_chars}; }
    std::string_view session_view() const { return {session_id, session_id_chars}; }
    std::string_view address() const { return {text.get(), address_len}; }
    std::string_view display_name() const { return {text.get() + address_len, name_len}; }
  };
  struct conference_entry {
    conference_info info;
    // Member slots in registration order: plans walk this instead of hashing every participant.
    std::vector<std::uint32_t> order;
    // Addresses in registration order, rebuilt by the first plan after a membership change.
    mutable std::shared_ptr<const roster> snapshot;
    slot_index by_id;       // participant id -> member slot
    slot_index by_address;  // address -> member slot
  };

  std::uint32_t find_id(const conference_entry& c, std::string_view participant_id) const;
  std::uint32_t find_address(const conference_entry& c, std::string_view address) const;
  void fill(const member& m, participant& out) const;
  void free_member(std::uint32_t slot);
  directory_error add_locked(conference_entry& c, std::string address, std::string display_name,
                             participant& out);

  directory_limits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, conference_entry> conferences_;  // nodes never move: members point here
  std::deque<member> members_;                                     // every conference's participants
  std::vector<std::uint32_t> free_members_;
  slot_index sessions_;  // session id -> member slot
  std::size_t participants_ = 0;
  std::size_t bound_ = 0;
};

// Random identifiers. Session ids carry >= 80 bits (22 alnum chars ~ 131 bits) from the OS CSPRNG.
bool make_session_id(std::string& out);
bool make_object_id(char prefix, std::string& out);

}  // namespace herald::conference
