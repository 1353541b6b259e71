// heraldd's command line: every flag with its default, parsed into the engine and API configs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/api/server.hpp"
#include "herald/conference/config.hpp"
#include "herald/tls/context.hpp"

namespace herald::daemon {

using conference::host_port;

struct options {
  host_port msrp{"127.0.0.1", 2855};  // host "" (--msrp none): no plaintext listener
  std::optional<host_port> msrps;     // --msrps: MSRP over TLS
  std::string advertise_msrps;        // empty: the msrps address with its bound port
  tls::context_settings tls;          // --tls-cert, --tls-key, --tls-ca, --tls-verify-peer
  std::uint64_t tls_handshake_timeout_ns = 10'000'000'000ULL;
  bool tls_ktls = true;  // --tls-ktls auto (default) or off: kernel TLS transmit where its self-test passes
  tls::context_settings control_tls;  // --control-tls-cert/--control-tls-key: HTTPS control API
  host_port control{"127.0.0.1", 8780};
  std::string advertise;  // empty: the MSRP address with its bound port
  std::string token_file;
  std::string ready_file;
  std::string log_level = "info";
  std::string sip_rpc;                                  // --sip-rpc URL; empty: no signalling front end
  std::uint64_t sip_rpc_timeout_ns = 2'000'000'000ULL;  // per call
  std::uint64_t drain_timeout_ns = 10'000'000'000ULL;
  conference::engine_config engine;
  api::server_config api;
  bool help = false;
  bool version = false;
};

// "heraldd <version> (<git describe>)", as --version prints it and herald_build_info exports it.
std::string version_string();

// Parses argv; on error returns false with a message naming the flag (or the flags that must go together).
bool parse_options(const std::vector<std::string_view>& args, options& out, std::string& error);
std::string usage();

// "30s", "250ms", "10m", "1h", "2us", or a bare number of seconds.
bool parse_duration(std::string_view text, std::uint64_t& ns);
// "8MiB", "8MB", "8m", "64k", "2048", "1G": binary multiples, units in any case.
bool parse_size(std::string_view text, std::size_t& bytes);
bool parse_host_port(std::string_view text, host_port& out);
// 127.0.0.0/8, ::1 and "localhost": where an unauthenticated control API is acceptable.
bool is_loopback(std::string_view host);

}  // namespace herald::daemon
