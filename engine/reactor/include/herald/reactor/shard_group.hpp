// N shards on N threads (optionally pinned): start, SO_REUSEPORT listen on all, post by shard id, stop and
// join.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "herald/reactor/shard.hpp"
#include "herald/reactor/tls_endpoint.hpp"

namespace herald::reactor {

class shard_group {
 public:
  // Called on each shard's own thread after init(), before its loop runs: return that shard's handler.
  using handler_factory = std::function<connection_handler*(shard&)>;

  shard_group() = default;
  shard_group(const shard_group&) = delete;
  shard_group& operator=(const shard_group&) = delete;
  ~shard_group() { stop(); }

  // Shard i gets cfg with id = i. Returns 0 once every shard's ring is up, or the first -errno (all stopped).
  int start(std::size_t count, const shard_config& cfg, handler_factory factory, bool pin_threads = false);

  // After start(): one SO_REUSEPORT listener per shard on the same port (port 0: the first picks it);
  // bound port or -errno. The kernel spreads incoming connections across the shards.
  // With tls, a TLS listener (see shard::listen).
  int listen(std::string_view host, std::uint16_t port, int backlog = 1024,
             std::shared_ptr<const tls_endpoint> tls = {});

  // Any thread.
  void post(std::uint16_t shard_id, task t) { shards_[shard_id]->post(std::move(t)); }
  shard& at(std::uint16_t shard_id) { return *shards_[shard_id]; }
  std::size_t size() const { return shards_.size(); }

  // Stop request to every shard, each drains (closes connections, runs queued tasks) and exits; joins.
  void stop();

 private:
  std::vector<std::unique_ptr<shard>> shards_;
  std::vector<std::thread> threads_;
};

}  // namespace herald::reactor
