// TLS test scaffolding for the shard: certificates made at run time, contexts, and a TLS client driven
// from the test thread between loop iterations.
#pragma once

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "herald/client/test_pki.hpp"
#include "herald/tls/session.hpp"
#include "test_support.hpp"

namespace herald::reactor::testing {

inline const client::test_pki& pki() {
  static const client::test_pki p = client::make_test_pki_or_die();
  return p;
}

inline std::shared_ptr<tls::context> load(bool client_side) {
  auto ctx = client_side ? client::client_context(pki().ca_cert) : client::server_context(pki());
  EXPECT_TRUE(ctx);
  return ctx;
}

// A TLS client driven from the test thread between loop iterations.
struct tls_client {
  int fd = -1;
  tls::session session;
  std::string plain;
  bool closed = false, failed = false, eof = false;
  std::vector<char> buf = std::vector<char>(64 * 1024);

  tls_client(const tls::context& ctx, std::uint16_t port, int rcvbuf = 0)
      : session(ctx, tls::session::role::client) {
    fd = connect_loopback(port, rcvbuf);
    session.handshake();
    flush();
  }
  ~tls_client() {
    if (fd >= 0) close(fd);
  }
  void flush() {
    std::vector<char> out;
    out.swap(session.output());
    std::size_t off = 0;
    while (off < out.size()) {
      const ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += std::size_t(n);
    }
  }
  void write(std::string_view bytes) {
    session.write(bytes);
    flush();
  }
  // Reads what arrived; decrypts it into plain.
  void step() {
    for (;;) {
      const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n == 0) eof = true;
      if (n <= 0) return;
      session.feed({buf.data(), std::size_t(n)});
      if (!session.handshake_done()) {
        if (session.handshake() == tls::status::failed) failed = true;
        flush();
      }
      char out[16 * 1024];
      for (;;) {
        std::size_t got = 0;
        const tls::status st = session.read(out, sizeof out, got);
        if (st == tls::status::ok) {
          plain.append(out, got);
          continue;
        }
        if (st == tls::status::closed) closed = true;
        if (st == tls::status::failed) failed = true;
        break;
      }
      flush();
    }
  }
};

}  // namespace herald::reactor::testing
