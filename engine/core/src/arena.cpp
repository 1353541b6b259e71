// Bump arena implementation: chunks are kept across resets so steady-state stamping never allocates.
#include "herald/core/arena.hpp"

#include <cstdint>

namespace herald {

char* arena::allocate(std::size_t n, std::size_t align) {
  if (n > chunk_bytes_ / 2) {
    // Oversized requests get their own block; keeping them out of chunks avoids wasting tails.
    large_.emplace_back(new char[n]);
    large_bytes_ += n;
    return large_.back().get();
  }
  while (true) {
    if (current_ < chunks_.size()) {
      chunk& c = chunks_[current_];
      auto base = reinterpret_cast<std::uintptr_t>(c.bytes.get());
      std::size_t aligned = ((base + offset_ + align - 1) & ~(std::uintptr_t(align) - 1)) - base;
      if (aligned + n <= c.size) {
        offset_ = aligned + n;
        return c.bytes.get() + aligned;
      }
      ++current_;
      offset_ = 0;
      continue;
    }
    chunks_.push_back(chunk{std::unique_ptr<char[]>(new char[chunk_bytes_]), chunk_bytes_});
    current_ = chunks_.size() - 1;
    offset_ = 0;
  }
}

void arena::reset() {
  current_ = 0;
  offset_ = 0;
  large_.clear();
  large_bytes_ = 0;
}

}  // namespace herald
