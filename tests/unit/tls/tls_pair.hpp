// A client and a server session joined in memory, and the certificates they use.
#pragma once

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "herald/client/test_pki.hpp"
#include "herald/tls/session.hpp"

namespace herald::tls::testing {

inline std::string temp_dir() {
  char tmpl[] = "/tmp/herald-tls-XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? d : "";
}

// The PKI, made once per test binary.
inline const client::test_pki& pki(client::key_kind kind = client::key_kind::ecdsa_p256) {
  static client::test_pki ec, rsa;
  static bool made_ec = false, made_rsa = false;
  client::test_pki& out = kind == client::key_kind::ecdsa_p256 ? ec : rsa;
  bool& made = kind == client::key_kind::ecdsa_p256 ? made_ec : made_rsa;
  if (!made) {
    std::string error;
    EXPECT_TRUE(client::make_test_pki(temp_dir(), out, error, kind)) << error;
    made = true;
  }
  return out;
}

inline std::shared_ptr<context> server_context(bool verify_peer = false,
                                               client::key_kind kind = client::key_kind::ecdsa_p256) {
  client::test_pki p = pki(kind);
  p.ca_cert = pki().ca_cert;  // client certificates come from the ECDSA PKI
  auto ctx = client::server_context(p, verify_peer);
  EXPECT_TRUE(ctx);
  return ctx;
}

inline std::shared_ptr<context> client_context(const std::string& cert = "", const std::string& key = "",
                                               const std::string& ca = pki().ca_cert) {
  auto ctx = client::client_context(ca, cert, key);
  EXPECT_TRUE(ctx);
  return ctx;
}

// Moves each side's output to the other until neither produces anything; handshakes both as it goes.
struct pair {
  session client;
  session server;
  status client_status = status::want_more;
  status server_status = status::want_more;
  pair(const context& c, const context& s)
      : client(c, session::role::client), server(s, session::role::server) {}

  // What came after the handshake in the same flight (TLS 1.3 session tickets) is read now, while the
  // fed bytes still exist.
  void drain(session& s) {
    if (!s.handshake_done()) return;
    char buf[1024];
    std::size_t n = 0;
    while (s.input_left() && s.read(buf, sizeof buf, n) == status::ok) early.append(buf, n);
  }
  std::string early;
  static std::vector<char> take(session& s) {
    std::vector<char> out;
    out.swap(s.output());
    return out;
  }
  void handshake() {
    client_status = client.handshake();
    for (int round = 0; round < 16; ++round) {
      std::vector<char> to_server = take(client);
      if (!to_server.empty() && server_status != status::failed) {
        server.feed({to_server.data(), to_server.size()});
        server_status = server.handshake();
        drain(server);
      }
      std::vector<char> to_client = take(server);
      if (!to_client.empty() && client_status != status::failed) {
        client.feed({to_client.data(), to_client.size()});
        client_status = client.handshake();
        drain(client);
      }
      if (to_server.empty() && to_client.empty()) break;
    }
  }
};

// Everything s can decrypt from ciphertext; false if it failed.
inline bool read_all(session& s, std::string_view ciphertext, std::string& plain) {
  s.feed(ciphertext);
  char buf[16 * 1024];
  for (;;) {
    std::size_t n = 0;
    const status st = s.read(buf, sizeof buf, n);
    if (st == status::ok) {
      plain.append(buf, n);
      continue;
    }
    return st != status::failed;
  }
}

}  // namespace herald::tls::testing
