// A worker process: binds its share of the sessions over its share of the MSRP connections on its own
// io_uring loop (herald::reactor::shard), answers every SEND with 200, checks every delivery, sends
// its participants' chat messages on schedule, and publishes results in the shared region.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan.hpp"
#include "shared.hpp"

namespace herald::load {

struct worker_config {
  std::size_t index = 0;  // this worker; participant i belongs to worker i % procs
  std::size_t procs = 1;
  std::size_t connections = 1;  // this worker's MSRP connections
  std::string msrp_host;
  std::uint16_t msrp_port = 0;
  int bind_timeout_ms = 120000;
};

// Runs to completion (the driver's stop flag); returns the process exit status.
int run_worker(const worker_config& cfg, const plan& p, const std::vector<std::string>& herald_paths,
               shared_region& shared);

}  // namespace herald::load
