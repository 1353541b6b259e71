// Each way a handshake goes wrong ends in its own failure reason on the server (what /metrics counts).
#include <openssl/ssl.h>

#include "herald/tls/session.hpp"
#include "tls_pair.hpp"

namespace herald::tls {
namespace {
using namespace testing;

failure server_failure_for_bytes(std::string_view bytes) {
  session s(*server_context(), session::role::server);
  s.feed(bytes);
  EXPECT_EQ(s.handshake(), status::failed);
  return s.last_failure();
}

TEST(TlsHandshakeFailure, PlaintextMsrpIsNotTls) {
  EXPECT_EQ(server_failure_for_bytes("MSRP a786hjs2 SEND\r\nTo-Path: msrp://h:1/s;tcp\r\n"),
            failure::not_tls);
}

TEST(TlsHandshakeFailure, HttpIsNotTls) {
  EXPECT_EQ(server_failure_for_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), failure::not_tls);
}

TEST(TlsHandshakeFailure, RandomBytesAreNotTls) {
  std::string junk(64, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = char((i * 97 + 13) & 0xff);
  junk[0] = 0x17;  // looks like application data, before any handshake
  EXPECT_EQ(server_failure_for_bytes(junk), failure::not_tls);
}

TEST(TlsHandshakeFailure, ClientOfferingOnlyTls11IsAProtocolVersionFailure) {
  auto c = client_context();
  SSL_CTX_set_security_level(c->raw(), 0);
  ASSERT_EQ(SSL_CTX_set_cipher_list(c->raw(), "DEFAULT:@SECLEVEL=0"), 1);
  ASSERT_EQ(SSL_CTX_set_min_proto_version(c->raw(), TLS1_VERSION), 1);
  ASSERT_EQ(SSL_CTX_set_max_proto_version(c->raw(), TLS1_1_VERSION), 1);
  pair p(*c, *server_context());
  p.handshake();
  EXPECT_EQ(p.server_status, status::failed);
  EXPECT_EQ(p.server.last_failure(), failure::protocol_version) << p.server.failure_detail();
  // The client was told why (a protocol_version alert), not just dropped.
  EXPECT_EQ(p.client_status, status::failed);
  EXPECT_EQ(p.client.last_failure(), failure::protocol_version) << p.client.failure_detail();
}

TEST(TlsHandshakeFailure, ClientWithOnlyNonForwardSecretSuitesSharesNoCipher) {
  auto c = client_context();
  ASSERT_EQ(SSL_CTX_set_max_proto_version(c->raw(), TLS1_2_VERSION), 1);
  ASSERT_EQ(SSL_CTX_set_cipher_list(c->raw(), "AES128-GCM-SHA256"), 1);  // RSA key exchange
  pair p(*c, *server_context());
  p.handshake();
  EXPECT_EQ(p.server_status, status::failed);
  EXPECT_EQ(p.server.last_failure(), failure::no_shared_cipher) << p.server.failure_detail();
}

TEST(TlsHandshakeFailure, VerifyingServerRefusesAClientWithoutCertificate) {
  pair p(*client_context(), *server_context(true));
  p.handshake();
  EXPECT_EQ(p.server_status, status::failed);
  EXPECT_EQ(p.server.last_failure(), failure::peer_cert_missing) << p.server.failure_detail();
}

TEST(TlsHandshakeFailure, VerifyingServerRefusesAnExpiredClientCertificate) {
  pair p(*client_context(pki().expired_client_cert, pki().expired_client_key), *server_context(true));
  p.handshake();
  EXPECT_EQ(p.server_status, status::failed);
  EXPECT_EQ(p.server.last_failure(), failure::peer_cert_expired) << p.server.failure_detail();
}

TEST(TlsHandshakeFailure, VerifyingServerRefusesACertificateFromAnotherCa) {
  pair p(*client_context(pki().stranger_client_cert, pki().stranger_client_key), *server_context(true));
  p.handshake();
  EXPECT_EQ(p.server_status, status::failed);
  EXPECT_EQ(p.server.last_failure(), failure::peer_cert_rejected) << p.server.failure_detail();
}

TEST(TlsHandshakeFailure, VerifyingServerAcceptsAGoodClientCertificateAndNamesIt) {
  pair p(*client_context(pki().client_cert, pki().client_key), *server_context(true));
  p.handshake();
  ASSERT_EQ(p.server_status, status::ok) << p.server.failure_detail();
  EXPECT_NE(p.server.peer_subject().find("relay.example.net"), std::string::npos) << p.server.peer_subject();
  EXPECT_NE(p.server.describe().find("(verified)"), std::string::npos) << p.server.describe();
}

TEST(TlsHandshakeFailure, ClientRejectingOurCertificateIsAPeerAlert) {
  // The client trusts another CA: it aborts with an alert, which the server sees as peer_alert.
  pair p(*client_context("", "", pki().stranger_client_cert), *server_context());
  p.handshake();
  EXPECT_EQ(p.client_status, status::failed);
  EXPECT_EQ(p.server_status, status::failed);
  EXPECT_EQ(p.server.last_failure(), failure::peer_alert) << p.server.failure_detail();
}

}  // namespace
}  // namespace herald::tls
