// reassembler: chunked messages put back together by Message-ID and Byte-Range in any order, aborted by
// '#', bounded per message and per connection, expired, dropped with their session.
#include "herald/conference/reassembly.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::conference {
namespace {

constexpr std::size_t kLimit = 1 << 20;

// A chunk of message `id`: bytes [start, start + data.size()) of total (0: '*').
msrp::message chunk(std::string_view id, std::uint64_t start, std::string_view data, std::uint64_t total,
                    msrp::continuation flag = msrp::continuation::more) {
  msrp::message m;
  m.message_id = id;
  m.content_type = "text/plain";
  m.body = data;
  m.has_body = true;
  m.flag = flag;
  msrp::byte_range r;
  r.start = start;
  r.end = start + data.size() - 1;
  r.total = total;
  r.total_unknown = total == 0;
  m.byte_range = r;
  return m;
}

// The reassembler of one connection, chunks added for session slot 1 (generation 1) unless said otherwise.
struct Reassembly : ::testing::Test {
  reassembler r;
  incoming_message done;
  chunk_outcome add(const msrp::message& c, std::uint64_t deadline = 100, std::size_t bytes_limit = kLimit,
                    std::size_t memory_limit = kLimit, std::uint32_t slot = 1, std::uint32_t generation = 1) {
    return r.add(slot, generation, c, deadline, bytes_limit, memory_limit, done);
  }
};

TEST_F(Reassembly, ChunksInAnyOrderMakeTheWholeMessage) {
  EXPECT_EQ(add(chunk("m1", 7, "world", 11)), chunk_outcome::in_progress);
  EXPECT_EQ(add(chunk("m1", 1, "hello ", 11)), chunk_outcome::complete);
  EXPECT_EQ(done.data, "hello world");
  EXPECT_EQ(done.message_id, "m1");
  EXPECT_EQ(done.content_type, "text/plain");
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST_F(Reassembly, UnknownTotalEndsAtTheLastChunk) {
  EXPECT_EQ(add(chunk("m1", 1, "abc", 0)), chunk_outcome::in_progress);
  EXPECT_EQ(add(chunk("m1", 4, "de", 0, msrp::continuation::complete)), chunk_outcome::complete);
  EXPECT_EQ(done.data, "abcde");
}

TEST_F(Reassembly, MessagesOfDifferentSessionsOrIdsStayApart) {
  EXPECT_EQ(add(chunk("m1", 1, "aa", 4)), chunk_outcome::in_progress);
  EXPECT_EQ(add(chunk("m1", 1, "bb", 4), 100, kLimit, kLimit, 2, 1), chunk_outcome::in_progress);
  EXPECT_EQ(add(chunk("m1", 1, "cc", 4), 100, kLimit, kLimit, 1, 2), chunk_outcome::in_progress);
  EXPECT_EQ(add(chunk("m2", 1, "dd", 4)), chunk_outcome::in_progress);
  EXPECT_EQ(r.in_progress(), 4u);
  EXPECT_EQ(add(chunk("m1", 3, "BB", 4), 100, kLimit, kLimit, 2, 1), chunk_outcome::complete);
  EXPECT_EQ(done.data, "bbBB");
  r.drop_session(1);
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST_F(Reassembly, AbortDropsTheMessage) {
  ASSERT_EQ(add(chunk("m1", 1, "ab", 4)), chunk_outcome::in_progress);
  EXPECT_EQ(add(chunk("m1", 3, "", 4, msrp::continuation::abort)), chunk_outcome::aborted);
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST_F(Reassembly, LimitsAndBadRangesAreRefused) {
  // One message over its byte limit, by its total or by a chunk's end.
  EXPECT_EQ(add(chunk("big", 1, "ab", 100), 100, 10), chunk_outcome::too_large);
  EXPECT_EQ(add(chunk("big", 9, "abcd", 0), 100, 10), chunk_outcome::too_large);
  // A range whose end does not match its data, or past its total.
  msrp::message wrong_end = chunk("m1", 1, "abc", 10);
  wrong_end.byte_range->end = 5;
  EXPECT_EQ(add(wrong_end), chunk_outcome::bad_range);
  EXPECT_EQ(add(chunk("m1", 9, "abc", 10)), chunk_outcome::bad_range);
  // A total that changes between chunks.
  ASSERT_EQ(add(chunk("m2", 1, "ab", 6)), chunk_outcome::in_progress);
  EXPECT_EQ(add(chunk("m2", 3, "cd", 8)), chunk_outcome::bad_range);
  // Every message in progress on the connection counts against its memory limit.
  EXPECT_EQ(add(chunk("m3", 1, "ab", 64), 100, kLimit, 32), chunk_outcome::too_large);
}

TEST_F(Reassembly, ExpiredMessagesAreDropped) {
  ASSERT_EQ(add(chunk("early", 1, "ab", 4)), chunk_outcome::in_progress);
  ASSERT_EQ(add(chunk("late", 1, "ab", 4), 300), chunk_outcome::in_progress);
  EXPECT_EQ(r.bytes(), 4u);  // what has arrived, not the totals announced
  EXPECT_EQ(r.expire(99), 0u);
  EXPECT_EQ(r.expire(100), 1u);
  EXPECT_EQ(r.in_progress(), 1u);
  EXPECT_EQ(r.expire(1000), 1u);
  EXPECT_EQ(r.bytes(), 0u);
}

}  // namespace
}  // namespace herald::conference
