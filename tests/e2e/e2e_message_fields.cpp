// Every field POST /v1/conferences/{id}/messages accepts takes effect on the wire: the report headers
// (and what then confirms a delivery: a 200, a success REPORT, no error within the timeout, the write),
// Subject, display names, and the external-body Content-ID.
#include <gtest/gtest.h>

#include "conference_fixture.hpp"
#include "herald/cpim/external_body.hpp"
#include "herald/cpim/parser.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

class MessageFields : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args = {}) {
    args.insert(args.end(), {"--shards", "2"});
    ASSERT_TRUE(f.start(args)) << f.daemon.log();
    ASSERT_TRUE(f.create(kParticipants));
    ASSERT_TRUE(f.connect_all(2));
  }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  // Posts json, waits until its recipients got their SENDs and the message settled; the final status.
  std::string post_and_settle(const std::string& json, int timeout_ms = 20000,
                              std::size_t recipients = kParticipants) {
    const std::size_t before = f.total_sends();
    http_reply r = f.post_message(json);
    EXPECT_EQ(r.status, 202) << r.body;
    id = json_field(r.body, "id");
    EXPECT_TRUE(f.pump_all_until([&] { return f.total_sends() >= before + recipients; }, timeout_ms));
    return f.wait_complete(id, timeout_ms);
  }
  // /metrics is a snapshot the shards publish every 100 ms: polled until it shows `line`.
  bool metrics_show(const std::string& line) {
    const std::uint64_t deadline = now_ms() + 3000;
    while (now_ms() < deadline) {
      if (http_request(f.daemon.control_port(), "GET", "/metrics").body.find(line) != std::string::npos)
        return true;
      f.pump_some(50);
    }
    return false;
  }
  const received_send& first_send() const { return f.peers[0]->sends.at(0); }
  static constexpr std::size_t kParticipants = 6;
  conference_fixture f;
  std::string id;
};

TEST_F(MessageFields, SuccessReport_IsSentAndTheRecipientsReportConfirmsIt) {
  start();
  std::string status = post_and_settle(R"({"content_type":"text/plain","body":"hi","success_report":true})");
  EXPECT_EQ(first_send().success_report, "yes");
  EXPECT_EQ(json_int(status, "delivered"), std::int64_t(kParticipants)) << status;
  for (auto& p : f.peers) EXPECT_FALSE(p->sends.empty());
}

TEST_F(MessageFields, SuccessReport_AWhole200WithoutAReportIsNotADelivery) {
  start({"--transaction-timeout", "1s"});
  for (auto& p : f.peers) p->policy.report_with = 0;  // answers 200, never reports
  std::string status = post_and_settle(R"({"content_type":"text/plain","body":"hi","success_report":true})");
  EXPECT_EQ(json_int(status, "delivered"), 0) << status;
  EXPECT_EQ(json_int(status, "failed"), std::int64_t(kParticipants)) << status;
  EXPECT_EQ(failure_of(status, "sip:u0@example.com").reason, "timeout") << status;
}

TEST_F(MessageFields, SuccessReport_AFailureReportFailsTheRecipient) {
  start();
  f.peers[1]->policy.report_with = 415;
  std::string status = post_and_settle(R"({"content_type":"text/plain","body":"hi","success_report":true})");
  // Participants alternate over the two connections: u1, u3, u5 are on peer 1.
  EXPECT_EQ(json_int(status, "delivered"), 3) << status;
  failure_entry u1 = failure_of(status, "sip:u1@example.com");
  EXPECT_EQ(u1.reason, "error_response") << status;
  EXPECT_EQ(u1.status, 415) << status;
}

TEST_F(MessageFields, FailureReportPartial_NoErrorWithinTheTimeoutIsSent) {
  start({"--transaction-timeout", "1s"});
  f.peers[1]->policy.respond_with = 486;  // partial: only failures are answered
  std::string status =
      post_and_settle(R"({"content_type":"text/plain","body":"hi","failure_report":"partial"})");
  EXPECT_EQ(first_send().failure_report, "partial");
  EXPECT_EQ(json_int(status, "sent"), 3) << status;
  EXPECT_EQ(json_int(status, "delivered"), 0) << status;
  EXPECT_EQ(json_int(status, "failed"), 3) << status;
  EXPECT_EQ(failure_of(status, "sip:u1@example.com").status, 486) << status;
  EXPECT_TRUE(metrics_show("herald_deliveries_total{outcome=\"sent\"} 3"));
}

TEST_F(MessageFields, FailureReportNo_IsSentOnceWrittenWithoutWaitingForTheTimeout) {
  start();  // the 30 s default timeout: settling must not wait for it
  std::string status =
      post_and_settle(R"({"content_type":"text/plain","body":"hi","failure_report":"no"})", 5000);
  EXPECT_EQ(first_send().failure_report, "no");
  EXPECT_EQ(json_int(status, "sent"), std::int64_t(kParticipants)) << status;
  EXPECT_EQ(json_int(status, "pending"), 0) << status;
}

TEST_F(MessageFields, FailureReportYes_IsWrittenAndA200Confirms) {
  start();
  std::string status = post_and_settle(R"({"content_type":"text/plain","body":"hi","failure_report":"yes"})");
  EXPECT_EQ(first_send().failure_report, "yes");
  EXPECT_EQ(first_send().success_report, "");  // success_report omitted: no header
  EXPECT_EQ(json_int(status, "delivered"), std::int64_t(kParticipants)) << status;
}

TEST_F(MessageFields, SubjectAndDisplayNamesReachTheCpimHeaders) {
  ASSERT_TRUE(f.start({"--shards", "1"})) << f.daemon.log();
  http_reply c = http_request(f.daemon.control_port(), "POST", "/v1/conferences",
                              R"({"uri":"sip:board@example.com","display_name":"The Board"})");
  ASSERT_EQ(c.status, 201) << c.body;
  f.conference_id = json_field(c.body, "id");
  http_reply p =
      http_request(f.daemon.control_port(), "POST", "/v1/conferences/" + f.conference_id + "/participants",
                   R"({"address":"sip:ann@example.com","display_name":"Ann \"A\" Lee"})");
  ASSERT_EQ(p.status, 201) << p.body;
  f.participants.push_back({json_field(p.body, "id"), "sip:ann@example.com", json_field(p.body, "path"), 0});
  ASSERT_TRUE(f.connect_all(1));
  http_reply r = f.post_message(R"({"content_type":"text/plain","body":"agenda","subject":"Q4 review"})");
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() >= 1; }, 10000));
  const std::string& cpim = f.peers[0]->sends[0].body;
  EXPECT_NE(cpim.find("From: \"The Board\" <sip:board@example.com>\r\n"), std::string::npos) << cpim;
  EXPECT_NE(cpim.find("To: \"Ann \\\"A\\\" Lee\" <sip:ann@example.com>\r\n"), std::string::npos) << cpim;
  EXPECT_NE(cpim.find("Subject: Q4 review\r\n"), std::string::npos) << cpim;
  EXPECT_NE(cpim.find("DateTime: "), std::string::npos) << cpim;
}

// RFC 2046 §5.2.3: the encapsulated headers of message/external-body carry a Content-ID.
TEST_F(MessageFields, ExternalContentIdIsTheOneGivenOrAGeneratedOne) {
  start();
  const std::string given = post_and_settle(
      R"({"to":["sip:u0@example.com"],"external":{"url":"https://cdn.example.com/a.mp4","content_type":"video/mp4","content_id":"clip.7@cdn.example.com","size":42,"expiration":"Fri, 01 Jan 2027 00:00:00 GMT"}})",
      20000, 1);
  EXPECT_EQ(json_int(given, "delivered"), 1) << given;
  ASSERT_FALSE(f.peers[0]->sends.empty());
  cpim::message m;
  ASSERT_EQ(cpim::parse_final(f.peers[0]->sends.back().body, m), cpim::parse_error::ok);
  auto x = cpim::parse_external_body(m.content_type, m.body);
  ASSERT_TRUE(x.ok()) << cpim::to_string(x.error()) << "\n" << f.peers[0]->sends.back().body;
  EXPECT_EQ(x->content_id, "clip.7@cdn.example.com");
  EXPECT_EQ(x->size, 42u);
  EXPECT_TRUE(x->has_expiration);

  http_reply r = f.post_message(
      R"({"to":["sip:u0@example.com"],"external":{"url":"https://cdn.example.com/b.mp4","content_type":"video/mp4"}})");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string message_id = json_field(r.body, "id");
  ASSERT_TRUE(f.pump_all_until([&] { return f.peers[0]->sends.size() >= 2; }, 10000));
  ASSERT_EQ(cpim::parse_final(f.peers[0]->sends.back().body, m), cpim::parse_error::ok);
  x = cpim::parse_external_body(m.content_type, m.body);
  ASSERT_TRUE(x.ok());
  // Made from the message id and the conference's domain, so it is unique and says where it came from.
  EXPECT_EQ(x->content_id, message_id + "@example.com");
}

TEST_F(MessageFields, BadContentIdIsRefusedWith422NamingTheField) {
  start();
  http_reply r = f.post_message(
      R"({"external":{"url":"https://cdn.example.com/a.mp4","content_type":"video/mp4","content_id":"<x@y>"}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json_field(r.body, "field"), "external.content_id") << r.body;
}

}  // namespace
}  // namespace herald::e2e
