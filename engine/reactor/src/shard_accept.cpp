// Listeners: SO_REUSEPORT per shard, multishot accept, and a pause (shard timer) when descriptors run out.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <limits>
#include <mutex>
#include <string_view>

#include "detail.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"
#include "herald/net/socket.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::reactor {

using detail::conn_state;
using detail::listener;
using detail::make_tag;
using detail::op_kind;

namespace {
constexpr std::uint32_t no_slot = std::numeric_limits<std::uint32_t>::max();
// A daemon stuck at its descriptor limit must not fill its log: a new exhaustion episode within this of
// the last one announced is counted, not logged.
constexpr std::uint64_t announce_interval_ns = 60'000'000'000ULL;

// Listeners leave the last descriptors under RLIMIT_NOFILE to everything else in the process: the control
// API's connections, log and /proc reads, and the sanitizer runtimes (UBSan's vptr check opens a pipe to
// probe memory; at EMFILE it reports a false "invalid vptr" and aborts the process). 64 is 0.3% of a
// 20,000 limit; small limits keep an eighth.
constexpr int descriptor_reserve = 64;

// The lowest descriptor number an accepted connection may have. Linux hands out the lowest free number,
// so an accept landing at or above this means every descriptor below it is in use.
int reserve_threshold() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > rlim_t(INT_MAX))
    return INT_MAX;
  const int limit = int(rl.rlim_cur);
  return limit - std::min(descriptor_reserve, limit / 8);
}

// True while taking one more descriptor would eat into the reserve (or none is left at all): probes the
// lowest free number with a dup of the listener, closed at once.
bool descriptors_scarce(int listener_fd) {
  const int probe = ::fcntl(listener_fd, F_DUPFD_CLOEXEC, 0);
  if (probe < 0) return true;
  const bool scarce = probe >= reserve_threshold();
  ::close(probe);
  return scarce;
}

std::string_view errno_name(int err) {
  switch (err) {
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case ENOMEM:
      return "ENOMEM";
    case ENOBUFS:
      return "ENOBUFS";
  }
  return "other";
}

// Every shard and the control API share one descriptor table, so exhaustion is one process-wide episode:
// logged when the first shard pauses and, if that was logged, again when the last one resumes. Not per
// shard, and never per 100 ms retry (the retries are counted in loop_stats::accept_fd_exhausted).
struct exhaustion_episode {
  std::mutex mutex;
  int shards_in = 0;
  bool announced = false;
  std::uint64_t last_announced_ns = 0;
  std::uint64_t started_ns = 0;
  std::uint64_t refused = 0;
};
exhaustion_episode& episode() {
  static exhaustion_episode e;
  return e;
}

void enter_exhaustion(bool& shard_in, unsigned shard_id, int err, std::uint64_t retry_ns) {
  exhaustion_episode& e = episode();
  std::lock_guard lock(e.mutex);
  ++e.refused;
  if (shard_in) return;
  shard_in = true;
  if (e.shards_in++ > 0) return;
  const std::uint64_t now = monotonic_ns();
  e.started_ns = now;
  e.refused = 1;
  e.announced = e.last_announced_ns == 0 || now - e.last_announced_ns >= announce_interval_ns;
  if (!e.announced) return;
  e.last_announced_ns = now;
  HERALD_LOG(warn, "accept paused: out of file descriptors; open connections are still served")
      .kv("shard", shard_id)
      .kv("error", err == 0 ? std::string_view("reserve") : errno_name(err))
      .kv("reserved", descriptor_reserve)
      .kv("retry_ms", retry_ns / 1'000'000);
}

void leave_exhaustion(bool& shard_in, unsigned shard_id) {
  exhaustion_episode& e = episode();
  std::lock_guard lock(e.mutex);
  shard_in = false;
  if (--e.shards_in > 0 || !e.announced) return;
  e.announced = false;
  HERALD_LOG(info, "accepting connections again")
      .kv("shard", shard_id)
      .kv("refused_accepts", e.refused)
      .kv("paused_ms", (monotonic_ns() - e.started_ns) / 1'000'000);
}

// A full connection table (shard_config::max_connections) closes each new connection at once; logged at
// most once a minute for the process.
void note_table_full(unsigned shard_id, std::uint32_t max_connections) {
  static std::atomic<std::uint64_t> last_ns{0};
  const std::uint64_t now = monotonic_ns();
  std::uint64_t seen = last_ns.load(std::memory_order_relaxed);
  if (seen != 0 && now - seen < announce_interval_ns) return;
  if (!last_ns.compare_exchange_strong(seen, now, std::memory_order_relaxed)) return;
  HERALD_LOG(warn, "connection table full: new connections are closed")
      .kv("shard", shard_id)
      .kv("max_connections", max_connections);
}
}  // namespace

int shard::listen(std::string_view host, std::uint16_t port, int backlog,
                  std::shared_ptr<const tls_endpoint> tls) {
  const int fd = net::listen_tcp(host, port, true, backlog);
  if (fd < 0) return fd;
  const int bound = net::local_port(fd);
  if (int rc = add_listener(fd, std::move(tls)); rc < 0) return rc;
  return bound;
}

int shard::add_listener(int fd, std::shared_ptr<const tls_endpoint> tls) {
  if (!ring_.initialized()) return -ENOTCONN;
  net::set_nonblocking(fd, true);
  auto l = std::make_unique<listener>();
  l->fd = fd;
  l->tls = std::move(tls);
  listeners_.push_back(std::move(l));
  arm_accept(std::uint32_t(listeners_.size() - 1));
  return 0;
}

void shard::arm_accept(std::uint32_t li) {
  listener& l = *listeners_[li];
  if (l.armed || l.closing || l.fd < 0) return;
  io_uring_sqe* sqe = ring_.get_sqe();
  if (!sqe) return;
  if (ring_.feats().multishot_accept)
    io_uring_prep_multishot_accept(sqe, l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  else
    io_uring_prep_accept(sqe, l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, make_tag(op_kind::accept, li, l.generation));
  l.armed = true;
}

void shard::on_accept(std::uint32_t li, int res, std::uint32_t flags) {
  listener& l = *listeners_[li];
  if (!(flags & IORING_CQE_F_MORE)) l.armed = false;
  // Stops accepting on this listener until descriptors are free again: waiting connections stay in the
  // backlog (accepting again at once would spin), and a retry timer probes every accept_retry_ns.
  // retry_timer != 0 marks the listener paused.
  auto pause = [this, li](int err) {
    listener& pl = *listeners_[li];
    ++stats_.accept_fd_exhausted;
    enter_exhaustion(logged_fd_exhausted_, cfg_.id, err, cfg_.accept_retry_ns);
    if (pl.retry_timer) return;
    if (pl.armed) {
      // A multishot accept would go on taking connections: cancel it; its last CQE clears armed.
      if (io_uring_sqe* sqe = ring_.get_sqe()) {
        io_uring_prep_cancel64(sqe, make_tag(op_kind::accept, li, pl.generation), 0);
        io_uring_sqe_set_data64(sqe, make_tag(op_kind::cancel, li, 0));
      }
    }
    struct retry {
      shard* self;
      std::uint32_t li;
      void operator()() const {
        listener& rl = *self->listeners_[li];
        rl.retry_timer = 0;
        if (rl.closing || rl.fd < 0) return;
        if (descriptors_scarce(rl.fd)) {
          ++self->stats_.accept_fd_exhausted;
          enter_exhaustion(self->logged_fd_exhausted_, self->cfg_.id, 0, self->cfg_.accept_retry_ns);
          rl.retry_timer = self->timers_.add(monotonic_ns() + self->cfg_.accept_retry_ns, retry{self, li});
          return;
        }
        if (self->logged_fd_exhausted_) leave_exhaustion(self->logged_fd_exhausted_, self->cfg_.id);
        self->arm_accept(li);
      }
    };
    pl.retry_timer = timers_.add(monotonic_ns() + cfg_.accept_retry_ns, retry{this, li});
  };
  if (res >= 0) {
    ++stats_.accepts;
    if (l.closing || stopping_) {
      ::close(res);
    } else if (res >= reserve_threshold()) {
      // This connection took one of the reserved descriptors: it is closed (the peer sees the connection
      // end, not a hang) and accepting pauses, so the reserve stays for the rest of the process.
      ::close(res);
      pause(0);
    } else {
      net::set_nodelay(res, true);
      const std::uint32_t idx = open_connection(res);
      if (idx != no_slot) {
        // A TLS connection reaches the handler only once its handshake is done (shard_tls.cpp).
        if (l.tls)
          start_tls(idx, *l.tls);
        else
          hand_out(idx);
        if (conns_[idx]->state == conn_state::open) arm_recv(idx);
      } else {
        note_table_full(cfg_.id, cfg_.max_connections);
      }
    }
  } else if (res == -EMFILE || res == -ENFILE || res == -ENOMEM || res == -ENOBUFS) {
    // Something else took the reserve, or the system-wide table (ENFILE) or memory ran out.
    pause(-res);
  }
  if (l.closing) {
    if (!l.armed && l.fd >= 0) {
      ::close(l.fd);
      l.fd = -1;
    }
    return;
  }
  if (l.armed || l.retry_timer) return;
  arm_accept(li);
}

}  // namespace herald::reactor
