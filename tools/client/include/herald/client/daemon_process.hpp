// Starts a real heraldd on ephemeral loopback ports (tests, demo, load tools), and stops it (SIGTERM, then
// SIGKILL).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace herald::client {

class daemon_process {
 public:
  // Starts heraldd with --msrp 127.0.0.1:0 --control 127.0.0.1:0 --ready-file plus extra args and
  // waits until it reports its ports. Returns false (and keeps the log) if it did not come up.
  bool start(const std::vector<std::string>& extra_args = {}, int timeout_ms = 20000);
  // SIGTERM and wait; returns the exit status (or -1 if it had to be killed).
  int stop(int timeout_ms = 20000);
  ~daemon_process();

  std::uint16_t msrp_port() const { return msrp_port_; }
  std::uint16_t control_port() const { return control_port_; }
  std::uint16_t msrps_port() const { return msrps_port_; }  // 0 unless started with --msrps
  pid_t pid() const { return pid_; }
  std::string log() const;  // what heraldd wrote to stderr so far
  // Resident set size in KiB, from /proc.
  long rss_kib() const;

 private:
  pid_t pid_ = -1;
  std::uint16_t msrp_port_ = 0;
  std::uint16_t control_port_ = 0;
  std::uint16_t msrps_port_ = 0;
  std::string dir_;
};

// Path of the heraldd binary under test (HERALDD env var, else the build tree's).
std::string heraldd_path();

}  // namespace herald::client
