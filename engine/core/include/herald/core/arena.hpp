// A bump arena: per-shard scratch space for stamped headers, reset once the frames using it are sent.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace herald {

class arena {
 public:
  explicit arena(std::size_t chunk_bytes = 64 * 1024) : chunk_bytes_(chunk_bytes) {}
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;

  // Returns n bytes aligned to `align`; grows by whole chunks, so a steady state allocates nothing.
  char* allocate(std::size_t n, std::size_t align = alignof(std::max_align_t));
  // Unaligned bytes, bumped inline from the current chunk (one allocation per stamped frame).
  std::span<char> allocate_span(std::size_t n) {
    if (n <= chunk_bytes_ / 2 && current_ < chunks_.size() && n <= chunks_[current_].size - offset_) {
      char* p = chunks_[current_].bytes.get() + offset_;
      offset_ += n;
      return {p, n};
    }
    return {allocate(n, 1), n};
  }

  // Gives back the last allocation's unused tail (stamp into a worst-case span, then shrink).
  void shrink_last(char* last, std::size_t used) {
    if (current_ >= chunks_.size()) return;
    char* base = chunks_[current_].bytes.get();
    if (last >= base && last < base + offset_) offset_ = static_cast<std::size_t>(last - base) + used;
  }

  // Forgets every allocation but keeps the chunks for reuse.
  void reset();

  std::size_t bytes_reserved() const { return chunks_.size() * chunk_bytes_ + large_bytes_; }

 private:
  struct chunk {
    std::unique_ptr<char[]> bytes;
    std::size_t size;
  };
  std::size_t chunk_bytes_;
  std::vector<chunk> chunks_;
  std::vector<std::unique_ptr<char[]>> large_;
  std::size_t large_bytes_ = 0;
  std::size_t current_ = 0;
  std::size_t offset_ = 0;
};

}  // namespace herald
