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

  // Allocates size bytes (header and data in one block); contents are uninitialised.
  static shared_buffer allocate(std::size_t size) {
    void* raw = ::operator new(sizeof(block) + size);
    auto* b = new (raw) block{};
    b->size = size;
    return shared_buffer(b);
  }
  static shared_buffer copy_of(std::string_view bytes) {
    shared_buffer buf = allocate(bytes.size());
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

 private:
  struct block {
    std::atomic<std::uint32_t> refs{1};
    std::size_t size = 0;
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
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
