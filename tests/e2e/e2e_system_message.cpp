// System messages from an IM conference (OMA IM TS 7.2.3.4) over real loopback MSRP: one SEND per
// target recipient, CPIM To = that recipient, From = the conference, body byte-identical.
#include <gtest/gtest.h>

#include <map>

#include "conference_fixture.hpp"
#include "herald/cpim/external_body.hpp"
#include "herald/cpim/parser.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

// What one recipient got, checked against what it should have got.
struct delivery_check {
  std::string cpim_from, cpim_to, content_type, body;
  bool parsed = false;
};

delivery_check inspect(const received_send& s) {
  delivery_check d;
  cpim::message m;
  if (cpim::parse_final(s.body, m) != cpim::parse_error::ok) return d;
  d.parsed = true;
  if (const cpim::address* from = m.from()) d.cpim_from = std::string(from->uri);
  if (const cpim::header* to = m.find(cpim::header_kind::to)) d.cpim_to = std::string(to->addr.uri);
  d.content_type = std::string(m.content_type);
  d.body = std::string(m.body);
  return d;
}

class SystemMessage : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(f.start()) << f.daemon.log(); }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  // Received SENDs per participant index, keyed by the To-Path the peer registered for it.
  std::map<std::size_t, std::vector<const received_send*>> by_participant() {
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < f.participants.size(); ++i)
      index[f.peers[f.participants[i].peer]->own_path(f.participants[i].path)] = i;
    std::map<std::size_t, std::vector<const received_send*>> out;
    for (const auto& p : f.peers)
      for (const auto& s : p->sends) {
        auto it = index.find(s.to_path);
        out[it == index.end() ? SIZE_MAX : it->second].push_back(&s);
      }
    return out;
  }
  // A shard stamps a large fan-out a slice per loop iteration; a message posted meanwhile must still
  // reach every recipient after the one before it (each shard stamps its messages in arrival order).
  void expect_posting_order(std::size_t connections) {
    constexpr std::size_t kParticipants = 10000;
    constexpr int kMessages = 4;
    ASSERT_TRUE(f.create(kParticipants));
    ASSERT_TRUE(f.connect_all(connections));
    std::vector<std::string> ids;
    for (int m = 0; m < kMessages; ++m) {
      http_reply r =
          f.post_message(R"({"content_type":"text/plain","body":"message )" + std::to_string(m) + R"("})");
      ASSERT_EQ(r.status, 202) << r.body;
      ids.push_back(json_field(r.body, "id"));
    }
    ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() >= kParticipants * kMessages; }, 60000))
        << "received " << f.total_sends();
    for (const std::string& id : ids) {
      std::string status = f.wait_complete(id, 30000);
      EXPECT_EQ(json_int(status, "delivered"), static_cast<std::int64_t>(kParticipants)) << status;
    }
    auto got = by_participant();
    ASSERT_EQ(got.size(), kParticipants);
    for (std::size_t i = 0; i < kParticipants; ++i) {
      ASSERT_EQ(got[i].size(), std::size_t(kMessages)) << "participant " << i;
      for (int m = 0; m < kMessages; ++m)
        ASSERT_EQ(inspect(*got[i][std::size_t(m)]).body, "message " + std::to_string(m))
            << "participant " << i;
    }
  }
  conference_fixture f;
};

TEST_F(SystemMessage, ToOneRecipient_OnlyItReceives) {
  ASSERT_TRUE(f.create(5));
  ASSERT_TRUE(f.connect_all(2));
  http_reply r =
      f.post_message(R"({"to":["sip:u3@example.com"],"content_type":"text/plain","body":"hello u3"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json_int(r.body, "recipients"), 1);
  std::string status = f.wait_complete(json_field(r.body, "id"));
  EXPECT_EQ(json_int(status, "delivered"), 1) << status;
  f.pump_all_until([] { return false; }, 200);  // nothing else may arrive
  auto got = by_participant();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got.count(3), 1u);
  ASSERT_EQ(got[3].size(), 1u);
  delivery_check d = inspect(*got[3][0]);
  ASSERT_TRUE(d.parsed) << got[3][0]->body;
  EXPECT_EQ(d.cpim_from, "sip:team@example.com");
  EXPECT_EQ(d.cpim_to, "sip:u3@example.com");
  EXPECT_EQ(d.content_type, "text/plain");
  EXPECT_EQ(d.body, "hello u3");
  EXPECT_EQ(got[3][0]->content_type, "message/cpim");
}

TEST_F(SystemMessage, ToSubset_OnlyTargetsReceive) {
  ASSERT_TRUE(f.create(20));
  ASSERT_TRUE(f.connect_all(3));
  http_reply r = f.post_message(
      R"({"to":["sip:u1@example.com","sip:u7@example.com","sip:u19@example.com"],"content_type":"text/plain","body":"subset"})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string status = f.wait_complete(json_field(r.body, "id"));
  EXPECT_EQ(json_int(status, "delivered"), 3) << status;
  f.pump_all_until([] { return false; }, 200);
  auto got = by_participant();
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i : {1, 7, 19}) {
    ASSERT_EQ(got[i].size(), 1u) << i;
    EXPECT_EQ(inspect(*got[i][0]).cpim_to, f.participants[i].address);
  }
}

TEST_F(SystemMessage, UnknownRecipientIsRefusedWith422ListingIt) {
  ASSERT_TRUE(f.create(2));
  http_reply r = f.post_message(
      R"({"to":["sip:u1@example.com","sip:nobody@example.com"],"content_type":"text/plain","body":"x"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("sip:nobody@example.com"), std::string::npos) << r.body;
}

TEST_F(SystemMessage, ToAllOf10000Over100Connections_EachGetsExactlyOneIdenticalBinaryBody) {
  constexpr std::size_t kParticipants = 10000;
  ASSERT_TRUE(f.create(kParticipants));
  ASSERT_TRUE(f.connect_all(100));
  static constexpr char kBody[] = "bin\0ary\r\n-------notatid$\r\nmore\0\xff\xfe tail";
  std::string body(kBody, sizeof kBody - 1);
  body += std::string("\r\n-------", 9);
  http_reply r = f.post_message(R"({"content_type":"application/octet-stream","body_base64":")" +
                                base64(body) + R"("})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json_int(r.body, "recipients"), static_cast<std::int64_t>(kParticipants));
  std::string id = json_field(r.body, "id");
  ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() >= kParticipants; }, 60000))
      << "received " << f.total_sends();
  std::string status = f.wait_complete(id, 30000);
  EXPECT_EQ(json_int(status, "delivered"), static_cast<std::int64_t>(kParticipants)) << status;
  EXPECT_EQ(json_int(status, "failed"), 0) << status;
  auto got = by_participant();
  EXPECT_EQ(got.count(SIZE_MAX), 0u) << "SENDs to unknown paths";
  ASSERT_EQ(got.size(), kParticipants);
  for (std::size_t i = 0; i < kParticipants; ++i) {
    ASSERT_EQ(got[i].size(), 1u) << "participant " << i;
    delivery_check d = inspect(*got[i][0]);
    ASSERT_TRUE(d.parsed) << i;
    ASSERT_EQ(d.cpim_to, f.participants[i].address);
    ASSERT_EQ(d.cpim_from, "sip:team@example.com");
    ASSERT_EQ(d.body, body) << i;
  }
}

TEST_F(SystemMessage, BackToBackToAllOf10000Over100Connections_EachRecipientGetsThemInPostingOrder) {
  expect_posting_order(100);
}

// One relay connection carries all 10,000 sessions: its run of targets is longer than a slice.
TEST_F(SystemMessage, BackToBackToAllOf10000OverOneRelayConnection_EachRecipientGetsThemInPostingOrder) {
  expect_posting_order(1);
}

TEST_F(SystemMessage, ExternalBody_ParsesBackExactly) {
  ASSERT_TRUE(f.create(2));
  ASSERT_TRUE(f.connect_all(1));
  http_reply r = f.post_message(
      R"({"to":["sip:u0@example.com"],"external":{"url":"https://cdn.example.com/v/clip.mp4","content_type":"video/mp4","size":123456,"expiration":"Fri, 01 Jan 2027 00:00:00 GMT"}})");
  ASSERT_EQ(r.status, 202) << r.body;
  f.wait_complete(json_field(r.body, "id"));
  auto got = by_participant();
  ASSERT_EQ(got[0].size(), 1u);
  cpim::message m;
  ASSERT_EQ(cpim::parse_final(got[0][0]->body, m), cpim::parse_error::ok);
  auto x = cpim::parse_external_body(m.content_type, m.body);
  ASSERT_TRUE(x.ok()) << cpim::to_string(x.error()) << "\n" << got[0][0]->body;
  EXPECT_EQ(x->url, "https://cdn.example.com/v/clip.mp4");
  EXPECT_EQ(x->content_type, "video/mp4");
  EXPECT_TRUE(x->has_size);
  EXPECT_EQ(x->size, 123456u);
  EXPECT_TRUE(x->has_expiration);
  EXPECT_EQ(x->expiration, 1798761600);  // 2027-01-01T00:00:00Z
}

}  // namespace
}  // namespace herald::e2e
