// TLS on the shard: handshakes driven by receive completions (never blocking the loop), a handshake
// deadline, and the send path for TLS connections. Queued frames are gathered into records of up to
// 16 KiB, encrypted in a batch, and the ciphertext goes out as one send with one send in flight, as
// plaintext frames do; a frame counts as written once the kernel has taken its record's last byte.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "detail.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::reactor {

using detail::conn_state;
using detail::connection;

namespace {
constexpr std::size_t record_plaintext_bytes = 16 * 1024;  // TLS's largest record (RFC 8446 §5.1)
// Plaintext encrypted per send: 8 full records. The plaintext path takes up to IOV_MAX iovecs (~130 KB of
// typical frames) per call; this keeps the calls per frame the same while bounding the ciphertext that
// exists per connection beyond its frames.
constexpr std::size_t batch_plaintext_bytes = 8 * record_plaintext_bytes;
constexpr std::uint32_t failures_logged_per_second = 5;
// A batch's ciphertext: its plaintext plus each record's header and tag (at most 256 bytes, RFC 8446 §5.2).
// One record as the sealer builds it: header, plaintext, inner content type and tag.
constexpr std::size_t record_buffer_bytes =
    tls::session::record_header_bytes + record_plaintext_bytes + tls::session::record_trailer_bytes;
constexpr std::size_t batch_ciphertext_bytes = batch_plaintext_bytes + 8 * 256;
constexpr std::size_t max_spare_buffers = 256;

// Copies up to n bytes of f starting at offset into dst; how many it copied.
std::size_t copy_frame_bytes(const frame& f, std::size_t offset, char* dst, std::size_t n) {
  std::size_t copied = 0;
  for (std::size_t p = 0; p < f.part_count && copied < n; ++p) {
    const iovec& part = f.parts[p];
    if (offset >= part.iov_len) {
      offset -= part.iov_len;
      continue;
    }
    const std::size_t take = std::min(part.iov_len - offset, n - copied);
    std::memcpy(dst + copied, static_cast<const char*>(part.iov_base) + offset, take);
    copied += take;
    offset = 0;
  }
  return copied;
}

std::string peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "unknown";
  char host[INET6_ADDRSTRLEN] = {};
  std::uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}
}  // namespace

void shard::start_tls(std::uint32_t idx, const tls_endpoint& endpoint) {
  connection& c = *conns_[idx];
  std::shared_ptr<tls::context> ctx = endpoint.contexts ? endpoint.contexts->current() : nullptr;
  c.tls = std::make_unique<detail::tls_state>();
  if (ctx) c.tls->session = std::make_unique<tls::session>(*ctx, tls::session::role::server);
  ++stats_.tls_open;
  if (!c.tls->session || !c.tls->session->valid()) {
    tls_fail(idx, tls::failure::other, "cannot create a TLS session");
    return;
  }
  if (!tls_scratch_) tls_scratch_ = std::make_unique<char[]>(record_buffer_bytes);
  if (!tls_plaintext_) tls_plaintext_ = std::make_unique<char[]>(record_plaintext_bytes);
  struct deadline {
    shard* self;
    std::uint32_t idx;
    std::uint32_t generation;
    void operator()() const { self->on_handshake_timeout(idx, generation); }
  };
  c.tls->handshake_timer =
      timers_.add(monotonic_ns() + endpoint.handshake_timeout_ns, deadline{this, idx, c.generation});
  c.tls->log_peer = endpoint.log_peers;
  c.tls->ktls_wanted = endpoint.ktls_tx;
}

void shard::on_handshake_timeout(std::uint32_t idx, std::uint32_t generation) {
  if (idx >= conns_.size()) return;
  connection& c = *conns_[idx];
  if (c.generation != generation || c.state != conn_state::open || !c.tls) return;
  c.tls->handshake_timer = 0;
  if (c.tls->session->handshake_done()) return;
  tls_fail(idx, tls::failure::handshake_timeout, "no complete handshake in time");
}

void shard::tls_fail(std::uint32_t idx, tls::failure why, std::string_view detail) {
  connection& c = *conns_[idx];
  // Once: bytes, a FIN or the deadline arriving while the alert is still being written are not new failures.
  if (c.tls && c.tls->failed) return;
  if (c.tls) c.tls->failed = true;
  ++stats_.tls_failures[static_cast<std::size_t>(why)];
  const std::uint64_t now = monotonic_ns();
  if (now - tls_failures_logged_ns_ > 1'000'000'000ULL) {
    tls_failures_logged_ns_ = now;
    tls_failures_logged_ = 0;
  }
  // A port scanner or a storm of bad clients must not turn into a storm of log lines.
  if (tls_failures_logged_++ < failures_logged_per_second)
    HERALD_LOG(info, "TLS connection refused")
        .kv("shard", static_cast<std::uint64_t>(cfg_.id))
        .kv("peer", peer_address(c.fd))
        .kv("reason", tls::to_string(why))
        .kv("detail", detail);
  if (c.tls && c.tls->handshake_timer) {
    timers_.cancel(c.tls->handshake_timer);
    c.tls->handshake_timer = 0;
  }
  // An alert OpenSSL wrote (protocol_version, bad_certificate...) goes out first, so the peer learns why.
  if (c.tls && c.tls->session && c.tls->ciphertext_pending() && c.state == conn_state::open) {
    c.tls->close_notify_sent = true;  // no close_notify after an alert
    c.close_when_flushed = true;
    c.flush_reason = close_reason::tls_failed;
    mark_dirty(idx);
    return;
  }
  begin_close(idx, close_reason::tls_failed);
}

void shard::tls_receive(connection& c, std::uint32_t idx, std::string_view ciphertext) {
  detail::tls_state& t = *c.tls;
  if (t.failed) return;  // closing once its alert is written; nothing more is read
  tls::session& s = *t.session;
  const std::uint32_t generation = c.generation;
  s.feed(ciphertext);
  if (!s.handshake_done()) {
    const tls::status st = s.handshake();
    if (st == tls::status::failed) {
      tls_fail(idx, s.last_failure(), s.failure_detail());
      return;
    }
    if (!s.output().empty()) mark_dirty(idx);
    if (st != tls::status::ok) return;
    if (t.handshake_timer) {
      timers_.cancel(t.handshake_timer);
      t.handshake_timer = 0;
    }
    ++stats_.tls_handshakes;
    if (t.log_peer)
      HERALD_LOG(info, "TLS peer")
          .kv("shard", static_cast<std::uint64_t>(cfg_.id))
          .kv("peer", peer_address(c.fd))
          .kv("tls", s.describe());
    if (!c.handed_out) {
      hand_out(idx);
      if (c.state != conn_state::open || c.generation != generation) return;
    }
  }
  for (;;) {
    std::size_t n = 0;
    const tls::status st = s.read(tls_plaintext_.get(), record_plaintext_bytes, n);
    if (st == tls::status::ok) {
      hand_to_handler(c, idx, std::string_view(tls_plaintext_.get(), n));
      if (c.state != conn_state::open || c.generation != generation) return;
      continue;
    }
    if (st == tls::status::closed) {
      // close_notify: like a FIN, finish writing what is queued, then close.
      c.peer_eof = true;
      if (c.queue.empty() && !c.send_inflight && !t.ciphertext_pending())
        begin_close(idx, close_reason::peer_eof);
    } else if (st == tls::status::failed) {
      tls_fail(idx, s.last_failure(), s.failure_detail());
      return;
    }
    break;
  }
  // Reading may have produced a record of its own (a TLS 1.3 key update answer).
  if (!s.output().empty()) mark_dirty(idx);
}

bool shard::output_pending(const connection& c) const {
  return !c.queue.empty() || (c.tls && c.tls->session && c.tls->ciphertext_pending());
}

bool shard::tls_encrypt(connection& c) {
  detail::tls_state& t = *c.tls;
  tls::session& s = *t.session;
  // Plaintext is staged where the record's payload goes, so the sealer encrypts it in place.
  char* record = tls_scratch_.get();
  char* stage = record + tls::session::record_header_bytes;
  std::size_t staged = 0;
  std::size_t budget = batch_plaintext_bytes;
  std::size_t i = t.encrypted_frames;
  std::size_t offset = t.encrypted_head;
  std::size_t unmarked = i;  // frames [unmarked, i) end in the staged record
  bool ok = true;
  auto seal = [&] {
    if (staged == 0) return;
    ok = ok && (s.seals_records() ? s.seal(record, staged) : s.write(std::string_view(stage, staged)));
    stats_.tls_plaintext_bytes += staged;
    staged = 0;
    const std::uint64_t end = s.produced();
    for (; unmarked < i; ++unmarked) c.queue[unmarked].cipher_end = end;
  };
  while (i < c.queue.size() && budget > 0) {
    const frame& f = c.queue[i].f;
    const std::size_t size = f.size();
    while (offset < size && budget > 0) {
      if (staged == record_plaintext_bytes) seal();
      const std::size_t n =
          copy_frame_bytes(f, offset, stage + staged, std::min(record_plaintext_bytes - staged, budget));
      staged += n;
      offset += n;
      budget -= n;
    }
    if (offset < size) break;
    ++i;
    offset = 0;
  }
  seal();
  t.encrypted_frames = i;
  t.encrypted_head = offset;
  return ok;
}

void shard::submit_tls_send(connection& c, std::uint32_t idx) {
  detail::tls_state& t = *c.tls;
  if (t.sending_done == t.sending.size()) {
    t.sending.clear();
    t.sending_done = 0;
    // Everything the session produced is written and no frame is half encrypted: the kernel can take
    // over the records from here, sequence number and all.
    if (t.ktls_wanted && t.session->handshake_done() && t.session->output().empty() &&
        t.encrypted_frames == 0 && t.encrypted_head == 0) {
      t.ktls_wanted = false;
      if (t.session->enable_ktls_tx(c.fd) == 0) {
        t.ktls = true;
        ++stats_.tls_ktls;
        std::vector<char>().swap(t.sending);
        if (!c.queue.empty()) submit_send(c, idx);
        return;
      }
    }
    if (t.session->handshake_done()) {
      std::vector<char>& out = t.session->output();
      if (out.capacity() == 0 && !tls_spare_.empty()) {
        out.swap(tls_spare_.back());
        tls_spare_.pop_back();
      }
      out.reserve(batch_ciphertext_bytes);
      // A record that could not be sealed would leave its frames counted as written: the connection ends.
      if (!tls_encrypt(c)) {
        tls_fail(idx, tls::failure::other, t.session->failure_detail());
        return;
      }
    }
    if (t.session->output().empty()) return;
    std::swap(t.sending, t.session->output());
  }
  c.iov.assign(1, iovec{t.sending.data() + t.sending_done, t.sending.size() - t.sending_done});
  submit_iov(c, idx);
}

void shard::tls_complete(connection& c, std::uint32_t idx, std::size_t n) {
  detail::tls_state& t = *c.tls;
  stats_.bytes_written += n;
  stats_.tls_ciphertext_bytes += n;
  t.sending_done += n;
  t.written += n;
  if (t.sending_done < t.sending.size()) ++stats_.partial_sends;
  written_tokens_.clear();
  while (t.encrypted_frames > 0 && c.queue.front().cipher_end <= t.written) {
    detail::queued_frame& q = c.queue.front();
    c.queued_bytes -= q.f.size();
    written_tokens_.push_back(q.f.token);
    const std::uint64_t header_end = q.header_end;
    c.queue.pop_front();
    c.headers.release_to(header_pool_, header_end);
    --t.encrypted_frames;
    ++stats_.frames_written;
  }
  if (t.sending_done == t.sending.size() && c.queue.empty() && t.session->output().empty()) {
    // Idle: the batch buffers go to the shard's spares (or the allocator), so an idle TLS connection
    // costs its session only.
    for (std::vector<char>* buf : {&t.sending, &t.session->output()}) {
      if (buf->capacity() == 0) continue;
      buf->clear();
      if (tls_spare_.size() < max_spare_buffers) tls_spare_.push_back(std::move(*buf));
      *buf = std::vector<char>();
    }
    t.sending_done = 0;
  }
  if (!written_tokens_.empty() && c.handed_out && handler_)
    handler_->on_frames_written(*this, ref_of(idx), written_tokens_);
}

bool shard::tls_close_notify(connection& c, std::uint32_t idx) {
  // Under kTLS the alert would need a control message of its own: such a connection ends with a FIN.
  if (!c.tls || !c.tls->session || c.tls->close_notify_sent || !c.tls->session->handshake_done() ||
      c.tls->ktls)
    return false;
  c.tls->close_notify_sent = true;
  c.tls->session->shutdown();
  if (c.tls->session->output().empty()) return false;
  mark_dirty(idx);
  return true;
}

bool shard::is_tls(connection_ref r) const {
  const connection* c = lookup(r);
  return c && c->tls;
}

std::string shard::tls_description(connection_ref r) const {
  const connection* c = lookup(r);
  if (!c || !c->tls || !c->tls->session) return {};
  return c->tls->session->describe();
}

}  // namespace herald::reactor
