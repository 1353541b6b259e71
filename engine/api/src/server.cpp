// The API thread: one reactor shard serving HTTP/1.1 connections, each an http_connection state machine.
#include <latch>

#include "herald/api/server.hpp"
#include "herald/control/http_response.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"

namespace herald::api {

struct server::connection {
  explicit connection(const control::limits& lim) : http(lim) {}
  control::http_connection http;
  reactor::connection_ref ref;
  std::size_t index = 0;
  bool closing = false;
};

namespace {
constexpr std::uint64_t kTickNs = 250'000'000;
}

server::server(conference::engine& eng, server_config cfg)
    : engine_(eng), cfg_(std::move(cfg)), handlers_(eng, cfg_) {}

server::~server() { stop(); }

int server::start(std::string_view host, std::uint16_t port) {
  reactor::shard_config sc;
  sc.id = 0;
  sc.max_connections = static_cast<std::uint32_t>(cfg_.max_connections);
  sc.recv_buffer_count = 64;
  sc.max_input_bytes = cfg_.max_request_body + 64 * 1024;
  sc.max_queue_bytes = 1u << 30;  // responses (a batch answer can be megabytes) are never "slow"
  shard_ = std::make_unique<reactor::shard>(sc, this);
  std::latch ready(1);
  int result = 0;
  thread_ = std::thread([this, &ready, &result, host = std::string(host), port] {
    int rc = shard_->init();
    if (rc == 0) rc = shard_->listen(host, port);
    result = rc;
    if (rc >= 0) shard_->add_timer(monotonic_ns() + kTickNs, [this] { on_tick(); });
    ready.count_down();
    if (rc >= 0) shard_->run();
  });
  ready.wait();
  if (result < 0) {
    thread_.join();
    shard_.reset();
  }
  return result;
}

void server::stop() {
  if (!shard_) return;
  shard_->stop();
  if (thread_.joinable()) thread_.join();
  for (connection* c : connections_) delete c;
  connections_.clear();
  shard_.reset();
}

void server::on_open(reactor::shard& s, reactor::connection_ref c) {
  control::limits lim;
  lim.max_body_bytes = cfg_.max_request_body;
  lim.head_timeout_ns = cfg_.head_timeout_ns;
  auto* conn = new connection(lim);
  conn->ref = c;
  conn->index = connections_.size();
  connections_.push_back(conn);
  s.set_user(c, conn);
}

void server::write(reactor::connection_ref c, connection&, std::string&& bytes) {
  // The response lives in a shared buffer the reactor releases once written: no copy per write call.
  shared_buffer buf = shared_buffer::copy_of(bytes);
  reactor::frame f;
  f.add(buf.view());
  f.body = std::move(buf);
  shard_->send(c, std::move(f));
}

std::size_t server::on_data(reactor::shard& s, reactor::connection_ref c, std::string_view bytes) {
  auto* conn = static_cast<connection*>(s.user(c));
  if (!conn || conn->closing) return bytes.size();
  conn->http.feed(bytes, monotonic_ns());
  while (true) {
    control::request req;
    control::http_error e = conn->http.next(req);
    std::string_view interim = conn->http.take_interim_response();
    if (!interim.empty()) write(c, *conn, std::string(interim));
    if (e == control::http_error::need_more) break;
    std::string out;
    if (e != control::http_error::ok) {
      control::write_error_response(out, e);
      write(c, *conn, std::move(out));
      conn->closing = true;
      s.close_after_flush(c, reactor::close_reason::local);
      break;
    }
    handlers_.handle(req, out);
    write(c, *conn, std::move(out));
    if (!req.keep_alive || conn->http.closing()) {
      conn->closing = true;
      s.close_after_flush(c, reactor::close_reason::local);
      break;
    }
  }
  return bytes.size();
}

void server::on_frames_written(reactor::shard&, reactor::connection_ref, std::span<const std::uint64_t>) {}

void server::on_closed(reactor::shard&, reactor::connection_ref c, reactor::close_reason,
                       std::span<const std::uint64_t>) {
  // The reactor has already cleared the user pointer of a closed connection, so find it by its ref
  // (API connections are few: a scan beats another index).
  connection* conn = nullptr;
  for (connection* candidate : connections_)
    if (candidate->ref == c) conn = candidate;
  if (!conn) return;
  connections_[conn->index] = connections_.back();
  connections_[conn->index]->index = conn->index;
  connections_.pop_back();
  delete conn;
}

void server::on_tick() {
  std::uint64_t now = monotonic_ns();
  for (connection* conn : connections_) {
    if (conn->closing) continue;
    control::http_error e = conn->http.on_tick(now);
    if (e == control::http_error::ok) continue;
    // Slowloris: the head did not complete in time; answer 408 and close.
    std::string out;
    control::write_error_response(out, e);
    write(conn->ref, *conn, std::move(out));
    conn->closing = true;
    shard_->close_after_flush(conn->ref, reactor::close_reason::timeout);
  }
  // Delivery records past --message-retention are dropped here, off the MSRP shards.
  engine_.tracker().expire(now);
  shard_->add_timer(now + kTickNs, [this] { on_tick(); });
}

}  // namespace herald::api
