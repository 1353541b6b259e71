// A hash index of slot numbers whose keys live in the caller's own storage (open addressing, linear probing).
//
// Why not std::unordered_map<std::string, ...>: per key it costs a ~48..112-byte node, a bucket pointer and
// often a second copy of the key string. Here an entry is 8 bytes (slot + 32-bit hash) in a table at most
// 7/8 full, so ~9..18 bytes a key; the stored hash lets growth and deletion run without touching the keys
// and makes a probe dereference the caller's storage only on a full 32-bit hash match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace herald::conference {

class slot_index {
 public:
  static constexpr std::uint32_t npos = UINT32_MAX;  // never a stored slot

  static std::uint32_t hash(std::string_view key) {
    return static_cast<std::uint32_t>(std::hash<std::string_view>{}(key));
  }

  // The stored slot under h for which matches(slot) holds (the caller compares its key), or npos.
  template <class Matches>
  std::uint32_t find(std::uint32_t h, Matches&& matches) const {
    if (size_ == 0) return npos;
    const std::size_t mask = table_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const entry& e = table_[i];
      if (e.slot == npos) return npos;
      if (e.hash == h && matches(e.slot)) return e.slot;
    }
  }

  // Adds slot under h; the caller has made sure its key is not present.
  void insert(std::uint32_t h, std::uint32_t slot) {
    if ((size_ + 1) * 8 > table_.size() * 7) grow(size_ + 1);
    const std::size_t mask = table_.size() - 1;
    std::size_t i = h & mask;
    while (table_[i].slot != npos) i = (i + 1) & mask;
    table_[i] = entry{h, slot};
    ++size_;
  }

  // Removes slot stored under h; false if it is not there. Backward-shift deletion: no tombstones, so
  // probe lengths do not degrade under churn.
  bool erase(std::uint32_t h, std::uint32_t slot) {
    if (size_ == 0) return false;
    const std::size_t mask = table_.size() - 1;
    std::size_t hole = h & mask;
    for (;; hole = (hole + 1) & mask) {
      if (table_[hole].slot == npos) return false;
      if (table_[hole].slot == slot && table_[hole].hash == h) break;
    }
    for (std::size_t j = (hole + 1) & mask; table_[j].slot != npos; j = (j + 1) & mask) {
      // The entry at j may fill the hole if the hole lies on its probe path: home .. j.
      const std::size_t home = table_[j].hash & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        table_[hole] = table_[j];
        hole = j;
      }
    }
    table_[hole] = entry{};
    --size_;
    return true;
  }

  // Makes room for n keys in all without growing again.
  void reserve(std::size_t n) {
    if (n * 8 > table_.size() * 7) grow(n);
  }
  void clear() {
    table_ = {};
    size_ = 0;
  }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return table_.size(); }  // entries, a power of two (or 0)

 private:
  struct entry {
    std::uint32_t hash = 0;
    std::uint32_t slot = npos;
  };

  void grow(std::size_t keys) {
    std::size_t cap = table_.empty() ? 8 : table_.size();
    while (keys * 8 > cap * 7) cap *= 2;
    std::vector<entry> old(cap);
    old.swap(table_);
    const std::size_t mask = cap - 1;
    for (const entry& e : old) {
      if (e.slot == npos) continue;
      std::size_t i = e.hash & mask;
      while (table_[i].slot != npos) i = (i + 1) & mask;
      table_[i] = e;
    }
  }

  std::vector<entry> table_;
  std::size_t size_ = 0;
};

}  // namespace herald::conference
