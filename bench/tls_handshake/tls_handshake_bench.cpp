// Full TLS handshakes per second per core, server side only (what one heraldd shard spends per new msrps
// connection), and record encryption throughput. Compare with `openssl speed ecdsap256` in the same run:
// a full handshake costs the server one ECDSA signature and one ECDHE key agreement.
#include <benchmark/benchmark.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "herald/client/test_pki.hpp"
#include "herald/tls/session.hpp"

namespace {
using namespace herald;

struct fixture {
  std::shared_ptr<tls::context> server, client;
  explicit fixture(client::key_kind kind) {
    const client::test_pki pki = client::make_test_pki_or_die(kind);
    server = client::server_context(pki);
    client = client::client_context(pki.ca_cert);
    if (!server || !client) std::abort();
    // Full handshakes only: no session tickets to resume from.
    SSL_CTX_set_num_tickets(server->raw(), 0);
    SSL_CTX_set_session_cache_mode(server->raw(), SSL_SESS_CACHE_OFF);
  }
};

fixture& get(client::key_kind kind) {
  static fixture ec(client::key_kind::ecdsa_p256);
  static fixture rsa(client::key_kind::rsa_2048);
  return kind == client::key_kind::ecdsa_p256 ? ec : rsa;
}

// One full handshake; the time spent in the server's calls is added to server_ns.
bool handshake(const fixture& f, double& server_ns) {
  using clock = std::chrono::steady_clock;
  tls::session client(*f.client, tls::session::role::client);
  tls::session server(*f.server, tls::session::role::server);
  client.handshake();
  for (int round = 0; round < 8; ++round) {
    std::vector<char> a;
    a.swap(client.output());
    if (!a.empty()) {
      const auto t0 = clock::now();
      server.feed({a.data(), a.size()});
      server.handshake();
      server_ns += std::chrono::duration<double, std::nano>(clock::now() - t0).count();
    }
    std::vector<char> b;
    b.swap(server.output());
    if (!b.empty()) {
      client.feed({b.data(), b.size()});
      client.handshake();
    }
    if (server.handshake_done() && client.handshake_done()) return true;
  }
  return false;
}

void full_handshake(benchmark::State& state, client::key_kind kind, int max_version) {
  fixture& f = get(kind);
  SSL_CTX_set_max_proto_version(f.client->raw(), max_version);
  double server_ns = 0;
  for (auto _ : state) {
    if (!handshake(f, server_ns)) state.SkipWithError("handshake failed");
  }
  state.counters["server_handshakes_per_core_s"] =
      benchmark::Counter(double(state.iterations()) / (server_ns * 1e-9));
}

void BM_FullHandshake_EcdsaP256_Tls13(benchmark::State& s) {
  full_handshake(s, client::key_kind::ecdsa_p256, TLS1_3_VERSION);
}
void BM_FullHandshake_EcdsaP256_Tls12(benchmark::State& s) {
  full_handshake(s, client::key_kind::ecdsa_p256, TLS1_2_VERSION);
}
void BM_FullHandshake_Rsa2048_Tls13(benchmark::State& s) {
  full_handshake(s, client::key_kind::rsa_2048, TLS1_3_VERSION);
}
BENCHMARK(BM_FullHandshake_EcdsaP256_Tls13)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FullHandshake_EcdsaP256_Tls12)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FullHandshake_Rsa2048_Tls13)->Unit(benchmark::kMicrosecond);

// Encrypting a batch the way the shard does: 16 KiB records of coalesced frames.
void BM_EncryptRecords(benchmark::State& state) {
  fixture& f = get(client::key_kind::ecdsa_p256);
  SSL_CTX_set_max_proto_version(f.client->raw(), TLS1_3_VERSION);
  tls::session client(*f.client, tls::session::role::client);
  tls::session server(*f.server, tls::session::role::server);
  client.handshake();
  for (int round = 0; round < 8 && !(server.handshake_done() && client.handshake_done()); ++round) {
    std::vector<char> a;
    a.swap(client.output());
    server.feed({a.data(), a.size()});
    server.handshake();
    std::vector<char> b;
    b.swap(server.output());
    client.feed({b.data(), b.size()});
    client.handshake();
  }
  const std::string record(std::size_t(state.range(0)), 'x');
  for (auto _ : state) {
    server.write(record);
    server.output().clear();
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EncryptRecords)->Arg(512)->Arg(16 * 1024);

}  // namespace

BENCHMARK_MAIN();
