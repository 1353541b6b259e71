// The API thread: one reactor shard serving HTTP/1.1 connections, each an http_connection state machine;
// and the acceptor thread feeding it control connections.
#include "herald/api/server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <latch>

#include "herald/control/http_response.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"
#include "herald/net/socket.hpp"

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
// If the descriptor table is full all the same (something beyond the MSRP reserve took it), the acceptor
// trades these for control connections: a health probe or an operator still gets an answer.
constexpr std::size_t kSpareFds = 4;
constexpr int kAcceptPollMs = 250;      // bounds how long stop() waits for the acceptor
constexpr int kExhaustedRetryMs = 100;  // like the MSRP listeners' accept_retry_ns
}  // namespace

server::server(conference::engine& eng, server_config cfg)
    : engine_(eng), cfg_(std::move(cfg)), handlers_(eng, cfg_) {}

server::~server() {
  stop();
}

int server::start(std::string_view host, std::uint16_t port) {
  reactor::shard_config sc;
  sc.id = 0;
  sc.max_connections = static_cast<std::uint32_t>(cfg_.max_connections);
  sc.recv_buffer_count = 64;
  sc.max_input_bytes = cfg_.max_request_body + 64 * 1024;
  sc.max_queue_bytes = 1u << 30;  // responses (a batch answer can be megabytes) are never "slow"
  shard_ = std::make_unique<reactor::shard>(sc, this);
  handlers_.set_control_shard(shard_.get());
  listen_fd_ = net::listen_tcp(host, port, true);
  if (listen_fd_ < 0) {
    int err = listen_fd_;
    listen_fd_ = -1;
    shard_.reset();
    return err;
  }
  net::set_nonblocking(listen_fd_, true);  // a peer gone between poll and accept4 must not block us
  const int bound = net::local_port(listen_fd_);
  std::latch ready(1);
  int result = 0;
  thread_ = std::thread([this, &ready, &result] {
    int rc = shard_->init();
    result = rc;
    if (rc >= 0) shard_->add_timer(monotonic_ns() + kTickNs, [this] { on_tick(); });
    ready.count_down();
    if (rc >= 0) shard_->run();
  });
  ready.wait();
  if (result < 0) {
    thread_.join();
    shard_.reset();
    ::close(listen_fd_);
    listen_fd_ = -1;
    return result;
  }
  accepting_.store(true);
  acceptor_ = std::thread([this] { accept_loop(); });
  return bound;
}

void server::stop() {
  if (!shard_) return;
  // The acceptor first, so nothing is handed to a stopping shard (a late adopt would keep it from
  // quiescing); a handoff already queued sees accepting_ false and closes its descriptor.
  accepting_.store(false);
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);  // wakes the acceptor's poll
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  shard_->stop();
  if (thread_.joinable()) thread_.join();
  for (connection* c : connections_) delete c;
  connections_.clear();
  shard_.reset();
}

void server::accept_loop() {
  std::vector<int> spares;
  auto refill = [&] {
    while (spares.size() < kSpareFds) {
      int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return;  // still exhausted: tried again after the next accept
      spares.push_back(fd);
    }
  };
  refill();
  while (accepting_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kAcceptPollMs) <= 0 || !accepting_.load()) {
      refill();
      continue;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && !spares.empty()) {
      // Another thread could take the freed number first (between close and accept4); then this waits.
      ::close(spares.back());
      spares.pop_back();
      fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    }
    if (fd < 0) {
      // The connection stays in the backlog; polling again at once would spin while it cannot be taken.
      if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS)
        ::poll(nullptr, 0, kExhaustedRetryMs);
      continue;
    }
    shard_->post([this, fd] {
      if (!accepting_.load()) {
        ::close(fd);
        return;
      }
      (void)shard_->adopt(fd, cfg_.tls);  // on failure the reactor has closed fd
    });
    refill();
  }
  for (int fd : spares) ::close(fd);
}

void server::on_open(reactor::shard& s, reactor::connection_ref c) {
  control::limits lim;
  lim.max_body_bytes = cfg_.max_request_body;
  lim.head_timeout_ns = cfg_.head_timeout_ns;
  auto* conn = new connection(lim);
  conn->ref = c;
  conn->index = connections_.size();
  connections_.push_back(conn);
  handlers_.set_api_connections(connections_.size());
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
    if (e == control::http_error::need_more && conn->http.awaiting_body()) {
      // The token is checked on the head: without it, the client is answered 401 and closed before
      // its body is buffered (and before a 100 Continue invites it).
      std::string refusal;
      if (!handlers_.authorized(req, refusal)) {
        write(c, *conn, std::move(refusal));
        conn->closing = true;
        s.close_after_flush(c, reactor::close_reason::local);
        break;
      }
    }
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
  handlers_.set_api_connections(connections_.size());
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
