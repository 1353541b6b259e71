// Delivery transaction ids: every field round-trips, the random tail differs, foreign tids are refused.
#include "herald/conference/transaction_id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "herald/msrp/types.hpp"

namespace herald::conference {
namespace {

TEST(TransactionId, EncodeDecodeRoundTripsAtTheEdges) {
  fast_rng rng(7);
  for (std::uint32_t outbound : {0u, 1u, max_outbound_slots - 1}) {
    for (std::uint32_t target : {0u, 61u, 62u, max_targets_per_outbound - 1}) {
      for (std::uint32_t generation : {0u, 61u, 62u, 1000u}) {
        for (bool last : {false, true}) {
          char tid[delivery_tid_chars];
          encode_delivery_tid(delivery_key{outbound, generation, target, last}, rng, tid);
          const std::string_view text(tid, sizeof tid);
          EXPECT_TRUE(msrp::is_valid_ident(text)) << text;
          auto key = decode_delivery_tid(text);
          ASSERT_TRUE(key) << text;
          EXPECT_EQ(key->outbound, outbound);
          EXPECT_EQ(key->generation, generation % 62);
          EXPECT_EQ(key->target, target);
          EXPECT_EQ(key->last_chunk, last);
        }
      }
    }
  }
}

TEST(TransactionId, TheRandomTailMakesEachTidDifferent) {
  fast_rng rng(1);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    char tid[delivery_tid_chars];
    encode_delivery_tid(delivery_key{5, 3, 9, true}, rng, tid);
    seen.emplace(tid, sizeof tid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TransactionId, ForeignTidsAreNotDeliveries) {
  for (std::string_view foreign : {"", "abcd", "bpeer12", "000100000L7gDhu", "000100000L7gDhuxy",
                                   "000100000X7gDhux", "00-100000L7gDhux", "0001000%0L7gDhux"})
    EXPECT_FALSE(decode_delivery_tid(foreign)) << foreign;
  EXPECT_TRUE(decode_delivery_tid("000100000L7gDhux"));
}

}  // namespace
}  // namespace herald::conference
