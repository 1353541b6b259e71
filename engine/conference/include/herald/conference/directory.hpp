// The conference directory: conferences, participants, their session ids and where each is bound.
// Control-path state behind one mutex, held only for O(1) work (or O(page), O(named recipients)) where a
// shard can wait on it: binds, lookups, the start of a plan. A plan walks the conference's frozen roster
// and reads each member's binding from a lock-free cell, so a 10^5-recipient participant message does not
// stall every shard's binds and the API behind it.
#pragma once

#include <atomic>
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
  duplicate_uri,      // HTTP 409: another conference has this URI
  too_many_conferences,
  too_many_participants,
  session_bound_elsewhere,  // MSRP 506
  entropy_unavailable,
};
std::string_view to_string(directory_error);

// Where a bound session lives: the shard that owns its connection and the session's slot there.
struct binding {
  static constexpr int unbound = -1;
  static constexpr int removed = -2;  // the member left the conference after the plan's roster was taken
  int shard = unbound;
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  constexpr bool bound() const { return shard >= 0; }
  friend bool operator==(const binding&, const binding&) = default;
};

// The SIP dialog a participant was created for (by a signalling front end, from an INVITE), so that its
// leaving can end the dialog: the BYE goes from local (the conference) to remote (the client).
struct sip_dialog {
  std::string call_id;
  std::string local_uri;
  std::string local_tag;
  std::string remote_uri;
  std::string remote_tag;
  std::string remote_target;  // the client's Contact URI
};

// What a participant that joined through SIP carries besides its address.
struct signalling {
  // RFC 4975 §8.2: the endpoint URI its SDP offer's a=path ended with. Its session binds only from it
  // (the last URI of the bind's From-Path); anyone else gets 403. Empty: any peer (API participants).
  std::string expected_peer;
  std::optional<sip_dialog> dialog;
};

struct participant {
  std::string id;
  std::string address;
  std::string display_name;
  std::string session_id;
  binding where;
  std::uint32_t order = 0;  // position in registration order = index in the conference's roster
  member_ref member;        // its directory member, as its session's grant names it
  std::optional<signalling> sip;
  bool tls = false;  // its session is msrps: path msrps://…, binds only over a TLS connection
};

// One entry of a batch registration.
struct new_participant {
  std::string address;
  std::string display_name;
  bool tls = false;
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
  member_ref member;          // excluded from the plans of this participant's own messages
  std::string expected_peer;  // signalling::expected_peer: the From-Path endpoint the bind must come from
  bool has_dialog = false;    // a SIP dialog ends with the participant: its session's end is reported
  bool tls = false;           // an msrps session: a plaintext connection may not bind it (403)
};

// One fan-out target: its index in the message record, and where it is bound.
struct fanout_target {
  std::uint32_t recipient = 0;
  binding where;
};

struct fanout_plan {
  std::string conference_uri;
  std::string conference_display_name;
  std::shared_ptr<const roster> members_of;  // the conference's roster when planned
  recipient_set who;                         // which of its entries are recipients
  std::vector<fanout_target> targets;        // recipient number and where it is bound, in roster order
  std::vector<std::string> unknown;          // requested addresses not in the conference
  std::size_t recipients() const { return who.size(members_of->addresses.size()); }
};

struct directory_limits {
  std::size_t max_conferences = 10'000;
  std::size_t max_participants_per_conference = 2'000'000;
};

class directory {
 public:
  explicit directory(directory_limits limits = {});
  ~directory();

  // duplicate_uri when another conference already has `uri` (compared byte for byte).
  directory_error create_conference(std::string uri, std::string display_name, conference_info& out);
  directory_error get_conference(std::string_view id, conference_info& out) const;
  directory_error find_conference_by_uri(std::string_view uri, conference_info& out) const;
  // Conferences [offset, offset+limit) in creation order; `total` receives how many there are.
  void list_conferences(std::size_t offset, std::size_t limit, std::vector<conference_info>& out,
                        std::size_t& total) const;
  // Participants [offset, offset+limit) in registration order.
  directory_error list_participants(std::string_view id, std::size_t offset, std::size_t limit,
                                    std::vector<participant>& out) const;
  // One participant by id: an index lookup, nothing copied but it.
  directory_error get_participant(std::string_view conference_id, std::string_view participant_id,
                                  participant& out) const;
  // Removes the conference; `unbound` receives the bindings the shards must drop, `dialogs` (if given)
  // the SIP dialogs of its participants, to end them.
  directory_error delete_conference(std::string_view id, std::vector<binding>& unbound,
                                    std::vector<sip_dialog>* dialogs = nullptr);

  directory_error add_participant(std::string_view conference_id, std::string address,
                                  std::string display_name, participant& out,
                                  std::optional<signalling> sip = {}, bool tls = false);
  // All or nothing: a duplicate (within the batch or with existing participants) or a limit adds none.
  // `duplicate` receives the offending address.
  directory_error add_participants(std::string_view conference_id, std::vector<new_participant> entries,
                                   std::vector<participant>& out, std::string& duplicate);
  // `left` receives the participant as it was (its dialog, to end it).
  directory_error remove_participant(std::string_view conference_id, std::string_view participant_id,
                                     binding& unbound, participant* left = nullptr);

  // A shard binds a session id presented in a To-Path to one of its connections' session slots.
  directory_error bind(std::string_view session_id, binding where, session_grant& out);
  // Drops a binding if it is still the one given (a rebind elsewhere must not be undone).
  void unbind(std::string_view session_id, binding where);

  // Targets for a message: all participants (to empty) or the named addresses, minus `sender` (a
  // participant's own message). The lock is held to take the roster (rebuilt first if membership changed)
  // and to look named addresses up; the walk over the roster reads bindings without it.
  directory_error plan(std::string_view conference_id, const std::vector<std::string>& to, member_ref sender,
                       fanout_plan& out) const;

  std::size_t conference_count() const;
  std::size_t participant_count() const;
  std::size_t bound_count() const;

 private:
  static constexpr std::size_t object_id_chars = 13;   // make_object_id
  static constexpr std::size_t session_id_chars = 22;  // make_session_id
  struct conference_entry;
  // One participant, packed for 10^6-participant conferences: ids inline, address and display name in one
  // allocation (~80 bytes + text; a `participant` in an unordered_map node with its copies in three maps
  // cost ~560 bytes). Slots are indices into members_; a free slot has no conference. Its binding lives in
  // the member's cell (binding_cells), where plans read it without the lock.
  struct member {
    conference_entry* conference = nullptr;
    std::unique_ptr<char[]> text;     // address, then display name
    std::unique_ptr<signalling> sip;  // only for participants that joined through SIP
    std::uint32_t order = 0;          // position in registration order = index in the conference's roster
    std::uint32_t address_len = 0;
    std::uint32_t name_len = 0;
    bool tls = false;
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
    // The roster in registration order, rebuilt by the first plan after a membership change.
    mutable std::shared_ptr<const roster> snapshot;
    slot_index by_id;       // participant id -> member slot
    slot_index by_address;  // address -> member slot
  };

  // Every member's binding and generation in cells that never move and are never freed, so a plan may
  // read them while the lock is held by a bind (a seqlock on the member generation: a slot reused by
  // another participant mid-read is seen, never mistaken for the planned one). Written under the lock.
  class binding_cells {
   public:
    binding_cells();
    ~binding_cells();
    // Makes slot's cell exist (before the first member in it); false past the capacity.
    bool reserve(std::uint32_t slot);
    std::uint32_t generation(std::uint32_t slot) const;
    binding get(std::uint32_t slot) const;  // lock held
    void set(std::uint32_t slot, binding where);
    // The member in slot left: unbound, and a new generation for the next one.
    void retire(std::uint32_t slot);
    // No lock: the member's binding, binding::removed if the slot no longer holds that member.
    binding read(member_ref m) const;

   private:
    struct cell;
    static constexpr std::uint32_t chunk_bits = 12;
    static constexpr std::uint32_t max_chunks = 1u << 14;  // 67M members
    cell* at(std::uint32_t slot) const;
    std::unique_ptr<std::atomic<cell*>[]> chunks_;
  };

  conference_entry* find_locked(std::string_view id) const;
  std::uint32_t find_id(const conference_entry& c, std::string_view participant_id) const;
  std::uint32_t find_address(const conference_entry& c, std::string_view address) const;
  void fill(std::uint32_t slot, participant& out) const;
  void fill(const conference_entry& c, conference_info& out) const;
  void free_member(std::uint32_t slot);
  directory_error add_locked(conference_entry& c, std::string address, std::string display_name,
                             participant& out, std::optional<signalling> sip = {}, bool tls = false);
  std::shared_ptr<const roster> roster_locked(const conference_entry& c) const;

  directory_limits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, conference_entry> conferences_;  // nodes never move: members point here
  std::unordered_map<std::string, conference_entry*> by_uri_;
  std::vector<conference_entry*> creation_order_;  // for paged listing
  std::deque<member> members_;                     // every conference's participants
  std::vector<std::uint32_t> free_members_;
  binding_cells cells_;
  slot_index sessions_;  // session id -> member slot
  std::size_t participants_ = 0;
  std::size_t bound_ = 0;
};

// Random identifiers. Session ids carry >= 80 bits (22 alnum chars ~ 131 bits) from the OS CSPRNG.
bool make_session_id(std::string& out);
bool make_object_id(char prefix, std::string& out);

}  // namespace herald::conference
