// The ceiling for this machine: pushes Herald-shaped MSRP frames (same bytes per recipient, same
// connection count) over loopback to a sink, with io_uring sendmsg coalescing or plain writev, and
// reports frames per second per sender core. Nothing is stamped or tracked: this is the cost of the
// kernel path alone, which heraldd cannot beat.
#include <liburing.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#include <atomic>
#include <climits>
#include <thread>
#include <vector>

#include "../common/perf_util.hpp"
#include "../common/sample_frame.hpp"

using namespace herald::perf;

namespace {

struct sender_conn {
  int fd = -1;
  std::uint64_t sent = 0;  // stream position in the endless sequence of frames
  std::vector<iovec> iov;
  msghdr msg{};
};

struct config {
  long connections = 1000;
  long size = 256;
  double duration = 5;
  long batch = 341;  // frames per send call: 3 iovecs each, IOV_MAX (1024) as heraldd coalesces
  std::string mode = "uring";
  bool json = false;
};

// Fills c.iov with up to batch frames starting at c.sent (resuming a partly sent frame).
void build_iov(sender_conn& c, const sample_frame& f, std::size_t batch) {
  const iovec parts[3] = {{const_cast<char*>(f.header.data()), f.header.size()},
                          {const_cast<char*>(f.body.data()), f.body.size()},
                          {const_cast<char*>(f.end_line.data()), f.end_line.size()}};
  c.iov.clear();
  std::size_t skip = c.sent % f.size();
  for (std::size_t frame = 0; frame < batch; ++frame)
    for (const iovec& p : parts) {
      if (skip >= p.iov_len) {
        skip -= p.iov_len;
        continue;
      }
      c.iov.push_back({static_cast<char*>(p.iov_base) + skip, p.iov_len - skip});
      skip = 0;
    }
  c.msg = msghdr{};
  c.msg.msg_iov = c.iov.data();
  c.msg.msg_iovlen = c.iov.size();
}

// The receiving side: every accepted connection drained into one big buffer by a single epoll thread.
struct sink {
  std::vector<int> fds;
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<bool> stop{false};
  double cpu_s = 0;

  void run() {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int fd : fds) {
      set_nonblocking(fd);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    std::vector<char> buf(1 << 20);
    std::vector<epoll_event> evs(1024);
    double cpu0 = thread_cpu_s();
    std::uint64_t local = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep, evs.data(), int(evs.size()), 50);
      for (int i = 0; i < n; ++i) {
        while (true) {
          ssize_t r = ::recv(evs[i].data.fd, buf.data(), buf.size(), 0);
          if (r <= 0) break;
          local += std::uint64_t(r);
          if (std::size_t(r) < buf.size()) break;
        }
      }
      bytes.store(local, std::memory_order_relaxed);
    }
    cpu_s = thread_cpu_s() - cpu0;
    ::close(ep);
  }
};

int listen_loopback(std::uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4096) != 0) return -1;
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// One sendmsg in flight per connection, as heraldd's shard does; resubmitted on completion. zero_copy:
// IORING_OP_SENDMSG_ZC instead, to measure whether large bodies are worth sending without the copy
// (issue #4 allows it "if measured faster"); its buffer-release notifications are counted, not awaited,
// since the sample frame never changes.
bool run_uring(std::vector<sender_conn>& conns, const sample_frame& f, const config& cfg, double deadline,
               bool zero_copy) {
  io_uring ring;
  unsigned entries = 4096;
  if (io_uring_queue_init(entries, &ring, 0) != 0) return false;
  std::size_t inflight = 0;
  long notifications = 0;  // zero-copy sends whose buffer release is still to be reported
  auto submit = [&](std::size_t i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (!sqe) {
      io_uring_submit(&ring);
      sqe = io_uring_get_sqe(&ring);
    }
    build_iov(conns[i], f, std::size_t(cfg.batch));
    if (zero_copy)
      io_uring_prep_sendmsg_zc(sqe, conns[i].fd, &conns[i].msg, MSG_NOSIGNAL);
    else
      io_uring_prep_sendmsg(sqe, conns[i].fd, &conns[i].msg, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, i);
    ++inflight;
  };
  for (std::size_t i = 0; i < conns.size(); ++i) submit(i);
  bool ok = true;
  while (inflight > 0) {
    io_uring_submit_and_wait(&ring, 1);
    bool open = now_s() < deadline;
    io_uring_cqe* cqe;
    unsigned head, seen = 0;
    std::vector<std::size_t> again;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      if (cqe->flags & IORING_CQE_F_NOTIF) {
        --notifications;
        continue;
      }
      if (cqe->flags & IORING_CQE_F_MORE) ++notifications;
      --inflight;
      std::size_t i = io_uring_cqe_get_data64(cqe);
      if (cqe->res < 0) {
        std::fprintf(stderr, "sendmsg%s: %s\n", zero_copy ? "_zc" : "", std::strerror(-cqe->res));
        ok = false;
        continue;
      }
      conns[i].sent += std::uint64_t(cqe->res);
      if (open) again.push_back(i);
    }
    io_uring_cq_advance(&ring, seen);
    for (std::size_t i : again) submit(i);
  }
  // The kernel still references the frame until every notification arrives.
  while (notifications > 0 && now_s() < deadline + 10) {
    io_uring_submit_and_wait(&ring, 1);
    io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      if (cqe->flags & IORING_CQE_F_NOTIF) --notifications;
    }
    io_uring_cq_advance(&ring, seen);
  }
  io_uring_queue_exit(&ring);
  return ok;
}

// Blocking writev round-robin: the pre-io_uring baseline.
bool run_writev(std::vector<sender_conn>& conns, const sample_frame& f, const config& cfg, double deadline) {
  while (now_s() < deadline) {
    for (sender_conn& c : conns) {
      build_iov(c, f, std::size_t(cfg.batch));
      ssize_t n = ::writev(c.fd, c.iov.data(), int(c.iov.size()));
      if (n < 0) {
        std::perror("writev");
        return false;
      }
      c.sent += std::uint64_t(n);
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  cfg.connections = flag_int(argc, argv, "--connections", cfg.connections);
  cfg.size = flag_int(argc, argv, "--size", cfg.size);
  cfg.duration = flag_double(argc, argv, "--duration", cfg.duration);
  cfg.batch = flag_int(argc, argv, "--batch", cfg.batch);
  cfg.mode = flag(argc, argv, "--mode", cfg.mode);
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--json") cfg.json = true;
  if (cfg.batch < 1 || cfg.batch * 3 > IOV_MAX || cfg.connections < 1 ||
      (cfg.mode != "uring" && cfg.mode != "uring-zc" && cfg.mode != "writev")) {
    std::fprintf(stderr,
                 "usage: perf_physical_limit [--connections N] [--size B] [--duration S] [--batch 1..341] "
                 "[--mode uring|uring-zc|writev] [--json]\n");
    return 2;
  }
  sample_frame f = make_sample_frame(std::size_t(cfg.size), 123456);
  if (f.size() == 0) return 1;

  std::uint16_t port = 0;
  int lfd = listen_loopback(port);
  if (lfd < 0) return 1;
  std::vector<sender_conn> conns(std::size_t(cfg.connections));
  sink s;
  for (auto& c : conns) {
    c.fd = connect_loopback(port);
    int a = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c.fd < 0 || a < 0) {
      std::perror("connect/accept");
      return 1;
    }
    s.fds.push_back(a);
  }
  std::thread reader([&] { s.run(); });

  double t0 = now_s();
  // Process CPU, not thread CPU: io_uring may complete sends on io-wq worker threads of this process.
  double cpu0 = process_cpu_s(getpid());
  bool ok = cfg.mode == "writev" ? run_writev(conns, f, cfg, t0 + cfg.duration)
                                 : run_uring(conns, f, cfg, t0 + cfg.duration, cfg.mode == "uring-zc");
  std::uint64_t sent = 0;
  for (auto& c : conns) sent += c.sent;
  // The sink catches up before the clock stops, so the figure counts frames that arrived.
  double give_up = now_s() + 10;
  while (s.bytes.load() < sent && now_s() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double wall = now_s() - t0;
  s.stop = true;
  reader.join();
  double cpu = process_cpu_s(getpid()) - cpu0 - s.cpu_s;
  std::uint64_t frames = s.bytes.load() / f.size();
  double per_core = cpu > 0 ? double(frames) / cpu : 0;
  if (cfg.json) {
    std::printf(
        "{\"mode\":\"%s\",\"connections\":%ld,\"size\":%ld,\"frame_bytes\":%zu,\"batch\":%ld,\"frames\":%llu,"
        "\"wall_s\":%.3f,\"sender_cpu_s\":%.3f,\"sink_cpu_s\":%.3f,\"frames_per_s\":%.0f,"
        "\"frames_per_sender_core_s\":%.0f}\n",
        cfg.mode.c_str(), cfg.connections, cfg.size, f.size(), cfg.batch, (unsigned long long)frames, wall,
        cpu, s.cpu_s, double(frames) / wall, per_core);
  } else {
    std::printf(
        "%s: %llu frames of %zu B over %ld connections in %.2f s (sender CPU %.2f s, sink CPU %.2f s)\n",
        cfg.mode.c_str(), (unsigned long long)frames, f.size(), cfg.connections, wall, cpu, s.cpu_s);
    std::printf("  %.0f frames/s wall, %.0f frames per sender core-second\n", double(frames) / wall,
                per_core);
  }
  for (auto& c : conns) ::close(c.fd);
  for (int fd : s.fds) ::close(fd);
  ::close(lfd);
  return ok ? 0 : 1;
}
