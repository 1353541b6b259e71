// TLS sessions over memory I/O: handshakes and records survive any split of the ciphertext, records are
// at most 16 KiB, close_notify reads as closed, reloads swap contexts.
#include "herald/tls/session.hpp"

#include <openssl/ssl.h>

#include <cstring>

#include "tls_pair.hpp"

namespace herald::tls {
namespace {
using namespace testing;

TEST(TlsSession, HandshakesWithEcdsaAndRsaCertificatesAtTls13And12) {
  for (auto kind : {client::key_kind::ecdsa_p256, client::key_kind::rsa_2048}) {
    for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
      auto c = client_context("", "", pki(kind).ca_cert);
      SSL_CTX_set_max_proto_version(c->raw(), version);
      pair p(*c, *server_context(false, kind));
      p.handshake();
      ASSERT_EQ(p.client_status, status::ok) << p.client.failure_detail();
      ASSERT_EQ(p.server_status, status::ok) << p.server.failure_detail();
      const std::string described = p.server.describe();
      EXPECT_NE(described.find(version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"), std::string::npos)
          << described;
      // Only forward-secret AEAD suites are on offer.
      if (version == TLS1_2_VERSION) {
        EXPECT_NE(described.find("ECDHE"), std::string::npos) << described;
      }
      EXPECT_TRUE(described.find("GCM") != std::string::npos ||
                  described.find("CHACHA20") != std::string::npos)
          << described;
    }
  }
}

TEST(TlsSession, DataCrossesBothWaysAndRecordsAreAtMost16KiB) {
  pair p(*client_context(), *server_context());
  p.handshake();
  ASSERT_EQ(p.server_status, status::ok);
  std::string big(100'000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = char('a' + i % 26);
  ASSERT_TRUE(p.server.write(big));
  std::vector<char> wire = pair::take(p.server);
  // Walk the records: type(1) version(2) length(2); a TLS 1.3 record's plaintext is at most 2^14 bytes
  // and its ciphertext at most 2^14 + 256.
  std::size_t records = 0;
  for (std::size_t off = 0; off < wire.size(); ++records) {
    ASSERT_LE(off + 5, wire.size());
    const std::size_t len = (std::size_t(std::uint8_t(wire[off + 3])) << 8) | std::uint8_t(wire[off + 4]);
    EXPECT_LE(len, 16384u + 256u);
    off += 5 + len;
  }
  EXPECT_GE(records, 7u);
  std::string got;
  ASSERT_TRUE(read_all(p.client, {wire.data(), wire.size()}, got));
  EXPECT_EQ(got, big);
  ASSERT_TRUE(p.client.write("MSRP a SEND\r\n"));
  wire = pair::take(p.client);
  got.clear();
  ASSERT_TRUE(read_all(p.server, {wire.data(), wire.size()}, got));
  EXPECT_EQ(got, "MSRP a SEND\r\n");
}

TEST(TlsSession, HandshakeCompletesWhateverTheSplitOfTheClientHello) {
  // The reactor hands the session whatever one recv returned: every split of the first flight must work.
  auto cctx = client_context();
  auto sctx = server_context();
  session probe(*cctx, session::role::client);
  probe.handshake();
  const std::size_t hello = probe.output().size();
  ASSERT_GT(hello, 100u);
  for (std::size_t cut = 1; cut < hello; ++cut) {
    pair p(*cctx, *sctx);
    p.client_status = p.client.handshake();
    std::vector<char> first = pair::take(p.client);
    p.server.feed({first.data(), cut});
    ASSERT_EQ(p.server.handshake(), status::want_more) << cut;
    ASSERT_FALSE(p.server.input_left());
    p.server.feed({first.data() + cut, first.size() - cut});
    p.server_status = p.server.handshake();
    ASSERT_NE(p.server_status, status::failed) << cut << ": " << p.server.failure_detail();
    std::vector<char> reply = pair::take(p.server);
    p.client.feed({reply.data(), reply.size()});
    p.client_status = p.client.handshake();
    std::vector<char> finished = pair::take(p.client);
    p.server.feed({finished.data(), finished.size()});
    ASSERT_EQ(p.server.handshake(), status::ok) << cut;
  }
}

TEST(TlsSession, RecordsDecryptWhateverTheSplit) {
  pair p(*client_context(), *server_context());
  p.handshake();
  ASSERT_EQ(p.server_status, status::ok);
  const std::string message =
      "MSRP x SEND\r\nTo-Path: msrps://127.0.0.1:1/s;tcp\r\n\r\n" + std::string(3000, 'b');
  ASSERT_TRUE(p.client.write(message));
  ASSERT_TRUE(p.client.write(message));
  std::vector<char> wire = pair::take(p.client);
  // The same server session reads the stream in two pieces at every cut: copy the state by replaying.
  for (std::size_t cut = 1; cut < wire.size(); cut += 7) {
    pair q(*client_context(), *server_context());
    q.handshake();
    ASSERT_TRUE(q.client.write(message));
    ASSERT_TRUE(q.client.write(message));
    std::vector<char> w = pair::take(q.client);
    std::string got;
    ASSERT_TRUE(read_all(q.server, {w.data(), std::min(cut, w.size())}, got));
    if (cut < w.size()) {
      ASSERT_TRUE(read_all(q.server, {w.data() + cut, w.size() - cut}, got));
    }
    ASSERT_EQ(got, message + message) << cut;
  }
}

TEST(TlsSession, ServerSealsTls13AesGcmRecordsItselfAndTheClientReadsThem) {
  // Both AES-GCM suites, with and without a client certificate (more handshake records), with session
  // tickets (records OpenSSL wrote under the same secret before the sealer took over).
  for (const char* suite : {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}) {
    for (bool with_client_cert : {false, true}) {
      auto c = with_client_cert ? client_context(pki().client_cert, pki().client_key) : client_context();
      ASSERT_EQ(SSL_CTX_set_ciphersuites(c->raw(), suite), 1);
      pair p(*c, *server_context(with_client_cert));
      p.handshake();
      ASSERT_EQ(p.server_status, status::ok) << p.server.failure_detail();
      ASSERT_TRUE(p.server.seals_records()) << suite;
      std::string big(40'000, 'q');
      for (std::size_t i = 0; i < big.size(); ++i) big[i] = char(i * 31);
      ASSERT_TRUE(p.server.write(big));
      char record[5 + 300 + 17];
      std::memcpy(record + 5, big.data(), 300);
      ASSERT_TRUE(p.server.seal(record, 300));
      std::vector<char> wire = pair::take(p.server);
      std::string got;
      ASSERT_TRUE(read_all(p.client, {wire.data(), wire.size()}, got))
          << suite << ": " << p.client.failure_detail();
      EXPECT_TRUE(got == big + big.substr(0, 300)) << suite;
      // The other way still goes through OpenSSL, and close_notify comes from the sealer.
      ASSERT_TRUE(p.client.write("ping"));
      wire = pair::take(p.client);
      got.clear();
      ASSERT_TRUE(read_all(p.server, {wire.data(), wire.size()}, got));
      EXPECT_EQ(got, "ping");
      p.server.shutdown();
      wire = pair::take(p.server);
      p.client.feed({wire.data(), wire.size()});
      char buf[64];
      std::size_t n = 0;
      EXPECT_EQ(p.client.read(buf, sizeof buf, n), status::closed) << suite;
    }
  }
}

TEST(TlsSession, Tls12AndChaChaGoThroughOpenSsl) {
  auto tls12 = client_context();
  SSL_CTX_set_max_proto_version(tls12->raw(), TLS1_2_VERSION);
  auto chacha = client_context();
  ASSERT_EQ(SSL_CTX_set_ciphersuites(chacha->raw(), "TLS_CHACHA20_POLY1305_SHA256"), 1);
  for (const auto& c : {tls12, chacha}) {
    pair p(*c, *server_context());
    p.handshake();
    ASSERT_EQ(p.server_status, status::ok);
    EXPECT_FALSE(p.server.seals_records()) << p.server.describe();
    ASSERT_TRUE(p.server.write("through SSL_write"));
    std::vector<char> wire = pair::take(p.server);
    std::string got;
    ASSERT_TRUE(read_all(p.client, {wire.data(), wire.size()}, got));
    EXPECT_EQ(got, "through SSL_write");
  }
}

TEST(TlsSession, KeyUpdateRequestAfterTheSealerTookOverEndsTheSession) {
  pair p(*client_context(), *server_context());
  p.handshake();
  ASSERT_TRUE(p.server.seals_records());
  // The peer asks for a key update: OpenSSL would answer with a record of its own, which is refused.
  ASSERT_EQ(SSL_key_update(p.client.native_handle(), SSL_KEY_UPDATE_REQUESTED), 1);
  ASSERT_TRUE(p.client.write("after update"));
  std::vector<char> wire = pair::take(p.client);
  std::string got;
  EXPECT_FALSE(read_all(p.server, {wire.data(), wire.size()}, got));
  EXPECT_NE(p.server.failure_detail().find("key update"), std::string::npos) << p.server.failure_detail();
  EXPECT_TRUE(p.server.output().empty());
}

TEST(TlsSession, CloseNotifyReadsAsClosed) {
  pair p(*client_context(), *server_context());
  p.handshake();
  p.server.shutdown();
  std::vector<char> wire = pair::take(p.server);
  ASSERT_FALSE(wire.empty());
  p.client.feed({wire.data(), wire.size()});
  char buf[64];
  std::size_t n = 0;
  EXPECT_EQ(p.client.read(buf, sizeof buf, n), status::closed);
}

TEST(TlsSession, TamperedRecordIsABadRecord) {
  pair p(*client_context(), *server_context());
  p.handshake();
  ASSERT_TRUE(p.client.write("hello"));
  std::vector<char> wire = pair::take(p.client);
  wire[wire.size() - 3] ^= 0x40;
  std::string got;
  EXPECT_FALSE(read_all(p.server, {wire.data(), wire.size()}, got));
  EXPECT_EQ(p.server.last_failure(), failure::bad_record);
}

TEST(TlsContext, LoadErrorsNameTheFile) {
  context_settings s;
  s.cert_file = "/nonexistent/cert.pem";
  s.key_file = "/nonexistent/key.pem";
  std::string error;
  EXPECT_FALSE(context::load(s, error));
  EXPECT_NE(error.find("/nonexistent/cert.pem"), std::string::npos) << error;
  // A key that does not belong to the certificate.
  s.cert_file = pki().server_cert;
  s.key_file = pki().client_key;
  EXPECT_FALSE(context::load(s, error));
  EXPECT_NE(error.find(pki().client_key), std::string::npos) << error;
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;
  s.key_file = pki().server_key;
  s.verify_peer = true;
  EXPECT_FALSE(context::load(s, error));
  EXPECT_NE(error.find("--tls-ca"), std::string::npos) << error;
}

TEST(TlsContext, ReloadSwapsTheContextAndKeepsTheOldOneOnFailure) {
  const std::string dir = temp_dir();
  const std::string cert = dir + "/c.pem", key = dir + "/k.pem";
  auto copy = [](const std::string& from, const std::string& to) {
    std::string cmd = "cp '" + from + "' '" + to + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  };
  copy(pki().server_cert, cert);
  copy(pki().server_key, key);
  context_settings s;
  s.cert_file = cert;
  s.key_file = key;
  std::string error;
  auto first = context::load(s, error);
  ASSERT_TRUE(first) << error;
  context_source source(first);
  ASSERT_TRUE(source.reload(error)) << error;
  EXPECT_NE(source.current(), first);
  EXPECT_EQ(source.reloads(), 1u);
  auto second = source.current();
  copy(pki().client_key, key);  // now mismatched
  EXPECT_FALSE(source.reload(error));
  EXPECT_EQ(source.current(), second);
  // A session made from the old context keeps working after the swap.
  pair p(*client_context(), *first);
  p.handshake();
  EXPECT_EQ(p.server_status, status::ok);
}

TEST(TlsKtls, ProbeAnswersZeroOrAnErrno) {
  const int rc = probe_ktls();
  EXPECT_TRUE(rc == 0 || rc == -ENOENT || rc == -EOPNOTSUPP || rc == -ENOPROTOOPT) << rc;
}

}  // namespace
}  // namespace herald::tls
