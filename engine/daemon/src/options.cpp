// heraldd flag parsing.
#include "herald/daemon/options.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <functional>
#include <initializer_list>

#include "herald/core/ascii.hpp"
#include "herald/signalling/http_post.hpp"

namespace herald::daemon {

namespace {

bool parse_uint(std::string_view text, std::uint64_t& v) {
  if (text.empty()) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && p == text.data() + text.size();
}

struct flag {
  std::string_view name;
  std::string_view help;
  std::function<bool(std::string_view, options&)> apply;  // nullptr for boolean flags handled inline
};

bool set_duration(std::string_view v, std::uint64_t& out) {
  return parse_duration(v, out);
}
bool set_size(std::string_view v, std::size_t& out) {
  return parse_size(v, out);
}
bool set_count(std::string_view v, std::size_t& out) {
  std::uint64_t n;
  if (!parse_uint(v, n)) return false;
  out = static_cast<std::size_t>(n);
  return true;
}

const std::vector<flag>& flags() {
  static const std::vector<flag> table = {
      {"--msrp", "host:port for MSRP over TCP (default 127.0.0.1:2855; port 0 picks one; none: no TCP)",
       [](std::string_view v, options& o) {
         if (v == "none") {
           o.msrp = host_port{};
           return true;
         }
         return parse_host_port(v, o.msrp);
       }},
      {"--msrps", "host:port for MSRP over TLS, msrps:// session URIs (default: none; needs --tls-cert/key)",
       [](std::string_view v, options& o) {
         host_port hp;
         if (!parse_host_port(v, hp)) return false;
         o.msrps = hp;
         return true;
       }},
      {"--advertise-msrps", "host:port written into msrps session URIs (default: the --msrps address)",
       [](std::string_view v, options& o) {
         host_port hp;
         if (!parse_host_port(v, hp)) return false;
         o.advertise_msrps = std::string(v);
         return true;
       }},
      {"--tls-cert", "PEM certificate chain for --msrps, leaf first (ECDSA or RSA); re-read on SIGHUP",
       [](std::string_view v, options& o) {
         o.tls.cert_file = std::string(v);
         return !v.empty();
       }},
      {"--tls-key", "PEM private key for --tls-cert; re-read on SIGHUP",
       [](std::string_view v, options& o) {
         o.tls.key_file = std::string(v);
         return !v.empty();
       }},
      {"--tls-ca", "PEM bundle that peer certificates must chain to (with --tls-verify-peer)",
       [](std::string_view v, options& o) {
         o.tls.ca_file = std::string(v);
         return !v.empty();
       }},
      {"--tls-handshake-timeout", "a TLS handshake not finished within this is closed (default 10s)",
       [](std::string_view v, options& o) {
         return set_duration(v, o.tls_handshake_timeout_ns) && o.tls_handshake_timeout_ns > 0;
       }},
      {"--tls-ktls",
       "auto: the kernel seals msrps records where it can and a self-test passes; off (default auto)",
       [](std::string_view v, options& o) {
         o.tls_ktls = v == "auto";
         return v == "auto" || v == "off";
       }},
      {"--control-tls-cert", "PEM certificate chain: the control API serves HTTPS (with --control-tls-key)",
       [](std::string_view v, options& o) {
         o.control_tls.cert_file = std::string(v);
         return !v.empty();
       }},
      {"--control-tls-key", "PEM private key for --control-tls-cert",
       [](std::string_view v, options& o) {
         o.control_tls.key_file = std::string(v);
         return !v.empty();
       }},
      {"--control", "host:port for the control API (default 127.0.0.1:8780; non-loopback needs --token-file)",
       [](std::string_view v, options& o) { return parse_host_port(v, o.control); }},
      {"--advertise", "host:port written into session URIs (default: the MSRP address)",
       [](std::string_view v, options& o) {
         host_port hp;
         if (!parse_host_port(v, hp)) return false;
         o.advertise = std::string(v);
         return true;
       }},
      {"--shards", "MSRP reactor shards, one thread each (default: one per core)",
       [](std::string_view v, options& o) {
         return set_count(v, o.engine.shards) && o.engine.shards > 0 && o.engine.shards <= 256;
       }},
      {"--token-file", "file holding the bearer token the control API requires",
       [](std::string_view v, options& o) {
         o.token_file = std::string(v);
         return !v.empty();
       }},
      {"--max-chunk", "outgoing MSRP chunk size in bytes (default 2048)",
       [](std::string_view v, options& o) {
         return set_size(v, o.engine.max_chunk_bytes) && o.engine.max_chunk_bytes >= 64;
       }},
      {"--transaction-timeout", "no response within this fails the delivery with 408 (default 30s)",
       [](std::string_view v, options& o) { return set_duration(v, o.engine.transaction_timeout_ns); }},
      {"--message-retention", "how long delivery state is kept (default 10m)",
       [](std::string_view v, options& o) { return set_duration(v, o.engine.message_retention_ns); }},
      {"--max-queue-bytes",
       "outbound bytes queued per connection before it is a slow consumer (default 8MiB)",
       [](std::string_view v, options& o) {
         return set_size(v, o.engine.max_queue_bytes) && o.engine.max_queue_bytes > 0;
       }},
      {"--max-queue-bytes-per-session",
       "extra outbound queue room per session bound on a connection (relays carry many; default 64KiB)",
       [](std::string_view v, options& o) { return set_size(v, o.engine.max_queue_bytes_per_session); }},
      {"--max-message-size", "largest message body accepted from the API or MSRP (default 16MiB)",
       [](std::string_view v, options& o) { return set_size(v, o.engine.max_message_bytes); }},
      {"--max-conferences", "conferences allowed (default 10000)",
       [](std::string_view v, options& o) { return set_count(v, o.engine.max_conferences); }},
      {"--max-participants", "participants per conference (default 2000000, at most 2^29)",
       [](std::string_view v, options& o) {
         return set_count(v, o.engine.max_participants_per_conference) &&
                o.engine.max_participants_per_conference <= (std::size_t(1) << 29);
       }},
      {"--max-pending-deliveries",
       "undelivered recipients per conference across messages; beyond: 429 (default 4000000)",
       [](std::string_view v, options& o) { return set_count(v, o.engine.max_pending_deliveries); }},
      {"--max-sessions-per-connection", "MSRP sessions one connection may bind (default 100000)",
       [](std::string_view v, options& o) { return set_count(v, o.engine.max_sessions_per_connection); }},
      {"--max-messages-in-flight",
       "messages one shard tracks at once; beyond, recipients fail outbox_full (default and max 238328)",
       [](std::string_view v, options& o) {
         std::size_t n = 0;
         if (!set_count(v, n) || n == 0 || n > 62u * 62u * 62u) return false;
         o.engine.max_messages_in_flight = static_cast<std::uint32_t>(n);
         return true;
       }},
      {"--max-request-body", "largest control API request body (default 64MiB)",
       [](std::string_view v, options& o) { return set_size(v, o.api.max_request_body); }},
      {"--header-timeout", "an MSRP or HTTP header must complete within this (default 10s)",
       [](std::string_view v, options& o) {
         return set_duration(v, o.engine.header_timeout_ns) && set_duration(v, o.api.head_timeout_ns);
       }},
      {"--drain-timeout", "on SIGTERM/SIGINT, time allowed to finish deliveries (default 10s)",
       [](std::string_view v, options& o) { return set_duration(v, o.drain_timeout_ns); }},
      {"--sip-rpc",
       "JSON-RPC URL of a SIP front end (Kamailio's jsonrpcs, e.g. http://127.0.0.1:5060/RPC): SIP "
       "participants "
       "that leave get a BYE through it (default: none)",
       [](std::string_view v, options& o) {
         o.sip_rpc = std::string(v);
         return signalling::parse_http_url(v).ok();
       }},
      {"--sip-rpc-timeout", "time allowed for one --sip-rpc call (default 2s)",
       [](std::string_view v, options& o) {
         return set_duration(v, o.sip_rpc_timeout_ns) && o.sip_rpc_timeout_ns > 0;
       }},
      {"--log-level", "debug, info, warn or error (default info)",
       [](std::string_view v, options& o) {
         o.log_level = std::string(v);
         return !v.empty();
       }},
      {"--ready-file", "written with 'msrp=PORT control=PORT' once serving (for supervisors and tests)",
       [](std::string_view v, options& o) {
         o.ready_file = std::string(v);
         return !v.empty();
       }},
  };
  return table;
}

// Flags that only make sense together: named in the error, so nothing is silently ignored.
bool check_tls_flags(const options& o, std::string& error) {
  const bool tls_files = !o.tls.cert_file.empty() || !o.tls.key_file.empty();
  if (o.msrps && (o.tls.cert_file.empty() || o.tls.key_file.empty())) {
    error = "--msrps needs --tls-cert and --tls-key";
    return false;
  }
  if (!o.msrps && (tls_files || !o.tls.ca_file.empty() || o.tls.verify_peer || !o.advertise_msrps.empty())) {
    error = "--tls-cert, --tls-key, --tls-ca, --tls-verify-peer and --advertise-msrps need --msrps";
    return false;
  }
  if (o.tls.verify_peer && o.tls.ca_file.empty()) {
    error = "--tls-verify-peer needs --tls-ca (the certificates peers must chain to)";
    return false;
  }
  if (o.control_tls.cert_file.empty() != o.control_tls.key_file.empty()) {
    error = "--control-tls-cert and --control-tls-key go together";
    return false;
  }
  if (o.msrp.host.empty() && !o.msrps) {
    error = "--msrp none needs --msrps: the focus must serve MSRP somewhere";
    return false;
  }
  return true;
}

}  // namespace

bool parse_duration(std::string_view text, std::uint64_t& ns) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  std::uint64_t n;
  if (!parse_uint(text.substr(0, i), n)) return false;
  std::string_view unit = text.substr(i);
  std::uint64_t scale;
  if (unit.empty() || unit == "s")
    scale = 1'000'000'000ULL;
  else if (unit == "ms")
    scale = 1'000'000ULL;
  else if (unit == "us")
    scale = 1'000ULL;
  else if (unit == "m")
    scale = 60'000'000'000ULL;
  else if (unit == "h")
    scale = 3'600'000'000'000ULL;
  else
    return false;
  if (n > UINT64_MAX / scale) return false;
  ns = n * scale;
  return true;
}

bool parse_size(std::string_view text, std::size_t& bytes) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  std::uint64_t n;
  if (!parse_uint(text.substr(0, i), n)) return false;
  std::string_view unit = text.substr(i);
  // Every spelling an operator writes, all binary: 8M = 8MB = 8MiB = 8 * 2^20 bytes, in any case.
  auto is = [unit](std::initializer_list<std::string_view> names) {
    for (std::string_view name : names)
      if (ascii::iequals(unit, name)) return true;
    return false;
  };
  std::uint64_t scale;
  if (unit.empty() || is({"b"}))
    scale = 1;
  else if (is({"k", "kb", "kib"}))
    scale = 1ULL << 10;
  else if (is({"m", "mb", "mib"}))
    scale = 1ULL << 20;
  else if (is({"g", "gb", "gib"}))
    scale = 1ULL << 30;
  else
    return false;
  if (n > UINT64_MAX / scale) return false;
  bytes = static_cast<std::size_t>(n * scale);
  return true;
}

bool parse_host_port(std::string_view text, host_port& out) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
  }
  std::uint64_t port;
  if (!parse_uint(text.substr(colon + 1), port) || port > 65535) return false;
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(port);
  return !out.host.empty();
}

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a;
  std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), &a) != 1) return false;
  return (ntohl(a.s_addr) >> 24) == 127;
}

bool parse_options(const std::vector<std::string_view>& args, options& out, std::string& error) {
  // Flags that take no value.
  struct switch_flag {
    std::string_view name;
    bool options::*target;
  };
  static constexpr switch_flag switches[] = {
      {"--help", &options::help}, {"-h", &options::help}, {"--version", &options::version}};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    if (!name.starts_with("-")) {
      error = "unexpected argument '" + std::string(arg) + "' (flags start with --; see --help)";
      return false;
    }
    bool is_switch = false;
    for (const switch_flag& s : switches) {
      if (s.name != name) continue;
      out.*s.target = true;
      is_switch = true;
    }
    if (name == "--pin-threads") {
      out.engine.pin_threads = true;
      is_switch = true;
    }
    if (name == "--tls-verify-peer") {
      out.tls.verify_peer = true;
      is_switch = true;
    }
    if (is_switch) {
      if (eq != std::string_view::npos) {
        error = "flag " + std::string(name) + " takes no value";
        return false;
      }
      continue;
    }
    const flag* f = nullptr;
    for (const flag& candidate : flags())
      if (candidate.name == name) f = &candidate;
    if (!f) {
      error = "unknown flag " + std::string(name) + " (see --help)";
      return false;
    }
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && !args[i + 1].starts_with("--")) {
      value = args[++i];
    } else {
      error = "flag " + std::string(name) + " needs a value";
      return false;
    }
    if (!f->apply(value, out)) {
      error = "bad value for " + std::string(name) + ": '" + std::string(value) + "'";
      return false;
    }
  }
  return check_tls_flags(out, error);
}

std::string version_string() {
  return std::string("heraldd ") + HERALD_VERSION + " (" + HERALD_GIT_DESCRIBE + ")";
}

std::string usage() {
  std::string out =
      "heraldd: IM conference fan-out server (MSRP RFC 4975, Message/CPIM RFC 3862)\n\n"
      "usage: heraldd [flags]\n\n";
  for (const flag& f : flags()) {
    out += "  ";
    out += f.name;
    out += std::string(f.name.size() < 30 ? 30 - f.name.size() : 1, ' ');
    out += f.help;
    out += '\n';
  }
  out += "  --pin-threads                 pin each shard thread to a core\n";
  out += "  --tls-verify-peer             msrps peers must present a certificate chaining to --tls-ca\n";
  out += "  --version                     print the version and exit\n";
  out += "  --help                        this text\n";
  out +=
      "\nSizes take B, K/KB/KiB, M/MB/MiB or G/GB/GiB in any case, all binary (1K = 1024 bytes); durations\n"
      "take us, ms, s (the default), m or h.\n";
  out +=
      "\nTLS: msrps speaks TLS 1.2 and 1.3 (forward-secret AEAD suites only) in user space; kernel TLS is\n"
      "probed at startup and the choice logged. Failed handshakes are closed and counted by reason in\n"
      "herald_tls_failures_total. SIGHUP re-reads --tls-cert/--tls-key (and --tls-ca) for new connections;\n"
      "open sessions keep theirs.\n"
      "\nSignals: SIGTERM/SIGINT stop accepting, finish deliveries up to --drain-timeout, fail the rest\n"
      "(reason shutdown) and exit 0. GET /v1/messages/{id} answers during the drain; each message still\n"
      "unfinished at the signal is logged once at the end (msg=\"message final status\", counts by reason).\n"
      "\nDescriptors: MSRP accepts pause 64 descriptors short of RLIMIT_NOFILE (the rest is for the control\n"
      "API and the process) and resume when descriptors free up; one log line per episode.\n";
  return out;
}

}  // namespace herald::daemon
