// Command-line parsing for herald-load.
#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string_view>

namespace herald::load {

namespace {

const char* const usage =
    "usage: herald-load [options]\n"
    "  --control HOST:PORT      heraldd control API (default 127.0.0.1:8780)\n"
    "  --msrp HOST:PORT         heraldd MSRP listener (default 127.0.0.1:2855)\n"
    "  --spawn                  start a private heraldd on ephemeral ports (ignores --control/--msrp)\n"
    "  --heraldd-args \"...\"     arguments for the spawned heraldd (default \"--shards 2\")\n"
    "  --participants N         conference size (default 100000)\n"
    "  --msrp-connections N     connections the sessions are multiplexed over (default 1000)\n"
    "  --rate R[/s]             messages per second, all kinds together (default 200/s)\n"
    "  --duration D             sending time, e.g. 30s, 500ms, 2m (default 30s)\n"
    "  --size B                 body bytes (default 300)\n"
    "  --scenario S             system | external | chat | mixed (default system)\n"
    "  --chat-senders K         participants sending chat messages (default 10)\n"
    "  --procs N                worker processes sharing connections and sessions (default 1)\n"
    "  --http-connections N     keep-alive control API connections (default 4)\n"
    "  --drain D                wait for outstanding deliveries after the last send (default 30s)\n"
    "  --churn R[/s]            R participants leave and R new ones join per second while sending\n"
    "  --rss-csv FILE           with --spawn: heraldd RSS once a second (elapsed_s,rss_bytes,deliveries,\n"
    "                           participants)\n"
    "  --max-rss-growth PCT     with --spawn: fail if RSS grew more than PCT% (late vs early sending time)\n"
    "  --json                   final report as one JSON object on stdout\n";

bool host_port(std::string_view v, std::string& host, std::uint16_t& port) {
  auto colon = v.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = std::string(v.substr(0, colon));
  long p = std::strtol(std::string(v.substr(colon + 1)).c_str(), nullptr, 10);
  if (p <= 0 || p > 65535) return false;
  port = static_cast<std::uint16_t>(p);
  return true;
}

bool seconds(std::string_view v, double& out) {
  char* end = nullptr;
  std::string s(v);
  double x = std::strtod(s.c_str(), &end);
  std::string_view unit(end);
  if (unit == "ms")
    x /= 1000;
  else if (unit == "m")
    x *= 60;
  else if (!unit.empty() && unit != "s")
    return false;
  out = x;
  return x > 0;
}

// "R" or "R/s", R > 0.
bool per_second(std::string_view v, double& out) {
  std::string s(v.substr(0, v.find('/')));
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && !s.empty() && out > 0 &&
         (v.find('/') == std::string_view::npos || v.substr(v.find('/')) == "/s");
}

bool count(std::string_view v, std::uint64_t& out) {
  char* end = nullptr;
  std::string s(v);
  out = std::strtoull(s.c_str(), &end, 10);
  return end && *end == '\0' && !s.empty();
}

}  // namespace

bool parse_options(int argc, char** argv, options& o, int& exit_code) {
  exit_code = 2;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      exit_code = 0;
      return false;
    }
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a == "--spawn") {
      o.spawn = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "herald-load: %s needs a value\n%s", argv[i], usage);
      return false;
    }
    std::string_view v = argv[++i];
    std::uint64_t n = 0;
    bool ok = true;
    if (a == "--control")
      ok = host_port(v, o.control_host, o.control_port);
    else if (a == "--msrp")
      ok = host_port(v, o.msrp_host, o.msrp_port);
    else if (a == "--participants")
      ok = count(v, o.participants) && o.participants >= 2;
    else if (a == "--msrp-connections")
      ok = count(v, n) && n > 0 && (o.msrp_connections = n, true);
    else if (a == "--rate")
      ok = per_second(v, o.rate);
    else if (a == "--churn")
      ok = per_second(v, o.churn);
    else if (a == "--rss-csv")
      ok = !(o.rss_csv = std::string(v)).empty();
    else if (a == "--max-rss-growth") {
      std::string s(v);
      char* end = nullptr;
      o.max_rss_growth_pct = std::strtod(s.c_str(), &end);
      ok = end && *end == '\0' && !s.empty() && o.max_rss_growth_pct >= 0;
    } else if (a == "--duration")
      ok = seconds(v, o.duration_s);
    else if (a == "--drain")
      ok = seconds(v, o.drain_s);
    else if (a == "--size")
      ok = count(v, n) && n >= 16 && (o.size = n, true);
    else if (a == "--chat-senders")
      ok = count(v, o.chat_senders) && o.chat_senders > 0;
    else if (a == "--procs")
      ok = count(v, n) && n > 0 && n <= 64 && (o.procs = n, true);
    else if (a == "--http-connections")
      ok = count(v, n) && n > 0 && n <= 64 && (o.http_connections = n, true);
    else if (a == "--scenario") {
      if (v == "system")
        o.sc = scenario::system;
      else if (v == "external")
        o.sc = scenario::external;
      else if (v == "chat")
        o.sc = scenario::chat;
      else if (v == "mixed")
        o.sc = scenario::mixed;
      else
        ok = false;
    } else if (a == "--heraldd-args") {
      o.heraldd_args.clear();
      std::istringstream in{std::string(v)};
      for (std::string w; in >> w;) o.heraldd_args.push_back(w);
    } else {
      std::fprintf(stderr, "herald-load: unknown option %s\n%s", argv[i - 1], usage);
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "herald-load: bad value for %s: %s\n", argv[i - 1], argv[i]);
      return false;
    }
  }
  if ((!o.rss_csv.empty() || o.max_rss_growth_pct >= 0) && !o.spawn) {
    std::fprintf(
        stderr,
        "herald-load: --rss-csv and --max-rss-growth need --spawn (heraldd's RSS is read from /proc)\n");
    return false;
  }
  if (o.chat_senders > o.participants) o.chat_senders = o.participants;
  // Chat senders stay for the whole run (their messages have no server record to check against), so
  // churn needs someone else to remove.
  if (o.churn > 0 && o.participants <= o.chat_senders) {
    std::fprintf(stderr, "herald-load: --churn needs more participants than --chat-senders\n");
    return false;
  }
  if (o.msrp_connections > o.participants) o.msrp_connections = static_cast<std::size_t>(o.participants);
  if (o.procs > o.msrp_connections) o.procs = o.msrp_connections;
  return true;
}

}  // namespace herald::load
