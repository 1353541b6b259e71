// Header bytes stamped per frame: a per-connection FIFO of chunks drawn from a per-shard pool.
//
// Frames on one connection complete in order, so header space is released in order too: each frame
// records the logical end offset of the header bytes allocated before it was queued, and completing it
// frees every chunk wholly below that offset. Chunks return to the shard's pool, so a warmed-up shard
// stamps headers without touching the heap.
#pragma once

#include <cstddef>
#include <cstdint>

namespace herald::reactor {

class header_pool {
 public:
  struct chunk {
    chunk* next = nullptr;
    std::uint64_t base = 0;  // logical offset of bytes()[0] in its connection's header stream
    std::size_t used = 0;
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
  };

  explicit header_pool(std::size_t chunk_bytes = 16 * 1024) : chunk_bytes_(chunk_bytes) {}
  header_pool(const header_pool&) = delete;
  header_pool& operator=(const header_pool&) = delete;
  ~header_pool();

  chunk* get();
  void put(chunk* c);
  std::size_t chunk_bytes() const { return chunk_bytes_; }
  std::size_t chunks_allocated() const { return allocated_; }
  std::size_t chunks_free() const { return free_count_; }

 private:
  std::size_t chunk_bytes_;
  chunk* free_ = nullptr;
  std::size_t allocated_ = 0;
  std::size_t free_count_ = 0;
};

class header_fifo {
 public:
  // n bytes valid until release_to() passes them; nullptr if n exceeds one chunk.
  char* allocate(header_pool& pool, std::size_t n);
  // Logical end of everything allocated so far; a frame queued now owns header bytes up to here.
  std::uint64_t end() const { return end_; }
  // Frees chunks lying wholly below pos (the completed frame's end()).
  void release_to(header_pool& pool, std::uint64_t pos);
  void clear(header_pool& pool);
  bool empty() const { return head_ == nullptr; }

 private:
  header_pool::chunk* head_ = nullptr;
  header_pool::chunk* tail_ = nullptr;
  std::uint64_t end_ = 0;
};

}  // namespace herald::reactor
