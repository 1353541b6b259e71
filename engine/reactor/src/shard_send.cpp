// The outbound path: frame queueing with a byte cap, one coalesced sendmsg in flight, partial-send resume.
#include <climits>

#include "detail.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::reactor {

using detail::conn_state;
using detail::connection;
using detail::make_tag;
using detail::op_kind;

namespace {
// Linux IOV_MAX: the most a single sendmsg takes. Measured ~4-6 us per send call on loopback, so
// every frame that rides along in one call is nearly free.
constexpr std::size_t max_iovecs = IOV_MAX;
}  // namespace

char* shard::header_alloc(connection_ref r, std::size_t n) {
  connection* c = lookup(r);
  if (!c || (c->state != conn_state::open && c->state != conn_state::connecting)) return nullptr;
  return c->headers.allocate(header_pool_, n);
}

send_error shard::send(connection_ref r, frame&& f) {
  connection* c = lookup(r);
  if (!c) return send_error::stale_connection;
  if (c->state != conn_state::open && c->state != conn_state::connecting) return send_error::not_open;
  const std::size_t bytes = f.size();
  if (bytes == 0) return send_error::empty_frame;
  if (c->queued_bytes + bytes > (c->queue_limit ? c->queue_limit : cfg_.max_queue_bytes)) {
    // A peer that stops reading must not pin unbounded memory or slow its conference: cut it loose.
    ++stats_.slow_consumers;
    begin_close(r.index, close_reason::slow_consumer);
    return send_error::slow_consumer;
  }
  c->queue.push_back(detail::queued_frame{std::move(f), c->headers.end()});
  c->queued_bytes += bytes;
  mark_dirty(r.index);
  return send_error::ok;
}

void shard::mark_dirty(std::uint32_t idx) {
  connection& c = *conns_[idx];
  if (c.dirty || c.send_inflight) return;
  c.dirty = true;
  dirty_.push_back(idx);
}

void shard::submit_sends() {
  if (dirty_.empty()) return;
  flush_sends();
  ring_.submit();
}

void shard::flush_sends() {
  // Sends are issued once per loop iteration, after every handler has queued its frames: that is where
  // frames for one connection coalesce into a single sendmsg.
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    const std::uint32_t idx = dirty_[i];
    connection& c = *conns_[idx];
    c.dirty = false;
    if (c.state == conn_state::open && !c.send_inflight && output_pending(c)) submit_send(c, idx);
  }
  dirty_.clear();
}

void shard::submit_send(connection& c, std::uint32_t idx) {
  if (c.tls && !c.tls->ktls) {
    submit_tls_send(c, idx);
    return;
  }
  c.iov.clear();
  std::size_t skip = c.head_sent;
  for (std::size_t i = 0; i < c.queue.size() && c.iov.size() < max_iovecs; ++i) {
    const frame& f = c.queue[i].f;
    for (std::size_t p = 0; p < f.part_count && c.iov.size() < max_iovecs; ++p) {
      const iovec& part = f.parts[p];
      if (skip >= part.iov_len) {
        skip -= part.iov_len;
        continue;
      }
      c.iov.push_back(iovec{static_cast<char*>(part.iov_base) + skip, part.iov_len - skip});
      skip = 0;
    }
  }
  submit_iov(c, idx);
}

void shard::submit_iov(connection& c, std::uint32_t idx) {
  c.msg = msghdr{};
  c.msg.msg_iov = c.iov.data();
  c.msg.msg_iovlen = c.iov.size();
  io_uring_sqe* sqe = ring_.get_sqe();
  if (!sqe) {
    begin_close(idx, close_reason::io_error);
    return;
  }
  // Plain sendmsg, not SEND_ZC, for every size: perf_physical_limit --mode uring-zc measured zero-copy
  // slower on loopback from 4 KiB to 256 KiB bodies (0.46-0.77x the frames/s, more CPU per frame), as
  // the data is copied anyway when it reaches the receiving socket, and small frames only add the page
  // pinning and the extra notification CQE.
  io_uring_prep_sendmsg(sqe, c.fd, &c.msg, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, make_tag(op_kind::send, idx, c.generation));
  c.send_inflight = true;
  ++stats_.sends_submitted;
  stats_.send_iovecs += c.iov.size();
}

void shard::on_send(std::uint32_t idx, int res) {
  connection& c = *conns_[idx];
  c.send_inflight = false;
  if (res > 0) {
    if (c.tls && !c.tls->ktls)
      tls_complete(c, idx, std::size_t(res));
    else
      complete_bytes(c, idx, std::size_t(res));
  } else if (res < 0 && res != -EAGAIN && res != -EINTR && res != -ECANCELED && c.state == conn_state::open) {
    begin_close(idx,
                (res == -EPIPE || res == -ECONNRESET) ? close_reason::peer_reset : close_reason::io_error);
  }
  if (c.state == conn_state::open) {
    if (output_pending(c))
      mark_dirty(idx);
    else if (c.close_when_flushed || c.peer_eof) {
      // A TLS peer is told with close_notify, once, after the last record (a truncation it can tell apart).
      if (!tls_close_notify(c, idx))
        begin_close(idx, c.close_when_flushed ? c.flush_reason : close_reason::peer_eof);
    }
  }
  if (c.state == conn_state::closing) queue_finalize(idx);
}

void shard::complete_bytes(connection& c, std::uint32_t idx, std::size_t n) {
  stats_.bytes_written += n;
  std::size_t in_flight = 0;
  for (const iovec& v : c.iov) in_flight += v.iov_len;
  if (n < in_flight) ++stats_.partial_sends;
  written_tokens_.clear();
  while (n > 0 && !c.queue.empty()) {
    detail::queued_frame& q = c.queue.front();
    const std::size_t size = q.f.size();
    const std::size_t remaining = size - c.head_sent;
    if (n < remaining) {
      c.head_sent += n;
      break;
    }
    n -= remaining;
    c.head_sent = 0;
    c.queued_bytes -= size;
    written_tokens_.push_back(q.f.token);
    const std::uint64_t header_end = q.header_end;
    c.queue.pop_front();  // drops the body reference
    c.headers.release_to(header_pool_, header_end);
    ++stats_.frames_written;
  }
  if (!written_tokens_.empty() && handler_) handler_->on_frames_written(*this, ref_of(idx), written_tokens_);
}

}  // namespace herald::reactor
