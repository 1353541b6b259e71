// Every recipient ends delivered or failed with the reason the API reports, and one failing recipient
// (error response, silence, disconnect, slow consumer, never bound, removal) never holds up the others.
#include <gtest/gtest.h>

#include "conference_fixture.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

class DeliveryFailure : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--shards", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(f.start(args)) << f.daemon.log();
  }
  std::string post_to_all(std::string_view body = "hello") {
    http_reply r = f.post_message(R"({"content_type":"text/plain","body":")" + std::string(body) + R"("})");
    EXPECT_EQ(r.status, 202) << r.body;
    return json_field(r.body, "id");
  }
  conference_fixture f;
};

TEST_F(DeliveryFailure, ErrorResponse_FailsWithItsStatus_OthersDelivered) {
  start();
  ASSERT_TRUE(f.create(3));
  ASSERT_TRUE(f.connect_all(3));
  f.peers[1]->policy.respond_with = 486;
  std::string status = f.wait_complete(post_to_all());
  EXPECT_EQ(json_int(status, "delivered"), 2) << status;
  EXPECT_EQ(json_int(status, "failed"), 1) << status;
  failure_entry e = failure_of(status, "sip:u1@example.com");
  ASSERT_TRUE(e.found) << status;
  EXPECT_EQ(e.status, 486);
  EXPECT_EQ(e.reason, "error_response");
}

// A shard tracking --max-messages-in-flight messages has no slot for another: its recipients there fail at
// once with their own reason (not shutdown), and the refusal is counted.
TEST_F(DeliveryFailure, OutboxFull_FailsWithItsOwnReasonAndCounter) {
  std::vector<std::string> args = {"--shards", "1", "--max-messages-in-flight", "1"};
  ASSERT_TRUE(f.start(args)) << f.daemon.log();
  ASSERT_TRUE(f.create(3));
  ASSERT_TRUE(f.connect_all(1));
  f.peers[0]->policy.respond_with = 0;  // the first message holds the shard's only slot
  std::string first = post_to_all("first");
  ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() == 3; }, 5000));
  std::string status = f.wait_complete(post_to_all("second"), 5000);
  EXPECT_EQ(json_int(status, "failed"), 3) << status;
  failure_entry e = failure_of(status, "sip:u0@example.com");
  EXPECT_EQ(e.reason, "outbox_full") << status;
  EXPECT_EQ(e.status, 503) << status;
  EXPECT_EQ(json_int(f.message_status(first).body, "pending"), 3);
  const std::uint64_t deadline = now_ms() + 3000;
  std::string metrics;
  while (now_ms() < deadline) {
    metrics = http_request(f.daemon.control_port(), "GET", "/metrics").body;
    if (metrics.find("herald_outbox_full_total{shard=\"0\"} 1") != std::string::npos) break;
    f.pump_some(50);
  }
  EXPECT_NE(metrics.find("herald_outbox_full_total{shard=\"0\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("herald_deliveries_total{outcome=\"failed\",reason=\"outbox_full\"} 3"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("herald_deliveries_total{outcome=\"failed\",reason=\"shutdown\"} 0"),
            std::string::npos)
      << metrics;
}

TEST_F(DeliveryFailure, NoResponse_TimesOutWith408_OthersDeliveredBeforeTheTimeout) {
  start({"--transaction-timeout", "1s"});
  ASSERT_TRUE(f.create(3));
  ASSERT_TRUE(f.connect_all(3));
  f.peers[2]->policy.respond_with = 0;
  std::uint64_t posted = now_ms();
  std::string id = post_to_all();
  std::string early = f.wait_status(
      id, [](const std::string& b) { return json_int(b, "delivered") == 2; }, 5000);
  EXPECT_LT(now_ms() - posted, 900u) << "the silent recipient delayed the others: " << early;
  EXPECT_EQ(json_int(early, "pending"), 1) << early;
  std::string status = f.wait_complete(id, 10000);
  EXPECT_EQ(json_int(status, "delivered"), 2) << status;
  failure_entry e = failure_of(status, "sip:u2@example.com");
  ASSERT_TRUE(e.found) << status;
  EXPECT_EQ(e.status, 408);
  EXPECT_EQ(e.reason, "timeout");
}

TEST_F(DeliveryFailure, DisconnectMidFanOut_ItsRecipientsFailDisconnected_OthersDelivered) {
  start();
  constexpr std::size_t kParticipants = 4000, kConnections = 4;
  ASSERT_TRUE(f.create(kParticipants));
  ASSERT_TRUE(f.connect_all(kConnections));
  f.peers[3]->policy.respond_with = 0;  // nothing of connection 3 settles before it goes
  std::string id = post_to_all();
  ASSERT_TRUE(f.peers[3]->pump_until([&] { return !f.peers[3]->sends.empty(); }, 10000));
  f.peers[3]->reset();
  std::string status = f.wait_complete(id, 30000);
  EXPECT_EQ(json_int(status, "pending"), 0) << status;
  EXPECT_EQ(json_int(status, "delivered"),
            static_cast<std::int64_t>(kParticipants - kParticipants / kConnections));
  EXPECT_EQ(json_int(status, "failed"), static_cast<std::int64_t>(kParticipants / kConnections));
  for (const std::string& reason : failure_reasons(status))
    ASSERT_EQ(reason, "disconnected") << status.substr(0, 500);
  for (std::size_t i = 3; i < 40; i += kConnections)
    EXPECT_TRUE(failure_of(status, f.participants[i].address).found);
}

TEST_F(DeliveryFailure, SlowConsumer_FailsAndIsClosed_OthersDelivered) {
  start({"--max-queue-bytes", "64k"});
  ASSERT_TRUE(f.create(2));
  ASSERT_TRUE(f.connect_all(2, {{1, 4096}}));
  f.peers[1]->policy.read = false;  // u1 stops reading
  // Each message queues 32 KiB per connection, under the limit; only the stalled connection's backlog
  // grows past it once the socket buffers are full.
  const std::string body(32 * 1024, 'z');
  std::string first;
  failure_entry slow;
  for (int sent = 0; sent < 400 && !slow.found; ++sent) {
    std::string id = post_to_all(body);
    if (first.empty()) first = id;
    std::string status = f.wait_status(
        id, [](const std::string& b) { return json_int(b, "delivered") == 1; }, 10000);
    ASSERT_EQ(json_int(status, "delivered"), 1) << "the reading peer was held up: " << status;
    // Every message still pending on the stalled connection fails when it is cut loose.
    slow = failure_of(f.message_status(first).body, "sip:u1@example.com");
  }
  ASSERT_TRUE(slow.found) << "never cut loose";
  EXPECT_EQ(slow.reason, "slow_consumer");
  // Its connection was closed: once it reads again it finds the end of the stream.
  f.peers[1]->policy.read = true;
  f.peers[1]->policy.respond_with = 0;
  EXPECT_TRUE(f.peers[1]->pump_until([&] { return f.peers[1]->eof; }, 20000));
  // And later messages still reach the reading peer.
  std::string after = f.wait_complete(post_to_all());
  EXPECT_FALSE(failure_of(after, "sip:u0@example.com").found) << after;
  EXPECT_EQ(failure_of(after, "sip:u1@example.com").reason, "not_connected") << after;
}

// A relay carrying 2,000 sessions receives 2,000 frames at once for one message: its queue room grows
// with its sessions (--max-queue-bytes-per-session), so the burst is not mistaken for a slow consumer.
TEST_F(DeliveryFailure, BurstToManySessionsOnOneConnection_IsNotASlowConsumer) {
  start({"--max-queue-bytes", "64k"});
  ASSERT_TRUE(f.create(2000));
  ASSERT_TRUE(f.connect_all(1));
  std::string status = f.wait_complete(post_to_all(std::string(1024, 'b')), 30000);
  EXPECT_EQ(json_int(status, "delivered"), 2000) << status;
  EXPECT_EQ(json_int(status, "failed"), 0) << status;
}

TEST_F(DeliveryFailure, RegisteredButNeverBound_FailsNotConnected) {
  start();
  ASSERT_TRUE(f.create(3));
  std::size_t p = f.add_peer("only");
  std::vector<int> bound = f.peers[p]->bind({f.participants[0].path, f.participants[1].path});
  ASSERT_EQ(bound, (std::vector<int>{200, 200}));
  f.participants[0].peer = f.participants[1].peer = p;
  std::string status = f.wait_complete(post_to_all());
  EXPECT_EQ(json_int(status, "delivered"), 2) << status;
  failure_entry e = failure_of(status, "sip:u2@example.com");
  ASSERT_TRUE(e.found) << status;
  EXPECT_EQ(e.reason, "not_connected");
}

TEST_F(DeliveryFailure, ParticipantRemovedWhilePending_FailsParticipantRemoved) {
  start();
  ASSERT_TRUE(f.create(3));
  ASSERT_TRUE(f.connect_all(3));
  f.peers[1]->policy.respond_with = 0;
  std::string id = post_to_all();
  ASSERT_TRUE(f.peers[1]->pump_until([&] { return !f.peers[1]->sends.empty(); }, 10000));
  http_reply d = http_request(f.daemon.control_port(), "DELETE",
                              "/v1/conferences/" + f.conference_id + "/participants/" + f.participants[1].id);
  EXPECT_EQ(d.status, 204) << d.body;
  std::string status = f.wait_complete(id, 10000);
  EXPECT_EQ(json_int(status, "delivered"), 2) << status;
  failure_entry e = failure_of(status, "sip:u1@example.com");
  ASSERT_TRUE(e.found) << status;
  EXPECT_EQ(e.reason, "participant_removed");
}

TEST_F(DeliveryFailure, ConferenceDeletedWhilePending_PendingFailConferenceDeleted) {
  start();
  ASSERT_TRUE(f.create(4));
  ASSERT_TRUE(f.connect_all(2));
  f.peers[1]->policy.respond_with = 0;  // u1, u3 stay pending
  std::string id = post_to_all();
  std::string before = f.wait_status(id, [](const std::string& b) { return json_int(b, "delivered") == 2; });
  ASSERT_EQ(json_int(before, "delivered"), 2) << before;
  http_reply d = http_request(f.daemon.control_port(), "DELETE", "/v1/conferences/" + f.conference_id);
  EXPECT_EQ(d.status, 204) << d.body;
  std::string status = f.wait_complete(id, 10000);
  EXPECT_EQ(json_int(status, "failed"), 2) << status;
  EXPECT_EQ(failure_of(status, "sip:u1@example.com").reason, "conference_deleted") << status;
  EXPECT_EQ(failure_of(status, "sip:u3@example.com").reason, "conference_deleted") << status;
}

// A shard stamps a large fan-out over several loop iterations; deleting the conference in the middle
// must still leave every recipient delivered (stamped and answered before) or conference_deleted.
TEST_F(DeliveryFailure, ConferenceDeletedDuringALargeFanOut_EveryRecipientEndsDeliveredOrDeleted) {
  constexpr std::int64_t kParticipants = 10000;
  start();
  ASSERT_TRUE(f.create(kParticipants));
  ASSERT_TRUE(f.connect_all(1));  // one relay connection: all 10,000 targets on one shard
  std::string id = post_to_all();
  // Answer the first SENDs, so some recipients are delivered before the deletion.
  std::string before = f.wait_status(id, [](const std::string& b) { return json_int(b, "delivered") > 0; });
  ASSERT_GT(json_int(before, "delivered"), 0) << before.substr(0, 400);
  http_reply d = http_request(f.daemon.control_port(), "DELETE", "/v1/conferences/" + f.conference_id);
  EXPECT_EQ(d.status, 204) << d.body;
  std::string status = f.wait_complete(id, 60000);
  ASSERT_EQ(json_int(status, "pending"), 0) << status.substr(0, 400);
  EXPECT_EQ(json_int(status, "delivered") + json_int(status, "failed"), kParticipants)
      << status.substr(0, 400);
  for (std::size_t at = 0; (at = status.find("\"reason\":\"", at)) != std::string::npos;) {
    at += 10;
    ASSERT_EQ(status.substr(at, status.find('"', at) - at), "conference_deleted");
  }
}

}  // namespace
}  // namespace herald::e2e
