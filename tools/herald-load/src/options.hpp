// herald-load's command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan.hpp"

namespace herald::load {

struct options {
  std::string control_host = "127.0.0.1";
  std::uint16_t control_port = 8780;
  std::string msrp_host = "127.0.0.1";
  std::uint16_t msrp_port = 2855;
  std::size_t msrp_connections = 1000;
  std::uint64_t participants = 100000;
  double rate = 200;
  double duration_s = 30;
  std::size_t size = 300;
  scenario sc = scenario::system;
  std::uint64_t chat_senders = 10;
  std::size_t procs = 1;
  std::size_t http_connections = 4;  // control API connections (one sender thread each)
  double drain_s = 30;               // after the last send, wait this long for deliveries
  double churn = 0;                  // participants per second that leave, and as many that join
  std::string rss_csv;               // with --spawn: heraldd's RSS once a second to this CSV file
  double max_rss_growth_pct = -1;    // with --spawn: fail when RSS grew more than this (< 0: no limit)
  bool json = false;
  bool spawn = false;
  std::vector<std::string> heraldd_args = {"--shards", "2"};
};

// Parses argv; on error or --help prints to stderr and returns false with exit_code set.
bool parse_options(int argc, char** argv, options& out, int& exit_code);

}  // namespace herald::load
