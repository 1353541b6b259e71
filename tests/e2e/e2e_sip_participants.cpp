// Participants a SIP front end creates from an INVITE: the SDP offer is answered, the offered path is the
// only peer that may bind, and their leaving (API DELETE, or their MSRP connection ending) reaches the front
// end as a JSON-RPC tm.t_uac_start BYE (--sip-rpc). The front end here is a recording HTTP server in the
// test.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "conference_fixture.hpp"
#include "herald/cpim/parser.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

// Answers every HTTP request with a JSON-RPC result and keeps the request bodies.
class fake_rpc_server {
 public:
  fake_rpc_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~fake_rpc_server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  // Waits until `n` requests arrived.
  bool wait_for(std::size_t n, int timeout_ms = 10000) const {
    const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    while (bodies().size() < n)
      if (now_ms() > deadline)
        return false;
      else
        ::poll(nullptr, 0, 10);
    return true;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string in;
      char buf[4096];
      std::size_t want = std::string::npos;
      while (want == std::string::npos || in.size() < want) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        const std::size_t head = in.find("\r\n\r\n");
        const std::size_t cl = in.find("Content-Length: ");
        if (head != std::string::npos && cl != std::string::npos)
          want = head + 4 + std::stoul(in.substr(cl + 16));
      }
      const std::size_t head = in.find("\r\n\r\n");
      {
        std::lock_guard lock(mutex_);
        bodies_.push_back(head == std::string::npos ? in : in.substr(head + 4));
      }
      const std::string body = R"({"jsonrpc":"2.0","result":"Ok","id":1})";
      const std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
};

std::string offer_for(std::string_view path, std::string_view accept_types = "message/cpim text/plain") {
  return "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=message 9 TCP/MSRP *\r\na=accept-types:" +
         std::string(accept_types) + "\r\na=path:" + std::string(path) + "\r\na=setup:active\r\n";
}

// JSON string escape for the few characters an SDP body has.
std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

class SipParticipants : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        f.start({"--shards", "2", "--sip-rpc", "http://127.0.0.1:" + std::to_string(rpc.port()) + "/RPC"}))
        << f.daemon.log();
    http_reply c = api("POST", "/v1/conferences", R"({"uri":"sip:team@example.com"})");
    ASSERT_EQ(c.status, 201) << c.body;
    f.conference_id = json_field(c.body, "id");
  }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  http_reply api(std::string_view method, const std::string& target, std::string_view body = "") {
    return http_request(f.daemon.control_port(), method, target, body);
  }
  // Joins `address` the way the front end does for an INVITE whose offer names `peer_path`.
  http_reply join(const std::string& address, const std::string& peer_path, const std::string& call_id) {
    const std::string sip = R"({"call_id":")" + call_id +
                            R"(","local_uri":"sip:team@example.com","local_tag":"ktag1","remote_uri":")" +
                            address +
                            R"(","remote_tag":"ctag1","remote_target":"sip:client@127.0.0.1:5099"})";
    return api("POST", "/v1/conferences/" + f.conference_id + "/participants",
               R"({"address":")" + address + R"(","sdp_offer":")" + json_escape(offer_for(peer_path)) +
                   R"(","sip":)" + sip + "}");
  }
  fake_rpc_server rpc;
  conference_fixture f;
};

TEST_F(SipParticipants, OfferIsAnsweredAndOnlyTheOfferedPeerBinds) {
  const std::string peer_path = "msrp://127.0.0.1:9/alice-sip-1;tcp";
  http_reply r = join("sip:alice@example.com", peer_path, "call-1@client");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string herald_path = json_field(r.body, "path");
  const std::string answer = json_field(r.body, "sdp_answer");
  EXPECT_EQ(json_field(r.body, "peer_path"), peer_path);
  EXPECT_NE(answer.find("c=IN IP4 127.0.0.1\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("m=message " + std::to_string(f.daemon.msrp_port()) + " TCP/MSRP *\r\n"),
            std::string::npos)
      << answer;
  EXPECT_NE(answer.find("a=path:" + herald_path + "\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a=accept-types:message/cpim *\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a=accept-wrapped-types:*\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a=max-size:16777216\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a=setup:passive\r\n"), std::string::npos) << answer;

  msrp_peer p;
  p.tag = "sip";
  ASSERT_EQ(p.connect(f.daemon.msrp_port()), 0);
  EXPECT_EQ(p.bind_from(herald_path, "msrp://127.0.0.1:9/mallory;tcp"), 403);
  EXPECT_EQ(p.bind_from(herald_path, peer_path), 200);
  // A system message reaches it with the address the front end authenticated as CPIM To.
  ASSERT_EQ(api("POST", "/v1/conferences/" + f.conference_id + "/messages",
                R"({"content_type":"text/plain","body":"hello over sip"})")
                .status,
            202);
  ASSERT_TRUE(p.pump_until([&] { return !p.sends.empty(); }, 10000));
  EXPECT_EQ(p.sends[0].to_path, peer_path);
  cpim::message m;
  ASSERT_EQ(cpim::parse_final(p.sends[0].body, m), cpim::parse_error::ok);
  EXPECT_EQ(m.find(cpim::header_kind::to)->addr.uri, "sip:alice@example.com");
  EXPECT_EQ(m.body, "hello over sip");
}

TEST_F(SipParticipants, ApiDeleteAsksTheFrontEndForABye) {
  http_reply r = join("sip:bob@example.com", "msrp://127.0.0.1:9/bob;tcp", "call-2@client");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json_field(r.body, "sip_call_id"), "call-2@client");
  const std::string pid = json_field(r.body, "id");
  ASSERT_EQ(api("DELETE", "/v1/conferences/" + f.conference_id + "/participants/" + pid).status, 204);
  ASSERT_TRUE(rpc.wait_for(1)) << f.daemon.log();
  const std::string body = rpc.bodies()[0];
  EXPECT_NE(body.find(R"("method":"tm.t_uac_start")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("params":["BYE","sip:client@127.0.0.1:5099","","",)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"(From: <sip:team@example.com>;tag=ktag1\r\nTo: <sip:bob@example.com>;tag=ctag1\r\n)"
                      R"(Call-ID: call-2@client\r\nCSeq: 1 BYE\r\n)"),
            std::string::npos)
      << body;
}

TEST_F(SipParticipants, DeleteReportingTheClientsByeSendsNone) {
  http_reply r = join("sip:carol@example.com", "msrp://127.0.0.1:9/carol;tcp", "call-3@client");
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(api("DELETE", "/v1/conferences/" + f.conference_id + "/participants/" + json_field(r.body, "id") +
                              "?bye=false")
                .status,
            204);
  EXPECT_EQ(api("DELETE", "/v1/conferences/" + f.conference_id + "/participants/pX?bye=maybe").status, 400);
  ::poll(nullptr, 0, 500);
  EXPECT_TRUE(rpc.bodies().empty());
}

TEST_F(SipParticipants, PostRemoveIsTheDeleteForFrontEndsThatOnlyPost) {
  const std::string base = "/v1/conferences/" + f.conference_id + "/participants/";
  http_reply a = join("sip:grace@example.com", "msrp://127.0.0.1:9/grace;tcp", "call-5@client");
  http_reply b = join("sip:heidi@example.com", "msrp://127.0.0.1:9/heidi;tcp", "call-6@client");
  ASSERT_EQ(a.status, 201) << a.body;
  ASSERT_EQ(b.status, 201) << b.body;
  // The client's own BYE: removed, and no BYE goes back.
  EXPECT_EQ(api("POST", base + json_field(a.body, "id") + ":remove", R"({"bye":false})").status, 204);
  EXPECT_EQ(api("GET", base + json_field(a.body, "id")).status, 404);
  ::poll(nullptr, 0, 300);
  EXPECT_TRUE(rpc.bodies().empty());
  // Anything else (a dialog that timed out): removed, and the front end is asked for the BYE.
  http_reply bad = api("POST", base + json_field(b.body, "id") + ":remove", R"({"bye":"no"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(json_field(bad.body, "field"), "bye") << bad.body;
  EXPECT_EQ(api("POST", base + json_field(b.body, "id") + ":remove", "{}").status, 204);
  ASSERT_TRUE(rpc.wait_for(1)) << f.daemon.log();
  EXPECT_NE(rpc.bodies()[0].find("Call-ID: call-6@client"), std::string::npos) << rpc.bodies()[0];
  EXPECT_EQ(api("POST", base + json_field(b.body, "id") + ":remove", "{}").status, 404);
  EXPECT_EQ(api("DELETE", base + "pX:remove").status, 405);
}

TEST_F(SipParticipants, DeletingTheConferenceEndsEverySipDialog) {
  ASSERT_EQ(join("sip:ivan@example.com", "msrp://127.0.0.1:9/ivan;tcp", "call-7@client").status, 201);
  ASSERT_EQ(join("sip:judy@example.com", "msrp://127.0.0.1:9/judy;tcp", "call-8@client").status, 201);
  ASSERT_EQ(api("POST", "/v1/conferences/" + f.conference_id + "/participants",
                R"({"address":"sip:api@example.com"})")
                .status,
            201);  // no dialog: nothing to end
  ASSERT_EQ(api("DELETE", "/v1/conferences/" + f.conference_id).status, 204);
  ASSERT_TRUE(rpc.wait_for(2)) << f.daemon.log();
  ::poll(nullptr, 0, 300);
  const std::vector<std::string> bodies = rpc.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  const std::string both = bodies[0] + bodies[1];
  EXPECT_NE(both.find("Call-ID: call-7@client"), std::string::npos) << both;
  EXPECT_NE(both.find("Call-ID: call-8@client"), std::string::npos) << both;
}

TEST_F(SipParticipants, LosingTheMsrpConnectionRemovesTheParticipantAndEndsTheDialog) {
  const std::string peer_path = "msrp://127.0.0.1:9/dave;tcp";
  http_reply r = join("sip:dave@example.com", peer_path, "call-4@client");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string pid = json_field(r.body, "id");
  {
    msrp_peer p;
    p.tag = "dave";
    ASSERT_EQ(p.connect(f.daemon.msrp_port()), 0);
    ASSERT_EQ(p.bind_from(json_field(r.body, "path"), peer_path), 200);
  }  // the connection closes
  ASSERT_TRUE(rpc.wait_for(1)) << f.daemon.log();
  EXPECT_NE(rpc.bodies()[0].find("Call-ID: call-4@client"), std::string::npos) << rpc.bodies()[0];
  EXPECT_EQ(api("GET", "/v1/conferences/" + f.conference_id + "/participants/" + pid).status, 404);
  const std::uint64_t deadline = now_ms() + 3000;
  std::string metrics;
  while (now_ms() < deadline &&
         (metrics = api("GET", "/metrics").body).find("herald_sip_byes_total{result=\"sent\"} 1") ==
             std::string::npos)
    ::poll(nullptr, 0, 50);
  EXPECT_NE(metrics.find("herald_sip_byes_total{result=\"sent\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("herald_build_info{version=\"heraldd "), std::string::npos) << metrics;
}

TEST_F(SipParticipants, UnanswerableOffersAre422SdpNotAcceptable) {
  const std::string conf = "/v1/conferences/" + f.conference_id + "/participants";
  const std::string no_msrp =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";
  for (const std::string& offer : {no_msrp, offer_for("msrp://127.0.0.1:9/x;tcp", "text/plain"),
                                   std::string("not sdp at all"), offer_for("sip:not-msrp@example.com")}) {
    http_reply r = api("POST", conf,
                       R"({"address":"sip:erin@example.com","sdp_offer":")" + json_escape(offer) + R"("})");
    EXPECT_EQ(r.status, 422) << offer << "\n" << r.body;
    EXPECT_EQ(json_field(r.body, "code"), "sdp_not_acceptable") << r.body;
  }
  // Nothing was registered by the refused offers.
  EXPECT_EQ(json_int(api("GET", "/v1/conferences/" + f.conference_id).body, "participant_count"), 0);
}

TEST_F(SipParticipants, DialogFieldsAreCheckedLikeHeaders) {
  http_reply r =
      api("POST", "/v1/conferences/" + f.conference_id + "/participants",
          R"({"address":"sip:frank@example.com","sip":{"call_id":"a\r\nVia: x","local_uri":"sip:t@e",)"
          R"("local_tag":"1","remote_uri":"sip:f@e","remote_tag":"2","remote_target":"sip:f@h"}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json_field(r.body, "field"), "sip.call_id") << r.body;
  r = api("POST", "/v1/conferences/" + f.conference_id + "/participants",
          R"({"address":"sip:frank@example.com","sip":{"call_id":"c"}})");
  EXPECT_EQ(r.status, 400) << r.body;  // the other dialog fields are required
}

}  // namespace
}  // namespace herald::e2e
