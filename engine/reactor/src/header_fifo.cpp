// Header chunk pool and the per-connection FIFO that releases chunks as frames complete.
#include "herald/reactor/header_fifo.hpp"

#include <new>

namespace herald::reactor {

header_pool::~header_pool() {
  while (free_) {
    chunk* c = free_;
    free_ = c->next;
    c->~chunk();
    ::operator delete(c);
  }
}

header_pool::chunk* header_pool::get() {
  if (free_) {
    chunk* c = free_;
    free_ = c->next;
    --free_count_;
    c->next = nullptr;
    c->used = 0;
    return c;
  }
  ++allocated_;
  return new (::operator new(sizeof(chunk) + chunk_bytes_)) chunk{};
}

void header_pool::put(chunk* c) {
  c->next = free_;
  free_ = c;
  ++free_count_;
}

char* header_fifo::allocate(header_pool& pool, std::size_t n) {
  const std::size_t cap = pool.chunk_bytes();
  if (n > cap) return nullptr;
  if (!tail_ || tail_->used + n > cap) {
    header_pool::chunk* c = pool.get();
    // The unused tail of the previous chunk is skipped in logical space so offsets stay monotonic.
    c->base = tail_ ? tail_->base + cap : end_;
    if (tail_)
      tail_->next = c;
    else
      head_ = c;
    tail_ = c;
  }
  char* p = tail_->bytes() + tail_->used;
  tail_->used += n;
  end_ = tail_->base + tail_->used;
  return p;
}

void header_fifo::release_to(header_pool& pool, std::uint64_t pos) {
  const std::size_t cap = pool.chunk_bytes();
  while (head_ && head_ != tail_ && head_->base + cap <= pos) {
    header_pool::chunk* c = head_;
    head_ = c->next;
    pool.put(c);
  }
  // Everything handed out is released: give the last chunk back so idle connections hold no memory.
  if (head_ && head_ == tail_ && pos >= end_) {
    pool.put(head_);
    head_ = tail_ = nullptr;
  }
}

void header_fifo::clear(header_pool& pool) {
  while (head_) {
    header_pool::chunk* c = head_;
    head_ = c->next;
    pool.put(c);
  }
  tail_ = nullptr;
}

}  // namespace herald::reactor
