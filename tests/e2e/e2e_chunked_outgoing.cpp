// Outgoing chunking (RFC 4975 §5.1): with --max-chunk 256 a large system message reaches each recipient
// as contiguous chunks ('+' ... '$') that reassemble to exactly one CPIM message.
#include <gtest/gtest.h>

#include <cstdio>

#include "conference_fixture.hpp"
#include "herald/cpim/parser.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

TEST(ChunkedOutgoing, LargeSystemMessage_ArrivesInContiguousChunksThatReassembleExactly) {
  conference_fixture f;
  ASSERT_TRUE(f.start({"--shards", "2", "--max-chunk", "256"})) << f.daemon.log();
  ASSERT_TRUE(f.create(3));
  ASSERT_TRUE(f.connect_all(2));
  std::string body;
  for (int i = 0; body.size() < 2000; ++i) body += static_cast<char>('a' + i % 26);
  http_reply r = f.post_message(R"({"content_type":"text/plain","body":")" + body + R"("})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string status = f.wait_complete(json_field(r.body, "id"));
  EXPECT_EQ(json_int(status, "delivered"), 3) << status;
  auto got = f.by_participant();
  ASSERT_EQ(got.count(SIZE_MAX), 0u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& chunks = got[i];
    ASSERT_GT(chunks.size(), 7u) << "2000 bytes in 256-byte chunks";
    std::string whole;
    unsigned long long total = 0;
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      const received_send& s = *chunks[c];
      EXPECT_EQ(s.message_id, chunks[0]->message_id);
      EXPECT_LE(s.body.size(), 256u);
      unsigned long long start = 0, end = 0, t = 0;
      ASSERT_EQ(std::sscanf(s.byte_range.c_str(), "%llu-%llu/%llu", &start, &end, &t), 3) << s.byte_range;
      EXPECT_EQ(start, whole.size() + 1) << "chunk " << c << " not contiguous";
      EXPECT_EQ(end, whole.size() + s.body.size());
      if (c == 0) total = t;
      EXPECT_EQ(t, total);
      EXPECT_EQ(s.flag, c + 1 == chunks.size() ? '$' : '+') << "chunk " << c;
      whole += s.body;
    }
    EXPECT_EQ(whole.size(), total);
    cpim::message m;
    ASSERT_EQ(cpim::parse_final(whole, m), cpim::parse_error::ok) << whole;
    EXPECT_EQ(std::string(m.body), body);
    EXPECT_EQ(std::string(m.find(cpim::header_kind::to)->addr.uri), f.participants[i].address);
  }
  EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log();
}

}  // namespace
}  // namespace herald::e2e
