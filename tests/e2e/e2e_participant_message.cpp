// Messages from participants (OMA IM TS 7.2.3.3): fanned out to every other bound participant with the
// CPIM From forced to the sender's authenticated address; chunked input reassembled (RFC 4975 §5.1).
#include <gtest/gtest.h>

#include <ctime>

#include "conference_fixture.hpp"
#include "herald/cpim/parser.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

// A DateTime Herald stamped when it wrapped the message: now, give or take the test's own run time.
bool stamped_now(std::int64_t datetime) {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  return datetime >= now - 60 && datetime <= now + 1;
}

class ParticipantMessage : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(f.start()) << f.daemon.log();
    // Participants 0 and 2 share connection 0, 1 and 3 connection 1.
    ASSERT_TRUE(f.create(4));
    ASSERT_TRUE(f.connect_all(2));
  }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }

  msrp_peer& sender() { return *f.peers[0]; }
  const std::string& sender_path() { return f.participants[0].path; }
  // Waits for `n` SENDs in total, then a little longer so a duplicate would show.
  void expect_sends(std::size_t n) {
    ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() >= n; }, 10000)) << f.total_sends();
    f.pump_all_until([] { return false; }, 200);
    EXPECT_EQ(f.total_sends(), n);
  }

  conference_fixture f;
};

constexpr std::string_view kSpoofedCpim =
    "From: Mallory <sip:mallory@evil.example>\r\n"
    "To: <sip:u1@example.com>\r\n"
    "NS: imdn <urn:ietf:params:imdn>\r\n"
    "imdn.Message-ID: abc\r\n"
    "\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello from u0";

TEST_F(ParticipantMessage, CpimFromIsTheAuthenticatedSender_HeadersPassThrough_SenderExcluded) {
  std::string tid = sender().send(sender_path(), "message/cpim", kSpoofedCpim);
  EXPECT_EQ(f.wait_response(sender(), tid), 200);
  expect_sends(3);
  auto got = f.by_participant();
  EXPECT_EQ(got.count(0), 0u) << "the sender received its own message";
  EXPECT_EQ(got.count(SIZE_MAX), 0u);
  for (std::size_t i : {1, 2, 3}) {
    ASSERT_EQ(got[i].size(), 1u) << i;
    const received_send& s = *got[i][0];
    EXPECT_EQ(s.content_type, "message/cpim");
    cpim_view v = parse(s);
    ASSERT_TRUE(v.parsed) << s.body;
    EXPECT_EQ(v.from, "sip:u0@example.com") << s.body;
    EXPECT_EQ(v.to, f.participants[i].address) << s.body;
    EXPECT_EQ(s.body.find("mallory"), std::string::npos) << s.body;
    EXPECT_NE(s.body.find("\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: abc\r\n"),
              std::string::npos)
        << s.body;
    constexpr std::string_view inner = "\r\n\r\nContent-Type: text/plain\r\n\r\nhello from u0";
    EXPECT_TRUE(s.body.size() > inner.size() && s.body.substr(s.body.size() - inner.size()) == inner)
        << s.body;
  }
}

TEST_F(ParticipantMessage, SuccessReportYes_SenderGetsReport200ForItsMessageId) {
  std::string tid =
      sender().send(sender_path(), "message/cpim", kSpoofedCpim, "Success-Report: yes\r\n", "rep42");
  EXPECT_EQ(f.wait_response(sender(), tid), 200);
  ASSERT_TRUE(sender().pump_until([&] { return !sender().reports.empty(); }, 10000));
  EXPECT_EQ(sender().reports[0].message_id, "rep42");
  EXPECT_EQ(sender().reports[0].status, "200");
  expect_sends(3);  // recipients answer, so nothing is left pending at shutdown
}

TEST_F(ParticipantMessage, PlainTextIsWrappedInCpimFromTheSender) {
  std::string tid = sender().send(sender_path(), "text/plain", "plain hello");
  EXPECT_EQ(f.wait_response(sender(), tid), 200);
  expect_sends(3);
  auto got = f.by_participant();
  EXPECT_EQ(got.count(0), 0u);
  for (std::size_t i : {1, 2, 3}) {
    ASSERT_EQ(got[i].size(), 1u) << i;
    cpim_view v = parse(*got[i][0]);
    ASSERT_TRUE(v.parsed) << got[i][0]->body;
    EXPECT_EQ(got[i][0]->content_type, "message/cpim");
    EXPECT_EQ(v.from, "sip:u0@example.com");
    EXPECT_EQ(v.to, f.participants[i].address);
    EXPECT_EQ(v.content_type, "text/plain");
    EXPECT_EQ(v.body, "plain hello");
    EXPECT_TRUE(stamped_now(v.datetime)) << got[i][0]->body;  // RFC 3862 §4.5: when it was sent
  }
}

TEST_F(ParticipantMessage, ThreeChunksOutOfOrder_RecipientsGetTheReassembledBodyOnce) {
  const std::string a(10, 'a'), b(10, 'b'), c(10, 'c');
  std::vector<std::string> tids;
  tids.push_back(sender().send(sender_path(), "text/plain", a, "", "chunked1", "1-10/30", '+'));
  tids.push_back(sender().send(sender_path(), "text/plain", c, "", "chunked1", "21-30/30", '$'));
  tids.push_back(sender().send(sender_path(), "text/plain", b, "", "chunked1", "11-20/30", '+'));
  for (const auto& tid : tids) EXPECT_EQ(f.wait_response(sender(), tid), 200) << tid;
  expect_sends(3);
  auto got = f.by_participant();
  for (std::size_t i : {1, 2, 3}) {
    ASSERT_EQ(got[i].size(), 1u) << i;
    cpim_view v = parse(*got[i][0]);
    ASSERT_TRUE(v.parsed) << got[i][0]->body;
    EXPECT_EQ(v.body, a + b + c);
    EXPECT_TRUE(stamped_now(v.datetime)) << got[i][0]->body;  // wrapped after reassembly, DateTime too
  }
}

TEST_F(ParticipantMessage, AbortedChunkedMessageIsNotDelivered) {
  std::string t1 =
      sender().send(sender_path(), "text/plain", std::string(10, 'x'), "", "aborted1", "1-10/30", '+');
  std::string t2 =
      sender().send(sender_path(), "text/plain", std::string(10, 'y'), "", "aborted1", "11-20/30", '#');
  EXPECT_EQ(f.wait_response(sender(), t1), 200);
  EXPECT_NE(f.wait_response(sender(), t2), 0);
  // A later message on the same session is the barrier: it is the only thing anyone receives.
  std::string t3 = sender().send(sender_path(), "text/plain", "after abort");
  EXPECT_EQ(f.wait_response(sender(), t3), 200);
  expect_sends(3);
  for (const auto& [i, sends] : f.by_participant())
    for (const received_send* s : sends) EXPECT_EQ(parse(*s).body, "after abort") << i;
}

}  // namespace
}  // namespace herald::e2e
