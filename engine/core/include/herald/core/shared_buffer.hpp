// A reference-counted immutable byte buffer: one fan-out body shared by every shard and recipient.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace herald {

class shared_buffer {
 public:
  shared_buffer() = default;

  // Allocates size bytes (header and data in one block); contents are uninitialised. headroom bytes are
  // reserved, invisible, in front of the data for a later prepend().
  static shared_buffer allocate(std::size_t size, std::size_t headroom = 0) {
    void* raw = ::operator new(sizeof(block) + headroom + size);
    auto* b = new (raw) block{};
    b->size = size;
    b->front = headroom;
    return shared_buffer(b);
  }
  static shared_buffer copy_of(std::string_view bytes, std::size_t headroom = 0) {
    shared_buffer buf = allocate(bytes.size(), headroom);
    if (!bytes.empty()) std::memcpy(buf.mutable_data(), bytes.data(), bytes.size());
    return buf;
  }

  shared_buffer(const shared_buffer& other) noexcept : block_(other.block_) { retain(); }
  shared_buffer(shared_buffer&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  shared_buffer& operator=(const shared_buffer& other) noexcept {
    if (this != &other) {
      release();
      block_ = other.block_;
      retain();
    }
    return *this;
  }
  shared_buffer& operator=(shared_buffer&& other) noexcept {
    if (this != &other) {
      release();
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }
  ~shared_buffer() { release(); }

  const char* data() const { return block_ ? block_->bytes() : nullptr; }
  // Only meaningful before the buffer is shared: the body is filled once, then read-only.
  char* mutable_data() { return block_ ? block_->bytes() : nullptr; }
  std::size_t size() const { return block_ ? block_->size : 0; }
  std::string_view view() const { return {data(), size()}; }
  bool empty() const { return size() == 0; }
  explicit operator bool() const { return block_ != nullptr; }
  std::uint32_t use_count() const { return block_ ? block_->refs.load(std::memory_order_relaxed) : 0; }
  std::size_t headroom() const { return block_ ? block_->front : 0; }

  // Writes bytes into the headroom just before the data and makes them part of it, so a constant
  // prefix built per message (the CPIM tail of a fan-out) joins the body without copying the body.
  // Refused (false) when the buffer is shared, since its holders see an immutable view, or when the
  // headroom is too small. Views taken earlier stay valid: no byte moves.
  bool prepend(std::string_view bytes) {
    if (!block_ || use_count() != 1 || bytes.size() > block_->front) return false;
    block_->front -= bytes.size();
    block_->size += bytes.size();
    if (!bytes.empty()) std::memcpy(block_->bytes(), bytes.data(), bytes.size());
    return true;
  }

 private:
  struct block {
    std::atomic<std::uint32_t> refs{1};
    std::size_t size = 0;
    std::size_t front = 0;  // unused headroom before the data
    char* bytes() { return reinterpret_cast<char*>(this + 1) + front; }
  };
  explicit shared_buffer(block* b) : block_(b) {}

  void retain() {
    if (block_) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() {
    if (block_ && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      block_->~block();
      ::operator delete(block_);
    }
    block_ = nullptr;
  }

  block* block_ = nullptr;
};

}  // namespace herald
