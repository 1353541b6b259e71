// A shard's inbound side: what arrives on its MSRP connections. Session binding (RFC 4975 §7.1,
// connection reuse), responses and REPORTs to our deliveries (handed to the outbound side), participants'
// messages (reassembled when chunked, then submitted to the engine), and the one place an inbound error
// becomes a status, a skip or a close. Also its limits: header timeout (slowloris), reassembly expiry.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "herald/conference/directory.hpp"
#include "herald/conference/reassembly.hpp"
#include "herald/conference/session_table.hpp"
#include "herald/conference/shard_service.hpp"
#include "herald/core/random.hpp"
#include "herald/msrp/parser.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::conference {

class engine;
class shard_outbound;

class shard_inbound {
 public:
  shard_inbound(engine& eng, reactor::shard& shard, session_table& sessions, shard_outbound& outbound);
  ~shard_inbound();
  shard_inbound(const shard_inbound&) = delete;
  shard_inbound& operator=(const shard_inbound&) = delete;

  void on_open(reactor::connection_ref c);
  // Consumes what it can of bytes; the rest is kept by the reactor and offered again with more.
  std::size_t on_data(reactor::connection_ref c, std::string_view bytes);
  // The connection has gone: its sessions are released with the reason it went for.
  void on_closed(reactor::connection_ref c, reactor::close_reason why);
  // The directory dropped these sessions (participant removed, conference deleted).
  void drop_sessions(const std::vector<binding>& gone, failure_reason why);
  // Expires chunked messages past their deadline and closes slow senders.
  void on_tick(std::uint64_t now_ns);

  const inbound_counters& counters() const { return counters_; }
  std::size_t connections() const { return connections_.size(); }
  std::uint64_t queued_bytes() const;
  std::uint64_t reassembly_bytes() const;

 private:
  struct connection_state;
  static constexpr std::uint32_t no_slot = UINT32_MAX;

  connection_state* state_of(reactor::connection_ref c) const;
  // A message the parser refused: answered, skipped or the connection closed. False when it closed.
  bool handle_malformed(connection_state& cs, const msrp::message& m, msrp::error_code error);
  void handle_request(connection_state& cs, const msrp::message& m);
  void handle_response(connection_state& cs, const msrp::message& m);
  void handle_report(connection_state& cs, const msrp::message& m);
  std::uint32_t bind_session(connection_state& cs, const msrp::message& m, int& status);
  void handle_chunk(connection_state& cs, std::uint32_t slot, const msrp::message& m);
  int submit_participant_message(session& s, std::string_view content_type, shared_buffer body);
  void send_success_report(session& s, std::string_view message_id, std::uint64_t total);
  void respond(reactor::connection_ref c, std::string_view tid, int status, std::string_view to_path,
               std::string_view from_path);
  void close(connection_state& cs, reactor::close_reason why);
  void update_queue_limit(connection_state& cs);
  void release_sessions(connection_state& cs, failure_reason why);

  engine& engine_;
  reactor::shard& shard_;
  session_table& sessions_;
  shard_outbound& outbound_;
  msrp::limits limits_;
  fast_rng rng_;
  std::vector<connection_state*> connections_;
  // Indexed by connection_ref::index. Kept here rather than in the reactor's user pointer because the
  // reactor clears that before on_closed, exactly when the sessions must be released.
  std::vector<connection_state*> by_index_;
  inbound_counters counters_{};
};

}  // namespace herald::conference
