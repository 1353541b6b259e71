// slot_index: the open-addressing index of slots keyed in the caller's storage (directory, session table).
#include "herald/conference/slot_index.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::conference {
namespace {

// Keys live outside the index, as in the directory: slot i's key is keys[i].
struct Keys {
  std::vector<std::string> keys;
  slot_index index;
  std::uint32_t add(std::string key, std::uint32_t h) {
    keys.push_back(std::move(key));
    auto slot = static_cast<std::uint32_t>(keys.size() - 1);
    index.insert(h, slot);
    return slot;
  }
  std::uint32_t add(std::string key) { return add(key, slot_index::hash(key)); }
  std::uint32_t find(const std::string& key, std::uint32_t h) const {
    return index.find(h, [&](std::uint32_t s) { return keys[s] == key; });
  }
  std::uint32_t find(const std::string& key) const { return find(key, slot_index::hash(key)); }
};

TEST(SlotIndex, EmptyIndexFindsNothing) {
  Keys k;
  EXPECT_EQ(k.find("a"), slot_index::npos);
  EXPECT_FALSE(k.index.erase(slot_index::hash("a"), 0));
}

TEST(SlotIndex, FindsEveryKeyAcrossGrowth) {
  Keys k;
  for (int i = 0; i < 5000; ++i) k.add("sip:u" + std::to_string(i) + "@example.com");
  EXPECT_EQ(k.index.size(), 5000u);
  EXPECT_LE(k.index.size() * 8, k.index.capacity() * 7);  // at most 7/8 full
  for (int i = 0; i < 5000; ++i)
    EXPECT_EQ(k.find("sip:u" + std::to_string(i) + "@example.com"), std::uint32_t(i));
  EXPECT_EQ(k.find("sip:u5000@example.com"), slot_index::npos);
}

TEST(SlotIndex, EqualHashesAreToldApartByTheCallersKey) {
  Keys k;
  k.add("a", 7);
  k.add("b", 7);
  k.add("c", 7);
  EXPECT_EQ(k.find("b", 7), 1u);
  EXPECT_EQ(k.find("c", 7), 2u);
  EXPECT_EQ(k.find("d", 7), slot_index::npos);
}

TEST(SlotIndex, EraseKeepsLaterEntriesOfTheSameProbeRunFindable) {
  // Colliding hashes form one run that wraps past the end of the 8-entry table.
  Keys k;
  for (int i = 0; i < 6; ++i) k.add("k" + std::to_string(i), 6);
  ASSERT_EQ(k.index.capacity(), 8u);
  ASSERT_TRUE(k.index.erase(6, 1));
  EXPECT_EQ(k.find("k1", 6), slot_index::npos);
  for (int i : {0, 2, 3, 4, 5}) EXPECT_EQ(k.find("k" + std::to_string(i), 6), std::uint32_t(i)) << i;
  ASSERT_TRUE(k.index.erase(6, 0));
  for (int i : {2, 3, 4, 5}) EXPECT_EQ(k.find("k" + std::to_string(i), 6), std::uint32_t(i)) << i;
  EXPECT_EQ(k.index.size(), 4u);
}

TEST(SlotIndex, EraseDoesNotMoveAnEntryBeforeItsHome) {
  // Slot 0 lives at its home 6, slot 1 at 7, slot 2 (home 7) wraps to 0, slot 3 (home 0) is pushed to 1.
  Keys k;
  k.add("a", 6);
  k.add("b", 7);
  k.add("c", 7);
  k.add("d", 0);
  ASSERT_EQ(k.index.capacity(), 8u);
  ASSERT_TRUE(k.index.erase(7, 1));
  EXPECT_EQ(k.find("a", 6), 0u);
  EXPECT_EQ(k.find("c", 7), 2u);
  EXPECT_EQ(k.find("d", 0), 3u);
  ASSERT_TRUE(k.index.erase(6, 0));
  EXPECT_EQ(k.find("c", 7), 2u);
  EXPECT_EQ(k.find("d", 0), 3u);
}

TEST(SlotIndex, EraseOfAnAbsentSlotChangesNothing) {
  Keys k;
  k.add("a", 3);
  EXPECT_FALSE(k.index.erase(3, 9));
  EXPECT_FALSE(k.index.erase(4, 0));
  EXPECT_EQ(k.find("a", 3), 0u);
  EXPECT_EQ(k.index.size(), 1u);
}

TEST(SlotIndex, ChurnLeavesExactlyTheLiveKeys) {
  Keys k;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 200; ++i) k.add("r" + std::to_string(round) + "-" + std::to_string(i));
    // Drop every other key of this round.
    for (int i = 0; i < 200; i += 2) {
      auto slot = static_cast<std::uint32_t>(round * 200 + i);
      ASSERT_TRUE(k.index.erase(slot_index::hash(k.keys[slot]), slot));
    }
  }
  EXPECT_EQ(k.index.size(), 20u * 100u);
  for (std::uint32_t s = 0; s < k.keys.size(); ++s)
    EXPECT_EQ(k.find(k.keys[s]), s % 2 ? s : slot_index::npos) << k.keys[s];
}

TEST(SlotIndex, ReserveMakesRoomWithoutLosingEntries) {
  Keys k;
  k.add("a");
  k.index.reserve(1000);
  EXPECT_GE(k.index.capacity() * 7, 1000u * 8);
  const std::size_t cap = k.index.capacity();
  for (int i = 1; i < 1000; ++i) k.add("x" + std::to_string(i));
  EXPECT_EQ(k.index.capacity(), cap);
  EXPECT_EQ(k.find("a"), 0u);
}

}  // namespace
}  // namespace herald::conference
