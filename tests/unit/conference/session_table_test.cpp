// session_table: slots and generations, the session-id index, and what a session reads back from its
// frame bytes (session id, address, display name) instead of storing it twice.
#include "herald/conference/session_table.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::conference {
namespace {

constexpr std::string_view kSid = "AbCdEfGhIjKlMnOpQrStUv";

std::string our_path(std::string_view sid) {
  return "msrp://127.0.0.1:2855/" + std::string(sid) + ";tcp";
}

// Fills a slot the way shard_service::bind_session does once the directory granted the binding.
void bind_slot(session_table& t, std::uint32_t slot, std::string_view sid, std::string_view address,
               std::string_view name = {}) {
  session& s = t.at(slot);
  ASSERT_TRUE(s.conference_id.assign("cAAAAAAAAAAAA"));
  ASSERT_TRUE(s.participant_id.assign("pBBBBBBBBBBBB"));
  auto bytes = fanout::recipient_bytes::make("msrp://10.0.0.1:9/peer;tcp", our_path(sid), address, name);
  ASSERT_TRUE(bytes.ok());
  s.frame_bytes = std::move(bytes.value());
  t.index(slot);
}

TEST(SessionTable, BoundSessionReadsItsIdAndAddressBackFromItsFrameBytes) {
  session_table t;
  std::uint32_t slot = t.allocate();
  bind_slot(t, slot, kSid, "sip:alice@example.com", "Alice");
  const session& s = t.at(slot);
  EXPECT_EQ(s.session_id(), kSid);
  EXPECT_EQ(s.address(), "sip:alice@example.com");
  EXPECT_EQ(s.display_name(), "Alice");
  EXPECT_EQ(s.local_path(), our_path(kSid));
  EXPECT_EQ(s.peer_path(), "msrp://10.0.0.1:9/peer;tcp");
  EXPECT_EQ(s.conference_id.view(), "cAAAAAAAAAAAA");
  EXPECT_EQ(s.participant_id.view(), "pBBBBBBBBBBBB");
}

TEST(SessionTable, DisplayNameWithQuotesAndBackslashesIsUnescaped) {
  session_table t;
  std::uint32_t slot = t.allocate();
  bind_slot(t, slot, kSid, "sip:bob@example.com", R"(Bob "The \ Builder")");
  EXPECT_EQ(t.at(slot).display_name(), R"(Bob "The \ Builder")");
}

TEST(SessionTable, SessionWithoutDisplayNameHasAnEmptyOne) {
  session_table t;
  std::uint32_t slot = t.allocate();
  bind_slot(t, slot, kSid, "sip:carol@example.com");
  EXPECT_EQ(t.at(slot).display_name(), "");
  EXPECT_EQ(t.at(slot).address(), "sip:carol@example.com");
}

TEST(SessionTable, IndexedSessionIsFoundByIdUntilReleased) {
  session_table t;
  std::uint32_t slot = t.allocate();
  bind_slot(t, slot, kSid, "sip:a@x");
  EXPECT_EQ(t.find_slot(kSid), slot);
  EXPECT_EQ(t.find_slot("ZZZZZZZZZZZZZZZZZZZZZZ"), session_table::npos);
  std::uint32_t gen = t.at(slot).generation;
  EXPECT_EQ(t.get(slot, gen), &t.at(slot));
  t.release(slot, failure_reason::disconnected);
  EXPECT_EQ(t.find_slot(kSid), session_table::npos);
  EXPECT_EQ(t.get(slot, gen), nullptr);
  EXPECT_EQ(t.why_gone(slot, gen), failure_reason::disconnected);
  EXPECT_EQ(t.live(), 0u);
}

TEST(SessionTable, AllocatedButUnboundSlotIsNotServed) {
  session_table t;
  std::uint32_t slot = t.allocate();
  EXPECT_EQ(t.get(slot, t.at(slot).generation), nullptr);
}

TEST(SessionTable, ReleasingAFailedBindLeavesOtherSessionsIndexed) {
  session_table t;
  std::uint32_t bound = t.allocate();
  bind_slot(t, bound, kSid, "sip:a@x");
  std::uint32_t failed = t.allocate();  // a bind of the same id that the directory refused
  t.release(failed, failure_reason::not_connected);
  EXPECT_EQ(t.find_slot(kSid), bound);
}

TEST(SessionTable, ReusedSlotGetsANewGenerationAndOldTargetsStayStale) {
  session_table t;
  std::uint32_t slot = t.allocate();
  bind_slot(t, slot, kSid, "sip:a@x");
  std::uint32_t old_gen = t.at(slot).generation;
  t.release(slot, failure_reason::slow_consumer);
  ASSERT_EQ(t.allocate(), slot);
  bind_slot(t, slot, "NewSessionIdNewSession", "sip:b@x");
  EXPECT_NE(t.at(slot).generation, old_gen);
  EXPECT_EQ(t.get(slot, old_gen), nullptr);
  EXPECT_EQ(t.find_slot(kSid), session_table::npos);
  EXPECT_EQ(t.find_slot("NewSessionIdNewSession"), slot);
}

TEST(SessionTable, TargetOfAReusedSlotKeepsTheReasonItsSessionEnded) {
  // Membership churn: a joiner's bind reuses a removed participant's slot before that participant's
  // pending deliveries are settled; they must still fail as participant_removed.
  session_table t;
  std::uint32_t slot = t.allocate();
  bind_slot(t, slot, kSid, "sip:a@x");
  std::uint32_t removed_gen = t.at(slot).generation;
  t.release(slot, failure_reason::participant_removed);
  ASSERT_EQ(t.allocate(), slot);
  bind_slot(t, slot, "NewSessionIdNewSession", "sip:b@x");
  EXPECT_EQ(t.why_gone(slot, removed_gen), failure_reason::participant_removed);
  std::uint32_t second_gen = t.at(slot).generation;
  t.release(slot, failure_reason::slow_consumer);
  EXPECT_EQ(t.why_gone(slot, second_gen), failure_reason::slow_consumer);
  EXPECT_EQ(t.why_gone(slot, removed_gen), failure_reason::disconnected);  // older: reason no longer kept
}

TEST(SessionTable, ManySessionsAreEachFoundByTheirId) {
  session_table t;
  std::vector<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    std::string id = "sess" + std::to_string(100000 + i) + "xxxxxxxxxxxx";
    std::uint32_t slot = t.allocate();
    bind_slot(t, slot, id, "sip:u" + std::to_string(i) + "@x");
    ids.push_back(id);
  }
  for (int i = 0; i < 2000; i += 3) t.release(std::uint32_t(i), failure_reason::disconnected);
  for (int i = 0; i < 2000; ++i)
    EXPECT_EQ(t.find_slot(ids[i]), i % 3 == 0 ? session_table::npos : std::uint32_t(i)) << i;
}

TEST(InlineId, RefusesIdsLongerThanItsCapacity) {
  inline_id id;
  EXPECT_TRUE(id.assign("c123456789012"));
  EXPECT_EQ(id.view(), "c123456789012");
  EXPECT_FALSE(id.assign(std::string(inline_id::capacity + 1, 'x')));
  EXPECT_EQ(id.view(), "");
  EXPECT_TRUE(id.assign(std::string(inline_id::capacity, 'y')));
  EXPECT_EQ(id.view().size(), inline_id::capacity);
}

}  // namespace
}  // namespace herald::conference
