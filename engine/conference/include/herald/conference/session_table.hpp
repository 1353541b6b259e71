// A shard's MSRP sessions: slot-indexed with generations, so fan-out plans can name a session safely.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "herald/conference/delivery.hpp"
#include "herald/conference/slot_index.hpp"
#include "herald/fanout/frame_template.hpp"
#include "herald/reactor/types.hpp"

namespace herald::conference {

// A conference or participant id held inline: the directory's ids are 13 characters, and a std::string
// here cost 32 bytes each in every bound session.
class inline_id {
 public:
  static constexpr std::size_t capacity = 15;
  // False (and left empty) if id is longer than capacity.
  bool assign(std::string_view id);
  std::string_view view() const { return {chars_, len_}; }

 private:
  char chars_[capacity] = {};
  std::uint8_t len_ = 0;
};

struct session {
  std::uint32_t generation = 0;  // 0: slot free
  reactor::connection_ref conn;
  inline_id conference_id;
  inline_id participant_id;
  member_ref member;         // the directory member bound here: left out of its own messages' plans
  bool reports_end = false;  // its participant joined through SIP: losing the session ends the dialog
  // Its From-Path at binding (our To-Path, RFC 4975 §7.1), our From-Path msrp://<advertise>/<session-id>;tcp
  // and its CPIM To `"name" <address>`, formatted once for every frame stamped to it. The session id, the
  // authenticated address and the display name are read back from these bytes instead of being stored
  // again (64 bytes a session plus these, where five std::strings took 160 plus two allocations).
  fanout::recipient_bytes frame_bytes;

  bool bound() const { return !frame_bytes.empty(); }
  std::string_view peer_path() const { return frame_bytes.to_path(); }
  std::string_view local_path() const { return frame_bytes.from_path(); }
  // The session id of local_path(): between its last '/' and ";tcp".
  std::string_view session_id() const;
  // Authenticated address: CPIM To of frames to it, From of its messages.
  std::string_view address() const { return frame_bytes.to_uri(); }
  // Its display name, unescaped from the CPIM To's quoted formal name; called per message, not per frame.
  std::string display_name() const;
};

class session_table {
 public:
  // A fresh slot (generation bumped); its fields are empty.
  std::uint32_t allocate();
  // The session if slot/generation still name a bound session. Inline: every delivery looks its
  // session up when stamped and again when its 200 settles.
  session* get(std::uint32_t slot, std::uint32_t generation) {
    if (slot >= slots_.size()) return nullptr;
    session& s = slots_[slot];
    return (s.generation == generation && s.bound()) ? &s : nullptr;
  }
  // Cache hints for a fan-out about to stamp slot: the session, then (once that has arrived) the frame
  // bytes it points to. Sessions of one connection lie a stride apart and each holds its own bytes, so
  // at 10^5 sessions both would otherwise miss on every target.
  void prefetch(std::uint32_t slot) const {
    if (slot < slots_.size()) __builtin_prefetch(&slots_[slot]);
  }
  void prefetch_frame_bytes(std::uint32_t slot) const {
    if (slot >= slots_.size()) return;
    const std::string_view b = slots_[slot].frame_bytes.paths();
    if (b.empty()) return;
    __builtin_prefetch(b.data());
    __builtin_prefetch(b.data() + 64);
    __builtin_prefetch(b.data() + 128);
  }
  static constexpr std::uint32_t npos = UINT32_MAX;
  std::uint32_t find_slot(std::string_view session_id) const;
  session& at(std::uint32_t slot) { return slots_[slot]; }
  // Registers the session id (read from frame_bytes) once the directory granted the binding.
  void index(std::uint32_t slot);
  // Frees the slot; targets still naming the old generation fail with `why`.
  void release(std::uint32_t slot, failure_reason why);
  // Why a target naming (slot, generation) is no longer served.
  failure_reason why_gone(std::uint32_t slot, std::uint32_t generation) const;
  std::size_t live() const { return live_; }

 private:
  std::deque<session> slots_;  // deque: sessions never move while handlers hold references
  struct ended_generation {
    std::uint32_t generation = 0;
    failure_reason why = failure_reason::not_connected;
  };
  std::vector<ended_generation> ended_;  // the last generation of each slot that ended, and why
  std::vector<std::uint32_t> free_;
  slot_index by_id_;  // session id -> slot, for bound (indexed) sessions
  std::size_t live_ = 0;
};

}  // namespace herald::conference
