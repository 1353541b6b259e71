// Fuzz target: the input drives Herald's record sealer. Byte 0 picks the suite; then each 3-byte step is
// a record length (0..16384) and a split point for the reader. Every record must decrypt in OpenSSL's
// client, in order, to exactly the plaintext sealed, and close_notify must end the stream.
#include <openssl/ssl.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "herald/client/test_pki.hpp"
#include "herald/tls/session.hpp"

using namespace herald;

namespace {
struct contexts {
  std::shared_ptr<tls::context> server, client128, client256;
  contexts() {
    const client::test_pki pki = client::make_test_pki_or_die();
    server = client::server_context(pki);
    client128 = client::client_context(pki.ca_cert);
    client256 = client::client_context(pki.ca_cert);
    if (!server || !client128 || !client256) std::abort();
    SSL_CTX_set_ciphersuites(client128->raw(), "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_ciphersuites(client256->raw(), "TLS_AES_256_GCM_SHA384");
  }
};

std::vector<char> take(tls::session& s) {
  std::vector<char> out;
  out.swap(s.output());
  return out;
}

// Feeds bytes to the client and reads everything it can; false on a failure.
bool deliver(tls::session& client, const std::vector<char>& wire, std::size_t from, std::size_t to,
             std::string& plain, bool& closed) {
  if (from >= to) return true;
  client.feed({wire.data() + from, to - from});
  char buf[16 * 1024];
  for (;;) {
    std::size_t n = 0;
    const tls::status st = client.read(buf, sizeof buf, n);
    if (st == tls::status::ok) {
      plain.append(buf, n);
      continue;
    }
    if (st == tls::status::closed) closed = true;
    return st != tls::status::failed;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static contexts ctx;
  if (size < 1) return 0;
  tls::session client(*(data[0] & 1 ? ctx.client256 : ctx.client128), tls::session::role::client);
  tls::session server(*ctx.server, tls::session::role::server);
  client.handshake();
  for (int round = 0; round < 8 && !(client.handshake_done() && server.handshake_done()); ++round) {
    std::vector<char> a = take(client);
    server.feed({a.data(), a.size()});
    server.handshake();
    std::vector<char> b = take(server);
    client.feed({b.data(), b.size()});
    client.handshake();
    char sink[256];
    std::size_t n = 0;
    while (client.input_left() && client.read(sink, sizeof sink, n) == tls::status::ok) {
    }
  }
  if (!server.seals_records()) std::abort();  // a TLS 1.3 AES-GCM server always seals
  std::string sealed, plain;
  std::vector<char> record(tls::session::record_header_bytes + 16384 + tls::session::record_trailer_bytes);
  bool closed = false;
  for (std::size_t i = 1; i + 3 <= size; i += 3) {
    const std::size_t n = ((std::size_t(data[i]) << 8 | data[i + 1]) * 4) % 16385;
    for (std::size_t k = 0; k < n; ++k)
      record[tls::session::record_header_bytes + k] = char(data[(i + k) % size] ^ std::uint8_t(k));
    sealed.append(record.data() + tls::session::record_header_bytes, n);
    if (!server.seal(record.data(), n)) std::abort();
    std::vector<char> wire = take(server);
    const std::size_t cut = data[i + 2] % (wire.size() + 1);
    if (!deliver(client, wire, 0, cut, plain, closed) ||
        !deliver(client, wire, cut, wire.size(), plain, closed))
      std::abort();
  }
  if (plain != sealed) std::abort();
  server.shutdown();
  std::vector<char> wire = take(server);
  if (!deliver(client, wire, 0, wire.size(), plain, closed) || !closed) std::abort();
  return 0;
}
