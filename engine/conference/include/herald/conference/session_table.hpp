// A shard's MSRP sessions: slot-indexed with generations, so fan-out plans can name a session safely.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "herald/conference/delivery.hpp"
#include "herald/fanout/frame_template.hpp"
#include "herald/reactor/types.hpp"

namespace herald::conference {

struct session {
  std::uint32_t generation = 0;  // 0: slot free
  reactor::connection_ref conn;
  std::string session_id;
  std::string conference_id;
  std::string participant_id;
  std::string address;  // authenticated address: CPIM To of frames to it, From of its messages
  std::string display_name;
  // Its From-Path at binding (our To-Path, RFC 4975 §7.1), our From-Path msrp://<advertise>/<id>;tcp
  // and its CPIM To, formatted once for every frame stamped to it.
  fanout::recipient_bytes frame_bytes;
  std::string_view peer_path() const { return frame_bytes.to_path(); }
  std::string_view local_path() const { return frame_bytes.from_path(); }
};

class session_table {
 public:
  // A fresh slot (generation bumped); its fields are empty.
  std::uint32_t allocate();
  // The session if slot/generation still name it.
  session* get(std::uint32_t slot, std::uint32_t generation);
  static constexpr std::uint32_t npos = UINT32_MAX;
  std::uint32_t find_slot(std::string_view session_id) const;
  session& at(std::uint32_t slot) { return slots_[slot]; }
  // Registers the session id once the directory granted the binding.
  void index(std::uint32_t slot);
  // Frees the slot; targets still naming the old generation fail with `why`.
  void release(std::uint32_t slot, failure_reason why);
  // Why a target naming (slot, generation) is no longer served.
  failure_reason why_gone(std::uint32_t slot, std::uint32_t generation) const;
  std::size_t live() const { return live_; }

 private:
  std::deque<session> slots_;                // deque: sessions never move, so by_id_ can view their ids
  std::vector<failure_reason> last_reason_;  // reason the previous generation of each slot ended
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::string_view, std::uint32_t> by_id_;  // keys view slots_[i].session_id
  std::size_t live_ = 0;
};

}  // namespace herald::conference
