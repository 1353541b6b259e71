// MSRP over TLS end to end: a real heraldd with --msrps, clients over TLS. The data path must behave as
// over plaintext: every recipient exactly once with the right CPIM To/From and the body intact, chunking,
// participant fan-out, slow consumers cut loose, a peer vanishing mid-record costing only its own sessions.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "conference_fixture.hpp"
#include "herald/cpim/parser.hpp"
#include "msrps_support.hpp"

namespace herald::e2e {
namespace {

class Msrps : public ::testing::Test {
 protected:
  void start(std::vector<std::string> more = {"--msrp", "none"}) {
    dir = make_temp_dir();
    pki = make_pki(dir);
    ASSERT_TRUE(f.start(msrps_args(pki, more))) << f.daemon.log();
    ASSERT_NE(f.daemon.msrps_port(), 0);
    f.tls = client_ctx(pki.ca_cert);
  }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  std::string dir;
  client::test_pki pki;
  conference_fixture f;
};

TEST_F(Msrps, SystemMessageReaches10000ParticipantsOver100TlsConnectionsExactlyOnce) {
  start();
  constexpr std::size_t kParticipants = 10000, kConnections = 100;
  ASSERT_TRUE(f.create(kParticipants));
  for (const auto& p : f.participants) ASSERT_EQ(p.path.rfind("msrps://127.0.0.1:", 0), 0u) << p.path;
  ASSERT_TRUE(f.connect_all(kConnections));
  std::string binary;
  for (int i = 0; i < 1024; ++i) binary += char(i & 0xff);  // every byte value, CR LF and NUL included
  http_reply r = f.post_message(R"({"content_type":"application/octet-stream","body_base64":")" +
                                base64(binary) + R"("})");
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() >= kParticipants; }, 120000)) << f.total_sends();
  const std::string status = f.wait_complete(json_field(r.body, "id"), 60000);
  EXPECT_EQ(json_int(status, "delivered"), static_cast<std::int64_t>(kParticipants)) << status;
  f.pump_all_until([] { return false; }, 300);  // a duplicate would show now
  auto got = f.by_participant();
  ASSERT_EQ(got.count(SIZE_MAX), 0u);
  ASSERT_EQ(got.size(), kParticipants);
  for (std::size_t i = 0; i < kParticipants; ++i) {
    ASSERT_EQ(got[i].size(), 1u) << i;
    const cpim_view v = parse(*got[i][0]);
    ASSERT_TRUE(v.parsed) << i;
    ASSERT_EQ(v.from, "sip:team@example.com");
    ASSERT_EQ(v.to, f.participants[i].address);
    ASSERT_EQ(v.content_type, "application/octet-stream");
    ASSERT_TRUE(v.body == binary) << i;
    // Herald's end of the session is an msrps URI (RFC 4975 §6).
    ASSERT_EQ(got[i][0]->from_path, f.participants[i].path);
  }
  EXPECT_EQ(metric_sum(f.daemon.control_port(), "herald_tls_handshakes_total"),
            static_cast<std::int64_t>(kConnections));
  EXPECT_EQ(metric_sum(f.daemon.control_port(), "herald_tls_connections"),
            static_cast<std::int64_t>(kConnections));
  EXPECT_GT(metric_sum(f.daemon.control_port(), "herald_tls_ciphertext_bytes_total"),
            static_cast<std::int64_t>(kParticipants * binary.size()));
  // Frames were coalesced into records: far fewer sends than frames.
  EXPECT_LT(metric_sum(f.daemon.control_port(), "herald_sendmsg_total"),
            metric_sum(f.daemon.control_port(), "herald_frames_written_total") / 4);
}

TEST_F(Msrps, ParticipantMessageFansOutOverTlsFromItsSender) {
  start();
  ASSERT_TRUE(f.create(30));
  ASSERT_TRUE(f.connect_all(3));
  msrp_peer& sender = *f.peers[0];
  const std::string tid = sender.send(f.participants[0].path, "text/plain", "over tls");
  EXPECT_EQ(f.wait_response(sender, tid), 200);
  ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() >= 29; }, 20000)) << f.total_sends();
  f.pump_all_until([] { return false; }, 300);
  auto got = f.by_participant();
  EXPECT_EQ(got.count(0), 0u) << "the sender got its own message";
  for (std::size_t i = 1; i < 30; ++i) {
    ASSERT_EQ(got[i].size(), 1u) << i;
    const cpim_view v = parse(*got[i][0]);
    EXPECT_EQ(v.from, "sip:u0@example.com");
    EXPECT_EQ(v.to, f.participants[i].address);
    EXPECT_EQ(v.body, "over tls");
  }
}

TEST_F(Msrps, LargeMessageIsChunkedAndEachRecipientReassemblesItIntact) {
  start({"--msrp", "none", "--max-chunk", "4096"});
  ASSERT_TRUE(f.create(20));
  ASSERT_TRUE(f.connect_all(2));
  std::string body(300 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = char('a' + (i * 7) % 26);
  http_reply r = f.post_message(R"({"content_type":"text/plain","body":")" + body + R"("})");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string status = f.wait_complete(json_field(r.body, "id"), 60000);
  EXPECT_EQ(json_int(status, "delivered"), 20) << status;
  auto got = f.by_participant();
  ASSERT_EQ(got.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    ASSERT_GT(got[i].size(), 70u) << "not chunked: " << got[i].size();
    std::string whole;
    for (const received_send* s : got[i]) whole += s->body;  // in order on one connection
    EXPECT_EQ(got[i].back()->flag, '$');
    const std::size_t blank = whole.find("\r\n\r\n", whole.find("Content-Type"));
    ASSERT_NE(blank, std::string::npos);
    EXPECT_TRUE(whole.substr(whole.size() - body.size()) == body) << i;
  }
}

TEST_F(Msrps, SlowConsumerOverTlsIsCutLooseAndOthersAreDelivered) {
  start({"--msrp", "none", "--max-queue-bytes", "64k"});
  ASSERT_TRUE(f.create(2));
  ASSERT_TRUE(f.connect_all(2, {{1, 4096}}));
  f.peers[1]->policy.read = false;
  const std::string body(32 * 1024, 'z');
  bool cut = false;
  std::string first;
  for (int sent = 0; sent < 400 && !cut; ++sent) {
    http_reply r = f.post_message(R"({"content_type":"text/plain","body":")" + body + R"("})");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id = json_field(r.body, "id");
    if (first.empty()) first = id;
    const std::string status =
        f.wait_status(id, [](const std::string& b) { return json_int(b, "delivered") >= 1; });
    ASSERT_GE(json_int(status, "delivered"), 1) << "the reading peer was held up: " << status;
    cut = f.message_status(first).body.find("slow_consumer") != std::string::npos;
  }
  ASSERT_TRUE(cut) << "never cut loose";
  // /metrics reads the shards' counters through their mailboxes: give it a moment.
  for (int tries = 0; tries < 100 && metric_sum(f.daemon.control_port(), "herald_slow_consumers_total") < 1;
       ++tries)
    f.pump_some(20);
  EXPECT_GE(metric_sum(f.daemon.control_port(), "herald_slow_consumers_total"), 1);
  f.peers[1]->policy.read = true;
  f.peers[1]->policy.respond_with = 0;
  EXPECT_TRUE(f.peers[1]->pump_until([&] { return f.peers[1]->eof; }, 20000));
  const std::string after = f.wait_complete(
      json_field(f.post_message(R"({"content_type":"text/plain","body":"after"})").body, "id"));
  EXPECT_EQ(json_int(after, "delivered"), 1) << after;
}

TEST_F(Msrps, PeerThatStopsMidRecordCostsOnlyItsOwnSessions) {
  start();
  ASSERT_TRUE(f.create(40));
  ASSERT_TRUE(f.connect_all(4));
  // Peer 3 writes the first half of a record holding a SEND, then stops: it writes nothing more (not even
  // 200s), and Herald cannot decrypt any of what it got.
  msrp_peer& quitter = *f.peers[3];
  quitter.policy.respond_with = 0;
  quitter.policy.report_with = 0;
  tls::session& s = *quitter.tls_session();
  const std::string send =
      "MSRP q1 SEND\r\nTo-Path: " + f.participants[3].path +
      "\r\nFrom-Path: " + quitter.own_path(f.participants[3].path) +
      "\r\nMessage-ID: q1\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------q1$\r\n";
  ASSERT_TRUE(s.write(send));
  std::vector<char> record;
  record.swap(s.output());
  quitter.send_ciphertext(std::string_view(record.data(), record.size() / 2));
  // Meanwhile the others are served as usual, and nobody got the half message.
  http_reply r = f.post_message(R"({"content_type":"text/plain","body":"still here"})");
  ASSERT_EQ(r.status, 202);
  const std::string during = json_field(r.body, "id");
  std::string status =
      f.wait_status(during, [](const std::string& b) { return json_int(b, "delivered") >= 30; });
  EXPECT_EQ(json_int(status, "delivered"), 30) << status;
  EXPECT_EQ(json_int(status, "pending"), 10) << status;
  for (std::size_t i = 0; i < 4; ++i)
    for (const auto& got : f.peers[i]->sends) EXPECT_EQ(got.message_id.find("q1"), std::string::npos);
  // Then it goes away mid-record: only its sessions are lost.
  quitter.close();
  status = f.wait_complete(during);
  EXPECT_EQ(json_int(status, "failed"), 10) << status;
  EXPECT_NE(status.find("disconnected"), std::string::npos) << status;
  for (int tries = 0; tries < 200 && metric_sum(f.daemon.control_port(), "herald_tls_connections") != 3;
       ++tries)
    f.pump_some(20);
  EXPECT_EQ(metric_sum(f.daemon.control_port(), "herald_tls_connections"), 3);
  r = f.post_message(R"({"content_type":"text/plain","body":"after"})");
  status = f.wait_complete(json_field(r.body, "id"));
  EXPECT_EQ(json_int(status, "delivered"), 30) << status;
  EXPECT_EQ(json_int(status, "failed"), 10) << status;
  EXPECT_NE(status.find("not_connected"), std::string::npos) << status;
}

TEST_F(Msrps, MsrpsSessionIsNotBoundOverPlaintextButIsOverTls) {
  start({"--msrp", "127.0.0.1:0"});
  f.transport = "msrps";
  ASSERT_TRUE(f.create(2));
  ASSERT_EQ(f.participants[0].path.rfind("msrps://", 0), 0u) << f.participants[0].path;
  msrp_peer plain;
  ASSERT_EQ(plain.connect(f.daemon.msrp_port()), 0);
  EXPECT_EQ(plain.bind({f.participants[0].path}), std::vector<int>{403});
  msrp_peer secure;
  ASSERT_EQ(secure.connect_tls(f.daemon.msrps_port(), *f.tls), 0);
  EXPECT_EQ(secure.bind({f.participants[0].path}), std::vector<int>{200});
  // A plaintext participant of the same focus still binds over plaintext.
  http_reply r =
      http_request(f.daemon.control_port(), "POST", "/v1/conferences/" + f.conference_id + "/participants",
                   R"({"address":"sip:plain@example.com"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json_field(r.body, "transport"), "msrp");
  EXPECT_EQ(plain.bind({json_field(r.body, "path")}), std::vector<int>{200});
}

TEST_F(Msrps, TransportNotServedIs422AndTlsOffersGetTlsAnswers) {
  start();  // msrps only
  ASSERT_TRUE(f.create(0));
  const std::string participants = "/v1/conferences/" + f.conference_id + "/participants";
  http_reply r = http_request(f.daemon.control_port(), "POST", participants,
                              R"({"address":"sip:a@example.com","transport":"msrp"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json_field(r.body, "code"), "transport_unavailable") << r.body;
  r = http_request(f.daemon.control_port(), "POST", participants,
                   R"({"address":"sip:a@example.com","transport":"tls"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json_field(r.body, "field"), "transport") << r.body;
  // An SDP offer over TCP/TLS/MSRP (RFC 4975 §8.1) is answered the same way, with Herald's msrps path.
  const std::string offer =
      "v=0\\r\\no=alice 1 1 IN IP4 127.0.0.1\\r\\ns= \\r\\nc=IN IP4 127.0.0.1\\r\\nt=0 0\\r\\n"
      "m=message 7394 TCP/TLS/MSRP *\\r\\na=accept-types:message/cpim text/plain\\r\\n"
      "a=path:msrps://127.0.0.1:7394/alice1;tcp\\r\\n";
  r = http_request(f.daemon.control_port(), "POST", participants,
                   R"({"address":"sip:alice@example.com","sdp_offer":")" + offer + R"("})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string answer = json_field(r.body, "sdp_answer");
  EXPECT_NE(answer.find("TCP/TLS/MSRP"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a=path:msrps://127.0.0.1:" + std::to_string(f.daemon.msrps_port())),
            std::string::npos)
      << answer;
  // A plaintext offer cannot be answered by an msrps-only focus.
  std::string plain_offer = offer;
  plain_offer.replace(plain_offer.find("TCP/TLS/MSRP"), 12, "TCP/MSRP");
  plain_offer.replace(plain_offer.find("msrps://"), 8, "msrp://");
  r = http_request(f.daemon.control_port(), "POST", participants,
                   R"({"address":"sip:bob@example.com","sdp_offer":")" + plain_offer + R"("})");
  EXPECT_EQ(r.status, 422) << r.body;
}

}  // namespace
}  // namespace herald::e2e
