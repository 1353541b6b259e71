// Redis pub/sub and NATS in Herald's fan-out shape: N subscriber connections on one channel, one
// publisher, every message delivered to every subscriber. Counts deliveries at the subscribers and the
// server's CPU time from /proc, so the figure is deliveries per server core-second. Speaks the two wire
// protocols directly (RESP2, NATS text protocol) so no client library sits between driver and server.
#include <sys/epoll.h>

#include <atomic>
#include <thread>
#include <vector>

#include "../common/perf_util.hpp"

using namespace herald::perf;

namespace {

struct subscriber {
  int fd = -1;
  std::uint64_t bytes = 0;
};

// Reads until `want` appears (blocking fd); false on EOF or after ~5 s.
bool read_until(int fd, std::string_view want, std::string& acc) {
  double give_up = now_s() + 5;
  char buf[4096];
  while (acc.find(want) == std::string::npos) {
    if (now_s() > give_up) return false;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    acc.append(buf, std::size_t(n));
  }
  return true;
}

bool subscribe(const std::string& server, int fd) {
  std::string acc;
  if (server == "redis") {
    return write_all(fd, "SUBSCRIBE conf\r\n") && read_until(fd, ":1\r\n", acc);
  }
  // NATS: INFO first, then CONNECT + SUB; the PONG proves the SUB was processed.
  return read_until(fd, "\r\n", acc) &&
         write_all(fd, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB conf 1\r\nPING\r\n") &&
         read_until(fd, "PONG\r\n", acc);
}

}  // namespace

int main(int argc, char** argv) {
  std::string server = flag(argc, argv, "--server", "");
  long port = flag_int(argc, argv, "--port", 0);
  long pid = flag_int(argc, argv, "--server-pid", 0);
  long n_subs = flag_int(argc, argv, "--subscribers", 1000);
  long size = flag_int(argc, argv, "--size", 256);
  double duration = flag_double(argc, argv, "--duration", 5);
  // Messages published but not yet seen by every subscriber: keeps the servers below their
  // slow-consumer cut-offs (Redis client-output-buffer-limit pubsub, NATS max_pending).
  long window = flag_int(argc, argv, "--window", 32);
  if ((server != "redis" && server != "nats") || port <= 0 || n_subs < 1 || n_subs > 10000 || size < 1) {
    std::fprintf(
        stderr,
        "usage: perf_redis_nats --server redis|nats --port P [--server-pid PID] [--subscribers N<=10000] "
        "[--size B] [--duration S] [--window W]\n");
    return 2;
  }
  std::string payload(std::size_t(size), 'x');
  // Bytes one delivery occupies on a subscriber connection (fixed: same channel, same size).
  std::string delivery = server == "redis" ? "*3\r\n$7\r\nmessage\r\n$4\r\nconf\r\n$" + std::to_string(size) +
                                                 "\r\n" + payload + "\r\n"
                                           : "MSG conf 1 " + std::to_string(size) + "\r\n" + payload + "\r\n";
  std::string publish = server == "redis" ? "*3\r\n$7\r\nPUBLISH\r\n$4\r\nconf\r\n$" + std::to_string(size) +
                                                "\r\n" + payload + "\r\n"
                                          : "PUB conf " + std::to_string(size) + "\r\n" + payload + "\r\n";

  std::vector<subscriber> subs(static_cast<std::size_t>(n_subs));
  for (auto& s : subs) {
    s.fd = connect_loopback(std::uint16_t(port));
    if (s.fd < 0 || !subscribe(server, s.fd)) {
      std::fprintf(stderr, "subscriber setup failed\n");
      return 1;
    }
    set_nonblocking(s.fd);
  }
  int pub = connect_loopback(std::uint16_t(port));
  std::string acc;
  if (pub < 0 ||
      (server == "nats" && !(read_until(pub, "\r\n", acc) &&
                             write_all(pub, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n")))) {
    std::fprintf(stderr, "publisher setup failed\n");
    return 1;
  }

  // One reader thread drains every subscriber, as the sink in perf_physical_limit does.
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<bool> stop{false};
  double reader_cpu = 0;
  std::thread reader([&] {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < subs.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev);
    }
    std::vector<char> buf(1 << 20);
    std::vector<epoll_event> evs(1024);
    double c0 = thread_cpu_s();
    std::uint64_t total = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep, evs.data(), int(evs.size()), 20);
      for (int i = 0; i < n; ++i) {
        subscriber& s = subs[evs[i].data.u64];
        std::uint64_t before = s.bytes / delivery.size();
        while (true) {
          ssize_t r = ::recv(s.fd, buf.data(), buf.size(), 0);
          if (r <= 0) break;
          s.bytes += std::uint64_t(r);
        }
        total += s.bytes / delivery.size() - before;
      }
      delivered.store(total, std::memory_order_release);
    }
    reader_cpu = thread_cpu_s() - c0;
    ::close(ep);
  });

  std::string batch;
  for (long i = 0; i < 8; ++i) batch += publish;
  const std::uint64_t subs_n = std::uint64_t(n_subs);
  std::uint64_t published = 0;
  double cpu0 = pid > 0 ? process_cpu_s(pid_t(pid)) : 0;
  double t0 = now_s();
  double end = t0 + duration;
  char sink[65536];
  while (now_s() < end) {
    // Publish 8 at a time while fewer than `window` messages are still on their way.
    if (published < delivered.load(std::memory_order_acquire) / subs_n + std::uint64_t(window)) {
      if (!write_all(pub, batch)) {
        std::fprintf(stderr, "publish failed\n");
        return 1;
      }
      published += 8;
    } else {
      std::this_thread::yield();
    }
    // Redis answers every PUBLISH with the receiver count; drain those replies.
    while (::recv(pub, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
  }
  // Let what was published arrive (bounded) so deliveries match the CPU the server spent on them.
  double give_up = now_s() + 10;
  while (delivered.load() < published * subs_n && now_s() < give_up) std::this_thread::yield();
  double wall = now_s() - t0;
  double server_cpu = pid > 0 ? process_cpu_s(pid_t(pid)) - cpu0 : 0;
  stop = true;
  reader.join();
  std::uint64_t got = delivered.load();
  long rss = pid > 0 ? process_rss_kib(pid_t(pid)) : -1;
  std::printf(
      "{\"server\":\"%s\",\"subscribers\":%ld,\"size\":%ld,\"published\":%llu,\"deliveries\":%llu,"
      "\"expected\":%llu,\"wall_s\":%.3f,\"server_cpu_s\":%.3f,\"driver_reader_cpu_s\":%.3f,"
      "\"deliveries_per_s\":%.0f,\"deliveries_per_server_core_s\":%.0f,\"server_rss_kib\":%ld}\n",
      server.c_str(), n_subs, size, (unsigned long long)published, (unsigned long long)got,
      (unsigned long long)(published * subs_n), wall, server_cpu, reader_cpu, double(got) / wall,
      server_cpu > 0 ? double(got) / server_cpu : 0, rss);
  for (auto& s : subs) ::close(s.fd);
  ::close(pub);
  return got == published * subs_n ? 0 : 1;
}
