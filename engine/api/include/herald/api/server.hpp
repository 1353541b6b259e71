// The control API server: HTTP/1.1 + JSON on its own reactor thread, driving the conference engine.
// Control traffic never runs on an MSRP shard, so a 10^5-entry batch registration cannot stall delivery.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "herald/conference/engine.hpp"
#include "herald/control/http_connection.hpp"
#include "herald/control/http_request.hpp"
#include "herald/control/requests.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::api {

struct server_config {
  std::string token;  // empty: no Authorization required (only allowed on loopback; heraldd checks)
  // Appends further Prometheus text to /metrics (the daemon's --sip-rpc counters, build info).
  std::function<void(std::string&)> more_metrics;
  std::size_t max_request_body = 64u << 20;
  std::uint64_t head_timeout_ns = 10'000'000'000ULL;
  std::size_t max_connections = 1024;
  // HTTPS (--control-tls-cert/--control-tls-key): every control connection handshakes first.
  std::shared_ptr<const reactor::tls_endpoint> tls;
};

// Builds the HTTP response to one complete request. Runs on the API thread; reachable from tests.
class handlers {
 public:
  handlers(conference::engine& eng, const server_config& cfg) : engine_(eng), cfg_(cfg) {}
  void handle(const control::request& req, std::string& out);
  // With a token configured: false and a 401 response in out unless req's head carries it. The server
  // asks as soon as a head is complete, so nobody without the token gets a body buffered.
  bool authorized(const control::request& req, std::string& out) const;
  // The server reports its open connections here for /metrics (both run on the API thread).
  void set_api_connections(std::size_t n) { api_connections_ = n; }
  // The API's own shard, whose HTTPS handshake counters /metrics reports (read on the API thread too).
  void set_control_shard(const reactor::shard* s) { control_shard_ = s; }

 private:
  void health(std::string& out, bool keep_alive) const;
  void list_conferences(const control::request& req, std::string& out);
  void create_conference(const control::request& req, std::string& out);
  void get_conference(std::string_view id, const control::request& req, std::string& out);
  // The participant's transport (asked, or the focus's default); false with a 422 in out if not served.
  bool choose_transport(std::optional<control::transport_kind> asked, bool& tls, std::string& out,
                        bool keep_alive) const;
  void add_participant(std::string_view id, const control::request& req, std::string& out);
  void add_participants_batch(std::string_view id, const control::request& req, std::string& out);
  void send_message(std::string_view id, const control::request& req, std::string& out);
  void get_message(std::string_view id, std::string& out, bool keep_alive);
  void metrics(std::string& out, bool keep_alive);

  conference::engine& engine_;
  const server_config& cfg_;
  std::size_t api_connections_ = 0;
  const reactor::shard* control_shard_ = nullptr;
};

class server final : public reactor::connection_handler {
 public:
  server(conference::engine& eng, server_config cfg);
  ~server() override;
  // Starts the API thread and its listener; the bound port or -errno.
  int start(std::string_view host, std::uint16_t port);
  void stop();

  void on_open(reactor::shard& s, reactor::connection_ref c) override;
  std::size_t on_data(reactor::shard& s, reactor::connection_ref c, std::string_view bytes) override;
  void on_frames_written(reactor::shard& s, reactor::connection_ref c,
                         std::span<const std::uint64_t> tokens) override;
  void on_closed(reactor::shard& s, reactor::connection_ref c, reactor::close_reason why,
                 std::span<const std::uint64_t> unsent_tokens) override;

 private:
  struct connection;
  void write(reactor::connection_ref c, connection& conn, std::string&& bytes);
  void on_tick();
  void accept_loop();

  conference::engine& engine_;
  server_config cfg_;
  handlers handlers_;
  std::unique_ptr<reactor::shard> shard_;
  std::thread thread_;
  std::vector<connection*> connections_;
  // The control listener is accepted on a thread of its own rather than by the reactor: MSRP listeners
  // stop short of the descriptor limit (a reserve), and control connections are what that reserve is for.
  int listen_fd_ = -1;
  std::thread acceptor_;
  std::atomic<bool> accepting_{false};
};

}  // namespace herald::api
