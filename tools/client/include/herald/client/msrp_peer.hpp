// A test-side MSRP peer: one TCP connection carrying many sessions, as a relay or gateway does.
// Blocking sockets + poll, deliberately independent of the engine's reactor so it tests it from outside.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/msrp/parser.hpp"
#include "herald/tls/session.hpp"

namespace herald::client {

std::uint64_t now_ms();

struct received_send {
  std::string transaction_id;
  std::string to_path;
  std::string from_path;
  std::string message_id;
  std::string content_type;
  std::string byte_range;  // as written
  std::string body;        // this chunk's data
  char flag = '$';
  std::string success_report, failure_report;
};

// The REPORT a recipient sends for a whole message (RFC 4975 §7.1.2).
std::string report_for(std::string_view to_path, std::string_view from_path, std::string_view message_id,
                       std::uint64_t total, int status, std::string_view tid);

struct received_response {
  std::string transaction_id;
  int status = 0;
};

struct received_report {
  std::string transaction_id;
  std::string message_id;
  std::string status;
  std::string byte_range;
};

// What the peer does with SENDs it receives.
struct peer_policy {
  int respond_with = 200;  // status to answer SENDs with; 0 = never answer
  bool read = true;        // false: stop reading entirely (slow consumer)
  // A SEND asking Success-Report: yes gets a REPORT with this status once its last chunk arrived (RFC 4975
  // §7.1.2, whole message: Byte-Range 1-total/total); 0 = never send one.
  int report_with = 200;
};

class msrp_peer {
 public:
  msrp_peer() = default;
  ~msrp_peer();
  msrp_peer(const msrp_peer&) = delete;
  msrp_peer& operator=(const msrp_peer&) = delete;

  // Connects to ipv4:port (a dotted-quad literal); returns 0 or -errno. rcvbuf > 0 shrinks SO_RCVBUF first.
  int connect(std::uint16_t port, int rcvbuf = 0, const char* ipv4 = "127.0.0.1");
  // connect() and then a TLS handshake as the client, within timeout_ms: 0, -errno, or -EPROTO with
  // tls_failure() saying why (the server's alert, a certificate that did not verify...). The TLS runs over
  // memory I/O, so a test can also write ciphertext as it likes (send_ciphertext).
  int connect_tls(std::uint16_t port, const tls::context& ctx, int rcvbuf = 0, int timeout_ms = 10000);
  bool tls() const { return tls_ != nullptr; }
  tls::failure tls_failure() const { return tls_failure_; }
  std::string tls_failure_detail() const { return tls_failure_detail_; }
  tls::session* tls_session() { return tls_.get(); }
  // Writes raw bytes to the socket, bypassing TLS (half a record, garbage).
  void send_ciphertext(std::string_view bytes);
  void close();
  // Closes with SO_LINGER 0 so the server sees a reset.
  void reset();
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // The URI this peer uses as its own end of session n: msrp://127.0.0.1:9/<tag>-<n>;tcp.
  std::string own_path(std::string_view herald_path) const;

  // Sends a bodiless SEND for each path (pipelined) and waits for every response; returns the
  // statuses in order (0 where none came within timeout_ms).
  std::vector<int> bind(const std::vector<std::string>& herald_paths, int timeout_ms = 10000);
  // Binds one session from `from_path` instead of own_path (the endpoint a SIP offer's a=path named, which
  // is the only one Herald lets bind it); the response's status, 0 if none came within timeout_ms.
  int bind_from(std::string_view herald_path, std::string_view from_path, int timeout_ms = 10000);

  // Sends a SEND with a body (one chunk unless chunk_flag says otherwise); returns its tid.
  std::string send(std::string_view herald_path, std::string_view content_type, std::string_view body,
                   std::string_view extra_headers = "", std::string_view message_id = "",
                   std::string_view byte_range = "", char flag = '$');
  void send_raw(std::string_view bytes);

  // Reads and handles what arrived, for up to timeout_ms or until pred() is true.
  template <typename Pred>
  bool pump_until(Pred pred, int timeout_ms);
  bool pump_once(int timeout_ms);  // false on EOF/error

  peer_policy policy;
  std::vector<received_send> sends;
  std::vector<received_response> responses;
  std::vector<received_report> reports;
  bool eof = false;
  std::string tag = "peer";

 private:
  void handle(const msrp::message& m);
  // A bodiless SEND binding `herald_path` from `from_path`, with a fresh transaction id put in `tid`.
  std::string bind_request(std::string_view herald_path, std::string_view from_path, std::string& tid);
  void write_all(std::string_view bytes);
  void write_socket(std::string_view bytes);
  // Decrypts what arrived into in_; false if TLS failed or the server closed with close_notify.
  bool take_tls_input(std::string_view ciphertext);

  int fd_ = -1;
  std::unique_ptr<tls::session> tls_;
  tls::failure tls_failure_ = tls::failure::none;
  std::string tls_failure_detail_;
  std::string in_;
  std::uint64_t next_tid_ = 1;
};

template <typename Pred>
bool msrp_peer::pump_until(Pred pred, int timeout_ms) {
  std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  while (!pred()) {
    std::uint64_t now = now_ms();
    if (now >= deadline) return false;
    if (!pump_once(static_cast<int>(deadline - now)) && !pred()) return false;
  }
  return true;
}

}  // namespace herald::client
