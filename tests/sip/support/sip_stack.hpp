// The real signalling stack for the `sip` tests: heraldd with --sip-rpc, Kamailio 5.6 running the shipped
// deploy/kamailio/herald.cfg in front of it, and SIPp UACs running the shipped scenarios. Every process
// listens on 127.0.0.1 on ports chosen here and is stopped by the test. A missing kamailio or sipp binary
// is a failure, not a skip: these tests exist to run the real components.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herald/client/daemon_process.hpp"
#include "herald/client/http_client.hpp"
#include "herald/client/msrp_peer.hpp"

namespace herald::sip_test {

using namespace herald::client;

// The program's path: the environment variable `override_env` if set, else the first executable `name` on
// PATH, /usr/sbin or /usr/bin; empty if none.
std::string find_program(std::string_view name, const char* override_env);
// A port free on 127.0.0.1 for both UDP and TCP at the time of the call (SIP listens on both).
std::uint16_t free_sip_port();
// Where the shipped Kamailio config and SIPp scenarios live (the source tree's deploy/kamailio).
std::string deploy_dir();

// A child process in its own process group with stdout and stderr in a log file.
class child_process {
 public:
  child_process() = default;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();
  // argv[0] must be a path. false if fork failed.
  bool spawn(const std::vector<std::string>& argv, const std::string& log_path);
  // The exit status once it ended (128 + signal if killed), or -1 while still running after timeout_ms.
  int wait(int timeout_ms);
  // SIGTERM to the group, then SIGKILL after timeout_ms; the exit status.
  int stop(int timeout_ms = 10000);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

std::string read_file(const std::string& path);

class kamailio_process {
 public:
  // Runs deploy/kamailio/start.sh (herald.cfg) on 127.0.0.1:sip_port against heraldd's control API and
  // waits for its KAMAILIO-READY line. `flags` are more of start.sh's flags (--factory USER, ...).
  bool start(std::uint16_t sip_port, std::uint16_t herald_control_port,
             const std::vector<std::string>& flags = {}, int timeout_ms = 20000);
  int stop();
  std::string log() const { return read_file(dir_ + "/kamailio.log"); }
  std::uint16_t port() const { return port_; }

 private:
  child_process proc_;
  std::string dir_;
  std::uint16_t port_ = 0;
};

// One SIPp run of a shipped scenario against Kamailio; `rows` are its injection file's lines
// (conference user;caller user;caller MSRP URI without ";tcp").
class sipp_process {
 public:
  bool start(std::uint16_t sip_port, std::string_view scenario, const std::vector<std::string>& rows,
             const std::vector<std::string>& extra_args = {});
  // SIPp's exit status: 0 when every call succeeded, 1 when one failed; -1 if it still runs after timeout.
  int wait(int timeout_ms = 60000) { return proc_.wait(timeout_ms); }
  void kill() { proc_.stop(2000); }
  // The scenario's <log> lines, SIPp's errors, the messages it sent and received, its console output.
  std::string log() const { return read_file(dir_ + "/log"); }
  std::string report() const;
  // Waits until the <log> output holds `needle` `count` times; false on timeout or if SIPp ended first.
  bool wait_log(std::string_view needle, std::size_t count = 1, int timeout_ms = 20000);
  // The value after `key=` in the first <log> line holding `line_marker` (values end at a space).
  std::string log_value(std::string_view line_marker, std::string_view key) const;
  std::uint16_t local_port() const { return local_port_; }

 private:
  child_process proc_;
  std::string dir_;
  std::uint16_t local_port_ = 0;
};

// heraldd (with --sip-rpc to Kamailio) + a conference sip:team@example.com + Kamailio in front of it.
class sip_stack {
 public:
  // false with `why` set when a component is missing or did not start.
  bool start(std::string& why, const std::vector<std::string>& kamailio_flags = {});
  void stop();
  http_reply api(std::string_view method, const std::string& target, std::string_view body = "") const;
  // The participant of the conference whose path (Herald's session URI) is `path`: its JSON object, or
  // empty.
  std::string participant_with_path(const std::string& path) const;
  std::int64_t participant_count() const;
  // What every component logged, for failure messages.
  std::string logs() const;

  daemon_process herald;
  kamailio_process kamailio;
  std::uint16_t sip_port = 0;
  std::string conference_id;
};

}  // namespace herald::sip_test
