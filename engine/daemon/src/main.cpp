// heraldd: starts the MSRP shards and the control API, then waits for SIGTERM/SIGINT to drain and exit
// (SIGHUP re-reads the TLS certificates).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "herald/api/server.hpp"
#include "herald/conference/engine.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"
#include "herald/daemon/options.hpp"
#include "herald/reactor/tls_endpoint.hpp"
#include "herald/signalling/sip_rpc.hpp"
#include "herald/tls/session.hpp"

#ifdef HERALD_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace {

bool read_token(const std::string& path, std::string& token) {
  std::ifstream in(path);
  if (!in) return false;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t'))
    token.pop_back();
  return !token.empty();
}

bool write_ready_file(const std::string& path, int msrp_port, int control_port, int msrps_port) {
  // Written to a temporary name and renamed, so a reader never sees half a line.
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "msrp=%d control=%d msrps=%d\n", msrp_port, control_port, msrps_port);
  std::fclose(f);
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// One line per message the shutdown had to wait for: its final counts, failures by reason (only the
// reasons that occurred), so an operator can account for every recipient after the API has gone.
void log_final_status(const herald::conference::message_record& record) {
  using namespace herald::conference;
  message_outcome o = outcome_of(record);
  herald::log::line l(herald::log::level::info, "message final status");
  l.kv("id", record.id())
      .kv("recipients", static_cast<std::uint64_t>(o.recipients))
      .kv("delivered", static_cast<std::uint64_t>(o.delivered))
      .kv("failed", static_cast<std::uint64_t>(o.failed))
      .kv("pending", static_cast<std::uint64_t>(o.pending));
  for (std::size_t r = 1; r < failure_reason_count; ++r) {
    if (o.failed_by_reason[r] == 0) continue;
    std::string key = "failed_";
    key += to_string(static_cast<failure_reason>(r));
    l.kv(key, static_cast<std::uint64_t>(o.failed_by_reason[r]));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herald;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  daemon::options opt;
  std::string error;
  if (!daemon::parse_options(args, opt, error)) {
    std::fprintf(stderr, "heraldd: %s\n", error.c_str());
    return 2;
  }
  if (opt.help) {
    std::fputs(daemon::usage().c_str(), stdout);
    return 0;
  }
  if (opt.version) {
    std::printf("%s\n", daemon::version_string().c_str());
    return 0;
  }
  log::level lvl;
  if (!log::parse_level(opt.log_level, lvl)) {
    std::fprintf(stderr, "heraldd: bad --log-level '%s'\n", opt.log_level.c_str());
    return 2;
  }
  log::set_level(lvl);
  if (!opt.token_file.empty() && !read_token(opt.token_file, opt.api.token)) {
    HERALD_LOG(error, "cannot read token").kv("token_file", opt.token_file);
    return 2;
  }
  if (opt.api.token.empty() && !daemon::is_loopback(opt.control.host)) {
    HERALD_LOG(error, "refusing to serve the control API beyond loopback without --token-file")
        .kv("control", opt.control.host);
    return 2;
  }

  // Every thread inherits this mask; the main thread alone takes the signals, with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // TLS contexts load before anything listens: a bad certificate or key stops startup, naming the file.
  std::shared_ptr<tls::context_source> msrps_contexts, control_contexts;
  for (auto [settings, source, what] : {std::tuple{&opt.tls, &msrps_contexts, "msrps"},
                                        std::tuple{&opt.control_tls, &control_contexts, "control"}}) {
    if (settings->cert_file.empty() || (settings == &opt.tls && !opt.msrps)) continue;
    auto ctx = tls::context::load(*settings, error);
    if (!ctx) {
      HERALD_LOG(error, "cannot load TLS certificate").kv("listener", what).kv("error", error);
      return 2;
    }
    *source = std::make_shared<tls::context_source>(std::move(ctx));
  }
  if (control_contexts) {
    auto endpoint = std::make_shared<reactor::tls_endpoint>();
    endpoint->contexts = control_contexts;
    endpoint->handshake_timeout_ns = opt.tls_handshake_timeout_ns;
    opt.api.tls = std::move(endpoint);
  }
  signal(SIGPIPE, SIG_IGN);

  conference::engine eng(opt.engine);
  std::unique_ptr<signalling::sip_rpc> sip;
  if (!opt.sip_rpc.empty()) {
    sip = std::make_unique<signalling::sip_rpc>(
        eng, signalling::sip_rpc_config{*signalling::parse_http_url(opt.sip_rpc), opt.sip_rpc_timeout_ns});
    eng.set_signalling(sip.get());
    sip->start();
  }
  opt.api.more_metrics = [&sip](std::string& text) {
    text += "# HELP herald_build_info The running heraldd's version.\n# TYPE herald_build_info gauge\n";
    text += "herald_build_info{version=\"" + daemon::version_string() + "\"} 1\n";
    if (!sip) return;
    const auto c = sip->stats();
    text +=
        "# HELP herald_sip_byes_total BYEs asked of the --sip-rpc front end for SIP participants that left.\n"
        "# TYPE herald_sip_byes_total counter\n";
    text += "herald_sip_byes_total{result=\"sent\"} " + std::to_string(c.byes_sent) + "\n";
    text += "herald_sip_byes_total{result=\"failed\"} " + std::to_string(c.byes_failed) + "\n";
    text += "herald_sip_byes_total{result=\"dropped\"} " + std::to_string(c.dropped) + "\n";
    text +=
        "# HELP herald_sip_rpc_queue Leaves waiting for the --sip-rpc worker.\n# TYPE herald_sip_rpc_queue "
        "gauge\n";
    text += "herald_sip_rpc_queue " + std::to_string(c.queued) + "\n";
  };
  int msrp_port = eng.start(opt.msrp.host, opt.msrp.port);
  if (msrp_port < 0) {
    HERALD_LOG(error, "cannot listen for MSRP")
        .kv("address", opt.msrp.host)
        .kv("port", opt.msrp.port)
        .kv("error", std::strerror(-msrp_port));
    return 1;
  }
  if (opt.msrp.host.empty())
    eng.set_advertise("");
  else
    eng.set_advertise(opt.advertise.empty() ? opt.msrp.host + ":" + std::to_string(msrp_port)
                                            : opt.advertise);
  int msrps_port = 0;
  if (opt.msrps) {
    auto endpoint = std::make_shared<reactor::tls_endpoint>();
    endpoint->contexts = msrps_contexts;
    endpoint->handshake_timeout_ns = opt.tls_handshake_timeout_ns;
    endpoint->log_peers = opt.tls.verify_peer;  // relays and gateways that authenticate: who they are
    // The kernel seals records only where it verifiably can: a loopback connection with kTLS transmit,
    // read back by OpenSSL, must give back what was written.
    const int ktls = opt.tls_ktls ? tls::ktls_self_test(*msrps_contexts->current()) : -ECANCELED;
    endpoint->ktls_tx = ktls == 0;
    msrps_port = eng.listen_tls(opt.msrps->host, opt.msrps->port, std::move(endpoint));
    if (msrps_port < 0) {
      HERALD_LOG(error, "cannot listen for MSRP over TLS")
          .kv("address", opt.msrps->host)
          .kv("port", opt.msrps->port)
          .kv("error", std::strerror(-msrps_port));
      eng.stop();
      return 1;
    }
    eng.set_advertise_tls(opt.advertise_msrps.empty() ? opt.msrps->host + ":" + std::to_string(msrps_port)
                                                      : opt.advertise_msrps);
    HERALD_LOG(info, "msrps data path")
        .kv("encryption", ktls == 0 ? "kernel (kTLS transmit) for TLS 1.3 AES-GCM, user-space otherwise"
                                    : "user-space (TLS 1.3 AES-GCM sealed in place; OpenSSL otherwise)")
        .kv("ktls", ktls == 0            ? "self-test passed"
                    : ktls == -ECANCELED ? "off (--tls-ktls off)"
                                         : std::strerror(-ktls))
        .kv("verify_peer", opt.tls.verify_peer ? "yes" : "no");
  }
  for (std::size_t i = 0; i < eng.shard_count(); ++i)
    HERALD_LOG(info, "shard ready")
        .kv("shard", static_cast<std::uint64_t>(i))
        .kv("io_uring", eng.describe_shard(i));

  api::server control(eng, opt.api);
  int control_port = control.start(opt.control.host, opt.control.port);
  if (control_port < 0) {
    HERALD_LOG(error, "cannot listen for the control API")
        .kv("address", opt.control.host)
        .kv("errno", -control_port);
    eng.stop();
    return 1;
  }
  if (!opt.ready_file.empty() && !write_ready_file(opt.ready_file, msrp_port, control_port, msrps_port)) {
    HERALD_LOG(error, "cannot write ready file").kv("path", opt.ready_file);
  }
#ifdef HERALD_WITH_MIMALLOC
  const char* allocator = "mimalloc";
#else
  const char* allocator = "libc (sanitizer build)";
#endif
  HERALD_LOG(info, "heraldd serving")
      .kv("msrp",
          opt.msrp.host.empty() ? std::string("none") : opt.msrp.host + ":" + std::to_string(msrp_port))
      .kv("msrps", opt.msrps ? opt.msrps->host + ":" + std::to_string(msrps_port) : std::string("none"))
      .kv("control_tls", control_contexts ? "https" : "http")
      .kv("control", opt.control.host + ":" + std::to_string(control_port))
      .kv("shards", static_cast<std::uint64_t>(eng.shard_count()))
      .kv("auth", opt.api.token.empty() ? "none" : "bearer")
      .kv("allocator", allocator);

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    // New connections get the re-read certificate; open sessions keep theirs, so nothing is dropped.
    for (auto [source, what] :
         {std::pair{msrps_contexts.get(), "msrps"}, std::pair{control_contexts.get(), "control"}}) {
      if (!source) continue;
      if (source->reload(error))
        HERALD_LOG(info, "TLS certificate reloaded").kv("listener", what).kv("reloads", source->reloads());
      else
        HERALD_LOG(error, "TLS certificate reload failed; keeping the previous one")
            .kv("listener", what)
            .kv("error", error);
    }
  }
  HERALD_LOG(info, "draining").kv("signal", sig).kv("drain_timeout_ms", opt.drain_timeout_ns / 1'000'000);
  // The control API keeps answering GET /v1/messages/{id} through the drain, but goes with the process:
  // every message still unfinished now (or racing the signal) gets its final status logged below.
  const std::uint64_t deadline = monotonic_ns() + opt.drain_timeout_ns;
  std::uint64_t next_sequence = 0;
  std::vector<std::shared_ptr<conference::message_record>> watched = eng.unfinished_messages(next_sequence);
  bool clean = eng.drain(deadline);
  std::size_t unfinished = eng.tracker().pending_total();
  // The API thread stops (joined) before the shards go: it must not post to a shard or read its metrics
  // while engine::stop() takes them down.
  control.stop();
  // The worker calls into the engine (a lost session removes its participant): it stops before the
  // shards. Connections the shards close while stopping end with reason shutdown, which is not reported.
  if (sip) sip->stop();
  eng.stop();
  for (auto& late : eng.messages_since(next_sequence)) watched.push_back(std::move(late));
  for (const auto& record : watched) log_final_status(*record);
  HERALD_LOG(info, "stopped")
      .kv("drained", clean ? "yes" : "no")
      .kv("failed_at_shutdown", static_cast<std::uint64_t>(unfinished));
  return 0;
}
