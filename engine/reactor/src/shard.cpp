// The shard loop: CQE dispatch by tagged user_data, accept/recv/connect, close and finalisation, stop.
#include "herald/reactor/shard.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>

#include "detail.hpp"
#include "herald/core/clock.hpp"
#include "herald/net/socket.hpp"

namespace herald::reactor {

using detail::conn_state;
using detail::connection;
using detail::listener;
using detail::make_tag;
using detail::op_kind;

namespace {
thread_local shard* t_current = nullptr;
constexpr std::uint32_t no_slot = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t cqe_batch = 256;
// Bytes of a new receive first appended to a message the previous receive split (see hand_to_handler).
constexpr std::size_t carry_probe_bytes = 512;

struct current_guard {
  shard* saved;
  explicit current_guard(shard* s) : saved(t_current) { t_current = s; }
  ~current_guard() { t_current = saved; }
};
}  // namespace

shard* shard::current() {
  return t_current;
}

shard::shard(const shard_config& cfg, connection_handler* handler)
    : cfg_(cfg), handler_(handler), header_pool_(cfg.header_chunk_bytes) {}

shard::~shard() {
  // The kernel may still reference connection buffers (msghdr, provided buffers) until the ring is gone,
  // so the ring goes first and the buffer memory after it.
  ring_.exit();
  bufs_.reset();
  for (auto& c : conns_) {
    if (c->fd >= 0) ::close(c->fd);
    c->headers.clear(header_pool_);
  }
  for (auto& l : listeners_) {
    if (l->fd >= 0) ::close(l->fd);
  }
}

int shard::init() {
  if (ring_.initialized()) return -EALREADY;
  if (!mailbox_.valid()) return -EMFILE;
  if (int rc = ring_.init(cfg_.ring); rc < 0) return rc;
  multishot_recv_ = false;
  if (ring_.feats().multishot_recv) {
    // A failed registration (memlock, size) is not fatal: single-shot recv needs no buffer ring.
    multishot_recv_ = bufs_.init(ring_, 0, cfg_.recv_buffer_count, cfg_.recv_buffer_bytes) == 0;
  }
  arm_wake();
  return 0;
}

// ---------------------------------------------------------------- loop

void shard::run_once(std::uint64_t max_wait_ns) {
  current_guard guard(this);
  ++stats_.loop_iterations;
  if (mailbox_.maybe_pending()) stats_.tasks_run += mailbox_.drain();
  stats_.timers_fired += timers_.run_expired(monotonic_ns());
  if (stop_requested_.load(std::memory_order_acquire) && !stopping_) begin_stop();
  after_batch();

  std::uint64_t wait = max_wait_ns;
  const std::uint64_t next = timers_.next_deadline();
  const std::uint64_t now = monotonic_ns();
  if (next != std::numeric_limits<std::uint64_t>::max()) wait = std::min(wait, next > now ? next - now : 0);
  if (mailbox_.maybe_pending() || !dirty_.empty() || !deferred_.empty()) wait = 0;
  // While stopping, poll so the quiescence check in run() is reached even if no completion arrives.
  if (stopping_) wait = std::min<std::uint64_t>(wait, 10'000'000ULL);

  io_uring_cqe* cqe = nullptr;
  __kernel_timespec ts{};
  ts.tv_sec = static_cast<long long>(wait / 1'000'000'000ULL);
  ts.tv_nsec = static_cast<long long>(wait % 1'000'000'000ULL);
  const bool forever = wait == std::numeric_limits<std::uint64_t>::max();
  io_uring_submit_and_wait_timeout(ring_.raw(), &cqe, 1, forever ? nullptr : &ts, nullptr);

  // Copy each batch out before dispatch: handlers submit new SQEs and may run for a while.
  io_uring_cqe* batch[cqe_batch];
  std::uint64_t tags[cqe_batch];
  int results[cqe_batch];
  std::uint32_t flags[cqe_batch];
  for (;;) {
    const unsigned n = io_uring_peek_batch_cqe(ring_.raw(), batch, cqe_batch);
    if (n == 0) break;
    for (unsigned i = 0; i < n; ++i) {
      tags[i] = batch[i]->user_data;
      results[i] = batch[i]->res;
      flags[i] = batch[i]->flags;
    }
    io_uring_cq_advance(ring_.raw(), n);
    stats_.cqes += n;
    for (unsigned i = 0; i < n; ++i) on_cqe(tags[i], results[i], flags[i]);
    if (n < cqe_batch) break;
  }
  stats_.timers_fired += timers_.run_expired(monotonic_ns());
  // Tasks deferred while these run wait for the next iteration's completions.
  running_deferred_.swap(deferred_);
  for (task& t : running_deferred_) t();
  running_deferred_.clear();
  after_batch();
  // Flushed sends go to the kernel now rather than on the next wait: lower latency on an idle loop.
  io_uring_submit(ring_.raw());
}

int shard::run() {
  if (!ring_.initialized()) {
    if (int rc = init(); rc < 0) return rc;
  }
  current_guard guard(this);
  while (!(stopping_ && quiescent())) {
    run_once(stopping_ ? 10'000'000ULL : std::numeric_limits<std::uint64_t>::max());
  }
  stats_.tasks_run += mailbox_.drain();
  exited_.store(true, std::memory_order_release);
  return 0;
}

void shard::stop() {
  stop_requested_.store(true, std::memory_order_release);
  mailbox_.wake();
}

void shard::begin_stop() {
  stopping_ = true;
  close_listeners();
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i]->state == conn_state::open || conns_[i]->state == conn_state::connecting)
      begin_close(i, close_reason::shard_stopping);
  }
}

void shard::close_listeners() {
  for (std::uint32_t li = 0; li < listeners_.size(); ++li) {
    listener& l = *listeners_[li];
    if (l.fd < 0) continue;
    l.closing = true;
    timers_.cancel(l.retry_timer);
    if (l.armed) {
      if (io_uring_sqe* sqe = ring_.get_sqe()) {
        io_uring_prep_cancel64(sqe, make_tag(op_kind::accept, li, l.generation), 0);
        io_uring_sqe_set_data64(sqe, make_tag(op_kind::cancel, li, 0));
      }
    } else {
      ::close(l.fd);
      l.fd = -1;
    }
  }
}

bool shard::quiescent() const {
  if (live_connections_ != 0) return false;
  for (const auto& l : listeners_) {
    if (l->fd >= 0) return false;
  }
  return true;
}

void shard::after_batch() {
  // Handlers called from finalize may send or close elsewhere, so repeat until nothing is left to do.
  do {
    for (std::uint32_t idx : rearm_) {
      connection& c = *conns_[idx];
      if (c.state == conn_state::open && !c.recv_armed && !c.peer_eof) arm_recv(idx);
    }
    rearm_.clear();
    flush_sends();
    std::vector<std::uint32_t> todo;
    todo.swap(finalize_);
    for (std::uint32_t idx : todo) {
      connection& c = *conns_[idx];
      c.finalize_queued = false;
      if (c.state == conn_state::closing && !c.recv_armed && !c.send_inflight && !c.connect_inflight)
        finalize(idx);
    }
    todo.clear();
    if (finalize_.empty() && finalize_.capacity() < todo.capacity()) finalize_.swap(todo);
  } while (!dirty_.empty() || !finalize_.empty() || !rearm_.empty());
}

void shard::on_cqe(std::uint64_t tag, int res, std::uint32_t flags) {
  const op_kind kind = detail::tag_kind(tag);
  const std::uint32_t idx = detail::tag_index(tag);
  const std::uint32_t gen = detail::tag_generation(tag);
  switch (kind) {
    case op_kind::wake:
      arm_wake();
      stats_.tasks_run += mailbox_.drain();
      return;
    case op_kind::accept:
      if (idx < listeners_.size() && (listeners_[idx]->generation & detail::generation_mask) == gen)
        on_accept(idx, res, flags);
      else if (res >= 0)
        ::close(res);
      return;
    case op_kind::recv:
    case op_kind::send:
    case op_kind::connect: {
      const bool live = idx < conns_.size() && conns_[idx]->state != conn_state::free &&
                        (conns_[idx]->generation & detail::generation_mask) == gen;
      if (!live) {
        // A stale multishot completion still consumed a provided buffer: give it back.
        if (kind == op_kind::recv && (flags & IORING_CQE_F_BUFFER) && multishot_recv_)
          bufs_.recycle(std::uint16_t(flags >> IORING_CQE_BUFFER_SHIFT));
        return;
      }
      if (kind == op_kind::recv)
        on_recv(idx, res, flags);
      else if (kind == op_kind::send)
        on_send(idx, res);
      else
        on_connect(idx, res);
      return;
    }
    case op_kind::cancel:
    case op_kind::none:
      return;
  }
}

void shard::arm_wake() {
  io_uring_sqe* sqe = ring_.get_sqe();
  if (!sqe) return;
  io_uring_prep_read(sqe, mailbox_.eventfd(), &wake_buf_, sizeof wake_buf_, 0);
  io_uring_sqe_set_data64(sqe, make_tag(op_kind::wake, 0, 0));
}

// ---------------------------------------------------------------- connections

std::uint32_t shard::alloc_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t idx = free_slots_.back();
    free_slots_.pop_back();
    return idx;
  }
  if (conns_.size() >= cfg_.max_connections) return no_slot;
  conns_.push_back(std::make_unique<connection>());
  return std::uint32_t(conns_.size() - 1);
}

std::uint32_t shard::open_connection(int fd) {
  const std::uint32_t idx = alloc_slot();
  if (idx == no_slot) {
    ::close(fd);
    return no_slot;
  }
  connection& c = *conns_[idx];
  c.fd = fd;
  apply_socket_options(fd);
  c.state = conn_state::open;
  c.reason = close_reason::none;
  ++live_connections_;
  ++stats_.connections_opened;
  return idx;
}

void shard::hand_out(std::uint32_t idx) {
  conns_[idx]->handed_out = true;
  if (handler_) handler_->on_open(*this, ref_of(idx));
}

void shard::apply_socket_options(int fd) {
  if (cfg_.so_sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cfg_.so_sndbuf, sizeof cfg_.so_sndbuf);
}

connection_ref shard::ref_of(std::uint32_t idx) const {
  return {cfg_.id, idx, conns_[idx]->generation};
}

detail::connection* shard::lookup(connection_ref r) const {
  if (r.shard != cfg_.id || r.index >= conns_.size()) return nullptr;
  connection* c = conns_[r.index].get();
  if (c->state == conn_state::free || c->generation != r.generation) return nullptr;
  return c;
}

result<connection_ref, open_error> shard::connect(std::string_view host, std::uint16_t port) {
  net::sockaddr_buffer addr;
  const int fd = net::make_connect_socket(host, port, addr);
  if (fd == -EINVAL) return open_error::bad_address;
  if (fd < 0) return open_error::socket_failed;
  const std::uint32_t idx = alloc_slot();
  if (idx == no_slot) {
    ::close(fd);
    return open_error::no_slots;
  }
  apply_socket_options(fd);
  connection& c = *conns_[idx];
  c.fd = fd;
  c.state = conn_state::connecting;
  c.reason = close_reason::none;
  c.outbound = true;
  c.handed_out = true;
  c.peer = addr;
  ++live_connections_;
  ++stats_.connections_opened;
  io_uring_sqe* sqe = ring_.get_sqe();
  io_uring_prep_connect(sqe, fd, reinterpret_cast<sockaddr*>(c.peer.bytes), socklen_t(c.peer.len));
  io_uring_sqe_set_data64(sqe, make_tag(op_kind::connect, idx, c.generation));
  c.connect_inflight = true;
  return ref_of(idx);
}

result<connection_ref, open_error> shard::adopt(int fd, std::shared_ptr<const tls_endpoint> tls) {
  if (fd < 0) return open_error::socket_failed;
  net::set_nonblocking(fd, true);
  net::set_nodelay(fd, true);
  const std::uint32_t idx = open_connection(fd);
  if (idx == no_slot) return open_error::no_slots;
  const connection_ref r = ref_of(idx);
  conns_[idx]->outbound = true;
  if (tls) {
    start_tls(idx, *tls);
    if (conns_[idx]->state == conn_state::open && conns_[idx]->generation == r.generation) arm_recv(idx);
    return r;
  }
  hand_out(idx);
  if (conns_[idx]->state == conn_state::open && conns_[idx]->generation == r.generation) arm_recv(idx);
  return r;
}

void shard::on_connect(std::uint32_t idx, int res) {
  connection& c = *conns_[idx];
  c.connect_inflight = false;
  if (c.state == conn_state::closing) {
    queue_finalize(idx);
    return;
  }
  if (res < 0) {
    begin_close(idx, close_reason::connect_failed);
    return;
  }
  c.state = conn_state::open;
  const std::uint32_t gen = c.generation;
  if (handler_) handler_->on_open(*this, ref_of(idx));
  if (c.state != conn_state::open || c.generation != gen) return;
  arm_recv(idx);
  if (!c.queue.empty()) mark_dirty(idx);
}

void shard::arm_recv(std::uint32_t idx) {
  connection& c = *conns_[idx];
  io_uring_sqe* sqe = ring_.get_sqe();
  if (!sqe) {
    begin_close(idx, close_reason::io_error);
    return;
  }
  if (multishot_recv_) {
    io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = bufs_.group_id();
  } else {
    if (!c.recv_buf) c.recv_buf = std::make_unique<char[]>(cfg_.recv_buffer_bytes);
    io_uring_prep_recv(sqe, c.fd, c.recv_buf.get(), cfg_.recv_buffer_bytes, 0);
  }
  io_uring_sqe_set_data64(sqe, make_tag(op_kind::recv, idx, c.generation));
  c.recv_armed = true;
  ++stats_.recv_rearms;
}

void shard::on_recv(std::uint32_t idx, int res, std::uint32_t flags) {
  connection& c = *conns_[idx];
  const bool more = (flags & IORING_CQE_F_MORE) != 0;
  if (!more) c.recv_armed = false;
  const bool has_buf = (flags & IORING_CQE_F_BUFFER) != 0;
  const auto bid = std::uint16_t(flags >> IORING_CQE_BUFFER_SHIFT);
  if (res > 0) {
    ++stats_.recv_completions;
    stats_.bytes_received += std::uint64_t(res);
    if (c.state == conn_state::open) {
      const std::string_view bytes = has_buf ? bufs_.view(bid, std::uint32_t(res))
                                             : std::string_view(c.recv_buf.get(), std::size_t(res));
      if (c.tls)
        tls_receive(c, idx, bytes);
      else
        hand_to_handler(c, idx, bytes);
    }
    if (has_buf) bufs_.recycle(bid);
    if (!more && c.state == conn_state::open && !c.peer_eof && !c.recv_armed) arm_recv(idx);
  } else {
    if (has_buf) bufs_.recycle(bid);
    if (c.tls && !c.tls->session->handshake_done() && c.state == conn_state::open && res != -ENOBUFS &&
        res != -ECANCELED) {
      tls_fail(idx, tls::failure::handshake_eof, res == 0 ? "connection closed" : "connection reset");
    } else if (res == 0) {
      // FIN (RFC 793 half-close): finish writing what is queued, then close.
      c.peer_eof = true;
      if (c.state == conn_state::open && !output_pending(c) && !c.send_inflight)
        begin_close(idx, close_reason::peer_eof);
    } else if (res == -ENOBUFS) {
      // Every provided buffer is in use; they are recycled as this batch is processed, so re-arm after it.
      ++stats_.recv_enobufs;
      if (!more && c.state == conn_state::open) rearm_.push_back(idx);
    } else if (res != -ECANCELED && c.state == conn_state::open) {
      begin_close(idx,
                  (res == -ECONNRESET || res == -EPIPE) ? close_reason::peer_reset : close_reason::io_error);
    }
  }
  if (c.state == conn_state::closing && !c.recv_armed) queue_finalize(idx);
}

void shard::hand_to_handler(connection& c, std::uint32_t idx, std::string_view bytes) {
  if (!handler_) return;
  const connection_ref r = ref_of(idx);
  if (c.input.empty()) {
    std::size_t used = std::min(handler_->on_data(*this, r, bytes), bytes.size());
    if (c.state != conn_state::open || c.generation != r.generation) return;
    if (used < bytes.size()) {
      if (bytes.size() - used > cfg_.max_input_bytes) {
        begin_close(idx, close_reason::input_overflow);
        return;
      }
      c.input.assign(bytes.substr(used));
    }
    return;
  }
  // A message split by the previous receive, usually a ~170-byte 200: first complete it from a copy of
  // only the next few hundred bytes, then go on in place in the receive buffer. Appending whole receive
  // buffers to the carried bytes cost 1.4% of heraldd's CPU in a 10^5 fan-out. A longer message takes
  // the rest of the buffer on the second try, so no receive is parsed more than twice.
  const std::size_t carried = c.input.size();
  const std::size_t probe = std::min(bytes.size(), carry_probe_bytes);
  if (carried + probe > cfg_.max_input_bytes) {
    begin_close(idx, close_reason::input_overflow);
    return;
  }
  c.input.append(bytes.substr(0, probe));
  std::size_t used = std::min(handler_->on_data(*this, r, c.input), c.input.size());
  if (c.state != conn_state::open || c.generation != r.generation) return;
  if (used >= carried) {
    c.input.clear();
    if (used - carried < bytes.size()) hand_to_handler(c, idx, bytes.substr(used - carried));
    return;
  }
  c.input.erase(0, used);
  bytes.remove_prefix(probe);
  if (bytes.empty()) return;
  if (c.input.size() + bytes.size() > cfg_.max_input_bytes) {
    begin_close(idx, close_reason::input_overflow);
    return;
  }
  c.input.append(bytes);
  used = std::min(handler_->on_data(*this, r, c.input), c.input.size());
  if (c.state != conn_state::open || c.generation != r.generation) return;
  c.input.erase(0, used);
}

bool shard::set_queue_limit(connection_ref r, std::size_t bytes) {
  connection* c = lookup(r);
  if (!c) return false;
  c->queue_limit = bytes;
  return true;
}

bool shard::close_after_flush(connection_ref r, close_reason why) {
  connection* c = lookup(r);
  if (!c || c->state == conn_state::closing) return false;
  c->close_when_flushed = true;
  c->flush_reason = why;
  // A TLS peer gets close_notify after the last record; the close follows once that is written too.
  if (!output_pending(*c) && !c->send_inflight && !tls_close_notify(*c, r.index)) begin_close(r.index, why);
  return true;
}

bool shard::close(connection_ref r, close_reason why) {
  connection* c = lookup(r);
  if (!c || c->state == conn_state::closing) return false;
  begin_close(r.index, why);
  return true;
}

void shard::begin_close(std::uint32_t idx, close_reason why) {
  connection& c = *conns_[idx];
  if (c.state == conn_state::free || c.state == conn_state::closing) return;
  c.state = conn_state::closing;
  c.reason = why;
  // shutdown() completes a parked recv (0) and a send blocked on a full socket (EPIPE) at once; the cancels
  // cover ops the kernel has not started yet.
  ::shutdown(c.fd, SHUT_RDWR);
  auto cancel = [&](op_kind k) {
    if (io_uring_sqe* sqe = ring_.get_sqe()) {
      io_uring_prep_cancel64(sqe, make_tag(k, idx, c.generation), 0);
      io_uring_sqe_set_data64(sqe, make_tag(op_kind::cancel, idx, 0));
    }
  };
  if (c.recv_armed) cancel(op_kind::recv);
  if (c.send_inflight) cancel(op_kind::send);
  if (c.connect_inflight) cancel(op_kind::connect);
  queue_finalize(idx);
}

void shard::queue_finalize(std::uint32_t idx) {
  connection& c = *conns_[idx];
  if (c.finalize_queued) return;
  c.finalize_queued = true;
  finalize_.push_back(idx);
}

void shard::finalize(std::uint32_t idx) {
  connection& c = *conns_[idx];
  if (c.tls) {
    if (c.tls->handshake_timer) timers_.cancel(c.tls->handshake_timer);
    c.tls.reset();
    --stats_.tls_open;
  }
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  failed_tokens_.clear();
  while (!c.queue.empty()) {
    failed_tokens_.push_back(c.queue.front().f.token);
    c.queue.pop_front();
    ++stats_.frames_failed;
  }
  c.queued_bytes = 0;
  c.head_sent = 0;
  c.headers.clear(header_pool_);
  c.iov.clear();
  if (c.input.capacity() > 64 * 1024)
    std::string().swap(c.input);
  else
    c.input.clear();
  const connection_ref r = ref_of(idx);
  const close_reason why = c.reason;
  const bool owed = c.handed_out;
  c.generation = (c.generation + 1) & detail::generation_mask;
  if (c.generation == 0) c.generation = 1;
  c.state = conn_state::free;
  c.reason = close_reason::none;
  c.outbound = c.peer_eof = c.dirty = c.handed_out = c.close_when_flushed = false;
  c.queue_limit = 0;
  c.user = nullptr;
  free_slots_.push_back(idx);
  --live_connections_;
  ++stats_.connections_closed;
  if (owed && handler_) handler_->on_closed(*this, r, why, failed_tokens_);
}

bool shard::is_open(connection_ref r) const {
  const connection* c = lookup(r);
  return c && c->state == conn_state::open;
}

std::size_t shard::queued_bytes(connection_ref r) const {
  const connection* c = lookup(r);
  return c ? c->queued_bytes : 0;
}

void shard::set_user(connection_ref r, void* u) {
  if (connection* c = lookup(r)) c->user = u;
}

void* shard::user(connection_ref r) const {
  const connection* c = lookup(r);
  return c ? c->user : nullptr;
}

}  // namespace herald::reactor
