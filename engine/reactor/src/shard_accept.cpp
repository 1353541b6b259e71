// Listeners: SO_REUSEPORT per shard, multishot accept, and EMFILE/ENFILE back-off via a shard timer.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <limits>

#include "detail.hpp"
#include "herald/core/clock.hpp"
#include "herald/net/socket.hpp"
#include "herald/reactor/shard.hpp"

namespace herald::reactor {

using detail::conn_state;
using detail::listener;
using detail::make_tag;
using detail::op_kind;

namespace {
constexpr std::uint32_t no_slot = std::numeric_limits<std::uint32_t>::max();
}  // namespace

int shard::listen(std::string_view host, std::uint16_t port, int backlog) {
  const int fd = net::listen_tcp(host, port, true, backlog);
  if (fd < 0) return fd;
  const int bound = net::local_port(fd);
  if (int rc = add_listener(fd); rc < 0) return rc;
  return bound;
}

int shard::add_listener(int fd) {
  if (!ring_.initialized()) return -ENOTCONN;
  net::set_nonblocking(fd, true);
  auto l = std::make_unique<listener>();
  l->fd = fd;
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
  bool retry_later = false;
  if (res >= 0) {
    ++stats_.accepts;
    if (l.closing || stopping_) {
      ::close(res);
    } else {
      net::set_nodelay(res, true);
      const std::uint32_t idx = open_connection(res);
      if (idx != no_slot) {
        hand_out(idx);
        if (conns_[idx]->state == conn_state::open) arm_recv(idx);
      }
    }
  } else if (res == -EMFILE || res == -ENFILE || res == -ENOMEM || res == -ENOBUFS) {
    ++stats_.accept_fd_exhausted;
    retry_later = true;
    if (!logged_fd_exhausted_) {
      logged_fd_exhausted_ = true;
      std::fprintf(stderr,
                   "herald shard %u: accept failed (%d): out of file descriptors; retrying every %llu ms\n",
                   unsigned(cfg_.id), res, static_cast<unsigned long long>(cfg_.accept_retry_ns / 1'000'000));
    }
  }
  if (l.closing) {
    if (!l.armed && l.fd >= 0) {
      ::close(l.fd);
      l.fd = -1;
    }
    return;
  }
  if (l.armed) return;
  if (retry_later) {
    // The pending connection stays in the backlog; accepting again at once would spin on EMFILE.
    l.retry_timer = timers_.add(monotonic_ns() + cfg_.accept_retry_ns, [this, li] {
      listeners_[li]->retry_timer = 0;
      arm_accept(li);
    });
  } else {
    arm_accept(li);
  }
}

}  // namespace herald::reactor
