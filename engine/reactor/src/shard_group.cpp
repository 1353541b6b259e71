// Shard threads: each creates its own ring (SINGLE_ISSUER binds the ring to its creator) and runs its loop.
#include "herald/reactor/shard_group.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <latch>

#include "herald/net/socket.hpp"

namespace herald::reactor {

int shard_group::start(std::size_t count, const shard_config& cfg, handler_factory factory,
                       bool pin_threads) {
  if (!threads_.empty() || count == 0) return -EINVAL;
  std::latch ready{static_cast<std::ptrdiff_t>(count)};
  std::atomic<int> first_error{0};
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  for (std::size_t i = 0; i < count; ++i) {
    shard_config c = cfg;
    c.id = std::uint16_t(i);
    shards_.push_back(std::make_unique<shard>(c));
  }
  for (std::size_t i = 0; i < count; ++i) {
    shard* s = shards_[i].get();
    threads_.emplace_back([s, &ready, &first_error, &factory, pin_threads, cpus, i] {
      if (pin_threads && cpus > 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(int(i % std::size_t(cpus)), &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
      }
      const int rc = s->init();
      if (rc == 0 && factory) s->set_handler(factory(*s));
      if (rc < 0) {
        int expected = 0;
        first_error.compare_exchange_strong(expected, rc);
      }
      ready.count_down();
      // `ready` and `factory` belong to start()'s frame: not touched past this point.
      if (rc == 0) s->run();
    });
  }
  ready.wait();
  if (int rc = first_error.load(); rc < 0) {
    stop();
    return rc;
  }
  return 0;
}

int shard_group::listen(std::string_view host, std::uint16_t port, int backlog,
                        std::shared_ptr<const tls_endpoint> tls) {
  std::vector<int> fds;
  int bound = port;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    const int fd = net::listen_tcp(host, std::uint16_t(bound), true, backlog);
    if (fd < 0) {
      for (int f : fds) ::close(f);
      return fd;
    }
    if (i == 0) bound = net::local_port(fd);
    fds.push_back(fd);
  }
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    shard* s = shards_[i].get();
    const int fd = fds[i];
    s->post([s, fd, tls] {
      if (s->add_listener(fd, tls) < 0) ::close(fd);
    });
  }
  return bound;
}

void shard_group::stop() {
  for (auto& s : shards_) s->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  shards_.clear();
}

}  // namespace herald::reactor
