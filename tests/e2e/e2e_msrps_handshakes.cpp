// The msrps port against bad and good handshakes: each bad one is closed and counted by its reason in
// /metrics; openssl s_client reaches the port; SIGHUP swaps the certificate without dropping sessions;
// the control API serves HTTPS.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>

#include "conference_fixture.hpp"
#include "msrps_support.hpp"

namespace herald::e2e {
namespace {

// Runs a shell command, returns what it printed (stdout and stderr).
std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << in.rdbuf();
}

class MsrpsHandshakes : public ::testing::Test {
 protected:
  // "{CA}" in more stands for the test CA's certificate file.
  void start(std::vector<std::string> more = {}) {
    dir = make_temp_dir();
    pki = make_pki(dir);
    for (auto& arg : more)
      if (arg == "{CA}") arg = pki.ca_cert;
    ASSERT_TRUE(f.start(msrps_args(pki, more))) << f.daemon.log();
    port = f.daemon.msrps_port();
  }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  std::int64_t failures(const std::string& reason) {
    return metric_sum(f.daemon.control_port(), "herald_tls_failures_total", "reason=\"" + reason + "\"");
  }
  // /metrics reads the shards through their mailboxes: wait until the counter shows n.
  void expect_failures(const std::string& reason, std::int64_t n) {
    for (int tries = 0; tries < 150 && failures(reason) != n; ++tries) f.pump_some(20);
    EXPECT_EQ(failures(reason), n) << reason;
  }
  // A client that connects and waits for the server to close; true if it did within timeout_ms.
  static bool closed_by_server(int fd, int timeout_ms) {
    const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    char buf[4096];
    while (now_ms() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;  // EOF or reset: closed
    }
    return false;
  }
  std::string dir;
  client::test_pki pki;
  conference_fixture f;
  std::uint16_t port = 0;
};

TEST_F(MsrpsHandshakes, PlaintextMsrpAndGarbageAreClosedAsNotTls) {
  start();
  for (std::string_view bytes :
       {std::string_view("MSRP a1 SEND\r\nTo-Path: msrps://127.0.0.1:1/x;tcp\r\n\r\n"),
        std::string_view("\x80\x13\x37\xff binary garbage, no record header \x01\x02")}) {
    msrp_peer p;
    ASSERT_EQ(p.connect(port), 0);
    p.send_raw(bytes);
    EXPECT_TRUE(closed_by_server(p.fd(), 5000));
  }
  expect_failures("not_tls", 2);
}

TEST_F(MsrpsHandshakes, ClientOfferingOnlyOldProtocolsIsClosedAsProtocolVersion) {
  start();
  auto old = client_ctx(pki.ca_cert);
  SSL_CTX_set_security_level(old->raw(), 0);
  ASSERT_EQ(SSL_CTX_set_cipher_list(old->raw(), "DEFAULT:@SECLEVEL=0"), 1);
  SSL_CTX_set_min_proto_version(old->raw(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old->raw(), TLS1_1_VERSION);
  msrp_peer p;
  EXPECT_EQ(p.connect_tls(port, *old), -EPROTO);
  EXPECT_EQ(p.tls_failure(), tls::failure::protocol_version) << p.tls_failure_detail();  // told by an alert
  expect_failures("protocol_version", 1);
}

TEST_F(MsrpsHandshakes, SilentPeerIsClosedAtTheHandshakeTimeout) {
  start({"--tls-handshake-timeout", "300ms"});
  msrp_peer p;
  ASSERT_EQ(p.connect(port), 0);
  const std::uint64_t t0 = now_ms();
  EXPECT_TRUE(closed_by_server(p.fd(), 5000));
  EXPECT_GE(now_ms() - t0, 250u);
  expect_failures("handshake_timeout", 1);
  // A peer that starts the handshake and then stalls is no different.
  msrp_peer half;
  ASSERT_EQ(half.connect(port), 0);
  half.send_raw(std::string_view("\x16\x03\x01\x02\x00\x01", 6));
  EXPECT_TRUE(closed_by_server(half.fd(), 5000));
  expect_failures("handshake_timeout", 2);
}

TEST_F(MsrpsHandshakes, WithPeerVerificationBadCertificatesAreClosedByReasonAndAGoodOneBinds) {
  start({"--tls-ca", "{CA}", "--tls-verify-peer"});
  // Under TLS 1.3 the client's side of the handshake is over before the server has checked its
  // certificate: the refusal arrives as an alert right after, and the connection ends.
  auto refused = [&](const std::shared_ptr<tls::context>& ctx) {
    msrp_peer p;
    if (p.connect_tls(port, *ctx) != 0) return true;
    return p.pump_until([&] { return p.eof; }, 5000);
  };
  EXPECT_TRUE(refused(client_ctx(pki.ca_cert)));
  EXPECT_TRUE(refused(client_ctx(pki.ca_cert, pki.expired_client_cert, pki.expired_client_key)));
  EXPECT_TRUE(refused(client_ctx(pki.ca_cert, pki.stranger_client_cert, pki.stranger_client_key)));
  expect_failures("peer_cert_missing", 1);
  expect_failures("peer_cert_expired", 1);
  expect_failures("peer_cert_rejected", 1);
  // A relay with a certificate from the trusted CA gets in, binds, and its identity is logged.
  f.tls = client_ctx(pki.ca_cert, pki.client_cert, pki.client_key);
  ASSERT_TRUE(f.create(3));
  ASSERT_TRUE(f.connect_all(1));
  for (int tries = 0; tries < 100 && f.daemon.log().find("relay.example.net") == std::string::npos; ++tries)
    f.pump_some(20);
  const std::string log = f.daemon.log();
  EXPECT_NE(log.find("msg=\"TLS peer\""), std::string::npos) << log;
  EXPECT_NE(log.find("CN=relay.example.net (verified)"), std::string::npos) << log;
  // Refusals are logged with the peer and the reason.
  EXPECT_NE(log.find("reason=peer_cert_expired"), std::string::npos) << log;
  for (int tries = 0; tries < 100 && metric_sum(f.daemon.control_port(), "herald_tls_handshakes_total") != 1;
       ++tries)
    f.pump_some(20);
  EXPECT_EQ(metric_sum(f.daemon.control_port(), "herald_tls_handshakes_total"), 1);
}

TEST_F(MsrpsHandshakes, OpensslSClientReachesThePortAndVerifiesHerald) {
  start();
  const std::string out =
      run("timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " +
          pki.ca_cert + " -servername localhost -verify_return_error -brief </dev/null");
  EXPECT_NE(out.find("Verification: OK"), std::string::npos) << out;
  EXPECT_NE(out.find("TLSv1.3"), std::string::npos) << out;
  const std::string tls12 =
      run("timeout 20 openssl s_client -tls1_2 -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " +
          pki.ca_cert + " -servername localhost -verify_return_error -brief </dev/null");
  EXPECT_NE(tls12.find("TLSv1.2"), std::string::npos) << tls12;
  EXPECT_NE(tls12.find("ECDHE"), std::string::npos) << tls12;
  const std::string tls11 =
      run("timeout 20 openssl s_client -tls1_1 -cipher DEFAULT@SECLEVEL=0 -connect 127.0.0.1:" +
          std::to_string(port) + " </dev/null");
  EXPECT_NE(tls11.find("alert protocol version"), std::string::npos) << tls11;
}

TEST_F(MsrpsHandshakes, SighupSwapsTheCertificateForNewConnectionsWithoutDroppingSessions) {
  dir = make_temp_dir();
  pki = make_pki(dir);
  const std::string other_dir = make_temp_dir();
  const client::test_pki next = make_pki(other_dir);  // another CA altogether
  const std::string cert = dir + "/live.crt", key = dir + "/live.key";
  copy_file(pki.server_cert, cert);
  copy_file(pki.server_key, key);
  ASSERT_TRUE(f.start(
      {"--shards", "2", "--msrp", "none", "--msrps", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key}))
      << f.daemon.log();
  port = f.daemon.msrps_port();
  f.tls = client_ctx(pki.ca_cert);
  ASSERT_TRUE(f.create(10));
  ASSERT_TRUE(f.connect_all(2));
  copy_file(next.server_cert, cert);
  copy_file(next.server_key, key);
  ASSERT_EQ(::kill(f.daemon.pid(), SIGHUP), 0);
  for (int tries = 0; tries < 100 && f.daemon.log().find("TLS certificate reloaded") == std::string::npos;
       ++tries)
    f.pump_some(20);
  ASSERT_NE(f.daemon.log().find("TLS certificate reloaded"), std::string::npos) << f.daemon.log();
  // New connections get the new certificate: a client trusting only the old CA refuses it...
  msrp_peer stale;
  EXPECT_EQ(stale.connect_tls(port, *client_ctx(pki.ca_cert)), -EPROTO);
  // ...and one trusting the new CA binds.
  msrp_peer fresh;
  ASSERT_EQ(fresh.connect_tls(port, *client_ctx(next.ca_cert)), 0);
  http_reply r =
      http_request(f.daemon.control_port(), "POST", "/v1/conferences/" + f.conference_id + "/participants",
                   R"({"address":"sip:late@example.com"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(fresh.bind({json_field(r.body, "path")}), std::vector<int>{200});
  // The sessions bound before the reload were not dropped: a message reaches all eleven.
  r = f.post_message(R"({"content_type":"text/plain","body":"after reload"})");
  ASSERT_EQ(r.status, 202);
  const std::string id = json_field(r.body, "id");
  std::string status;
  const std::uint64_t deadline = now_ms() + 20000;
  while (now_ms() < deadline) {
    fresh.pump_once(0);
    status = f.message_status(id).body;
    if (json_int(status, "pending") == 0) break;
    f.pump_some(5);
  }
  EXPECT_EQ(json_int(status, "delivered"), 11) << status;
  // A reload that cannot load keeps the current certificate and says so.
  { std::ofstream(key, std::ios::trunc) << "not a key"; }
  ASSERT_EQ(::kill(f.daemon.pid(), SIGHUP), 0);
  for (int tries = 0; tries < 100 && f.daemon.log().find("reload failed") == std::string::npos; ++tries)
    f.pump_some(20);
  EXPECT_NE(f.daemon.log().find("TLS certificate reload failed; keeping the previous one"),
            std::string::npos);
  msrp_peer after;
  EXPECT_EQ(after.connect_tls(port, *client_ctx(next.ca_cert)), 0);
}

TEST_F(MsrpsHandshakes, ControlApiServesHttps) {
  dir = make_temp_dir();
  pki = make_pki(dir);
  ASSERT_TRUE(f.daemon.start({"--control-tls-cert", pki.server_cert, "--control-tls-key", pki.server_key}))
      << f.daemon.log();
  const std::string out =
      run("printf 'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | timeout 20 "
          "openssl s_client "
          "-quiet "
          "-connect 127.0.0.1:" +
          std::to_string(f.daemon.control_port()) + " -CAfile " + pki.ca_cert +
          " -servername localhost -verify_return_error");
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("\"status\":\"ok\""), std::string::npos) << out;
  // Plain HTTP on the HTTPS port gets no answer, only a close.
  const std::string plain =
      run("printf 'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | timeout 5 bash -c 'cat > "
          "/dev/tcp/127.0.0.1/" +
          std::to_string(f.daemon.control_port()) + "' ; echo done");
  EXPECT_EQ(plain.find("HTTP/1.1"), std::string::npos) << plain;
  // The control API's own handshakes are counted (read over HTTPS, so this GET is one of them).
  const std::string metrics =
      run("printf 'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | "
          "timeout 20 openssl s_client -quiet -connect 127.0.0.1:" +
          std::to_string(f.daemon.control_port()) + " -CAfile " + pki.ca_cert + " -servername localhost");
  EXPECT_NE(metrics.find("herald_control_tls_handshakes_total 2"), std::string::npos)
      << metrics.substr(0, 300);
  EXPECT_NE(metrics.find("herald_control_tls_failures_total{reason=\"not_tls\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace herald::e2e
