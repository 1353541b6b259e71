// A running heraldd with one conference whose participants are bound over a few multiplexed connections.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/client/daemon_process.hpp"
#include "herald/client/http_client.hpp"
#include "herald/client/msrp_peer.hpp"

namespace herald::e2e {

using namespace herald::client;

struct participant_handle {
  std::string id;
  std::string address;
  std::string path;      // Herald's session URI (our To-Path)
  std::size_t peer = 0;  // index of the connection it is bound over
};

class conference_fixture {
 public:
  // Starts heraldd with `args`; false if it did not come up.
  bool start(const std::vector<std::string>& args = {"--shards", "2"});
  // Creates a conference and registers `participants` (batch API); addresses sip:u<i>@example.com.
  bool create(std::size_t participants, std::string uri = "sip:team@example.com",
              std::string display_name = "Team");
  // Opens `connections` peers and binds every participant round-robin over them; all must get 200.
  // rcvbuf[i] > 0 shrinks peer i's SO_RCVBUF before it connects (slow consumers).
  bool connect_all(std::size_t connections, const std::map<std::size_t, int>& rcvbuf = {});
  // Opens one more peer without binding anything; returns its index in peers.
  std::size_t add_peer(const std::string& tag);
  // Pumps `p` until it has a response to `tid`; its status, or 0 if none came in time.
  int wait_response(msrp_peer& p, const std::string& tid, int timeout_ms = 10000);
  // Received SENDs per participant index (SIZE_MAX: a To-Path no participant owns).
  std::map<std::size_t, std::vector<const received_send*>> by_participant() const;
  // GET /v1/messages/{id} until `pred(body)` or the timeout; returns the last body.
  template <typename Pred>
  std::string wait_status(const std::string& message_id, Pred pred, int timeout_ms = 20000) {
    std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    http_reply r;
    while (now_ms() < deadline) {
      r = message_status(message_id);
      if (r.status == 200 && pred(r.body)) return r.body;
      pump_some(5);
    }
    return r.body;
  }
  // POST /v1/conferences/{id}/messages with a JSON body; returns the reply.
  http_reply post_message(const std::string& json);
  http_reply message_status(const std::string& message_id);
  // Pumps every peer until `pred` or the timeout.
  template <typename Pred>
  bool pump_all_until(Pred pred, int timeout_ms) {
    std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    while (!pred()) {
      if (now_ms() >= deadline) return false;
      for (auto& p : peers) p->pump_once(0);
      pump_some(5);
    }
    return true;
  }
  // Waits until GET /v1/messages/{id} reports pending == 0; returns the final status body.
  std::string wait_complete(const std::string& message_id, int timeout_ms = 20000);
  std::size_t total_sends() const;
  void pump_some(int timeout_ms);

  // With a client context, peers connect to the --msrps port over TLS (and `transport` is sent with each
  // registered participant when set).
  std::shared_ptr<tls::context> tls;
  std::string transport;
  int connect_peer(msrp_peer& p, int rcvbuf = 0);

  daemon_process daemon;
  std::string conference_id;
  std::string conference_uri;
  std::vector<participant_handle> participants;
  std::vector<std::unique_ptr<msrp_peer>> peers;
};

// What a recipient's CPIM body says (RFC 3862), for checking deliveries.
struct cpim_view {
  bool parsed = false;
  std::string from, to, content_type, body;
  std::int64_t datetime = -1;  // epoch seconds of its DateTime, -1 when it has none
};
cpim_view parse(const received_send& s);
// RFC 4648 base64, for the API's body_base64.
std::string base64(std::string_view in);

// Appends the `count` participants of a participants:batch reply, in order; false if any is missing.
bool parse_batch_reply(std::string_view body, std::size_t count, std::vector<participant_handle>& out);

// One entry of a message status's "failures" array.
struct failure_entry {
  bool found = false;
  std::int64_t status = 0;
  std::string reason;
};
// The failure listed for `address` in a GET /v1/messages/{id} body.
failure_entry failure_of(const std::string& status_body, const std::string& address);
// Every failure reason listed, in order.
std::vector<std::string> failure_reasons(const std::string& status_body);

}  // namespace herald::e2e
