// Operator limits: --max-participants, --max-conferences, --max-message-size (API and MSRP) and
// --max-pending-deliveries, each refused with its status and code.
#include <gtest/gtest.h>

#include "conference_fixture.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

TEST(Limits, MaxParticipants_FourthIs409TooManyParticipants) {
  conference_fixture f;
  ASSERT_TRUE(f.start({"--shards", "1", "--max-participants", "3"})) << f.daemon.log();
  ASSERT_TRUE(f.create(3));
  http_reply r =
      http_request(f.daemon.control_port(), "POST", "/v1/conferences/" + f.conference_id + "/participants",
                   R"({"address":"sip:fourth@example.com"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(json_field(r.body, "code"), "too_many_participants") << r.body;
  EXPECT_EQ(f.daemon.stop(), 0);
}

TEST(Limits, MaxConferences_SecondIs409TooManyConferences) {
  conference_fixture f;
  ASSERT_TRUE(f.start({"--shards", "1", "--max-conferences", "1"})) << f.daemon.log();
  ASSERT_TRUE(f.create(1));
  http_reply r =
      http_request(f.daemon.control_port(), "POST", "/v1/conferences", R"({"uri":"sip:second@example.com"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(json_field(r.body, "code"), "too_many_conferences") << r.body;
  EXPECT_EQ(f.daemon.stop(), 0);
}

class MessageSize : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(f.start({"--shards", "1", "--max-message-size", "1k", "--drain-timeout", "0s"}))
        << f.daemon.log();
    ASSERT_TRUE(f.create(2));
    ASSERT_TRUE(f.connect_all(1));
  }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  conference_fixture f;
};

TEST_F(MessageSize, ApiBodyOverTheLimit_413) {
  http_reply r =
      f.post_message(R"({"content_type":"text/plain","body":")" + std::string(2048, 'x') + R"("})");
  EXPECT_EQ(r.status, 413) << r.body;
}

TEST_F(MessageSize, ApiBodyAtTheLimitIsAccepted_OneByteMoreIs413) {
  http_reply at =
      f.post_message(R"({"content_type":"text/plain","body":")" + std::string(1024, 'x') + R"("})");
  EXPECT_EQ(at.status, 202) << at.body;
  http_reply over =
      f.post_message(R"({"content_type":"text/plain","body":")" + std::string(1025, 'x') + R"("})");
  EXPECT_EQ(over.status, 413) << over.body;
}

TEST_F(MessageSize, MsrpSendAtTheLimitIsAccepted_OneByteMoreIs413) {
  std::string at = f.peers[0]->send(f.participants[0].path, "text/plain", std::string(1024, 'x'));
  EXPECT_EQ(f.wait_response(*f.peers[0], at), 200);
  std::string over = f.peers[0]->send(f.participants[0].path, "text/plain", std::string(1025, 'x'));
  EXPECT_EQ(f.wait_response(*f.peers[0], over), 413);
}

TEST_F(MessageSize, MsrpSendOverTheLimit_413) {
  std::string tid = f.peers[0]->send(f.participants[0].path, "text/plain", std::string(2048, 'x'));
  EXPECT_EQ(f.wait_response(*f.peers[0], tid), 413);
}

TEST(Limits, MaxPendingDeliveries_SendBeyondIs429TooManyPending) {
  conference_fixture f;
  ASSERT_TRUE(f.start({"--shards", "2", "--max-pending-deliveries", "5", "--drain-timeout", "0s"}))
      << f.daemon.log();
  ASSERT_TRUE(f.create(3));
  ASSERT_TRUE(f.connect_all(1));
  f.peers[0]->policy.respond_with = 0;  // deliveries stay pending
  EXPECT_EQ(f.post_message(R"({"content_type":"text/plain","body":"one"})").status, 202);  // 3 pending
  http_reply r = f.post_message(R"({"content_type":"text/plain","body":"two"})");          // 6 > 5
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(json_field(r.body, "code"), "too_many_pending") << r.body;
  // Within the limit still goes: 3 + 2 = 5.
  EXPECT_EQ(
      f.post_message(
           R"({"to":["sip:u0@example.com","sip:u1@example.com"],"content_type":"text/plain","body":"x"})")
          .status,
      202);
  EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log();
}

TEST(Limits, MaxPendingDeliveries_FreedAsDeliveriesSettle) {
  conference_fixture f;
  ASSERT_TRUE(f.start({"--shards", "2", "--max-pending-deliveries", "3"})) << f.daemon.log();
  ASSERT_TRUE(f.create(3));
  ASSERT_TRUE(f.connect_all(1));
  for (int i = 0; i < 3; ++i) {
    http_reply r = f.post_message(R"({"content_type":"text/plain","body":"again"})");
    ASSERT_EQ(r.status, 202) << i << ": " << r.body;
    EXPECT_EQ(json_int(f.wait_complete(json_field(r.body, "id")), "delivered"), 3);
  }
  EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log();
}

}  // namespace
}  // namespace herald::e2e
