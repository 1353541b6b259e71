// Vyukov's intrusive MPSC queue: producers swap the head; the single consumer walks from the tail.
#include "herald/reactor/mailbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

namespace herald::reactor {

mailbox::mailbox() : head_(&stub_), tail_(&stub_) {
  efd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

mailbox::~mailbox() {
  while (node* n = pop()) delete n;
  if (efd_ >= 0) ::close(efd_);
}

void mailbox::push(node* n) {
  n->next.store(nullptr, std::memory_order_relaxed);
  node* prev = head_.exchange(n, std::memory_order_acq_rel);
  prev->next.store(n, std::memory_order_release);
}

mailbox::node* mailbox::pop() {
  node* tail = tail_;
  node* next = tail->next.load(std::memory_order_acquire);
  if (tail == &stub_) {
    if (!next) return nullptr;
    tail_ = next;
    tail = next;
    next = next->next.load(std::memory_order_acquire);
  }
  if (next) {
    tail_ = next;
    return tail;
  }
  // A producer may be between its exchange and its link; its pending_ bump (after the link) re-wakes us.
  if (tail != head_.load(std::memory_order_acquire)) return nullptr;
  push(&stub_);
  next = tail->next.load(std::memory_order_acquire);
  if (next) {
    tail_ = next;
    return tail;
  }
  return nullptr;
}

void mailbox::post(task t) {
  auto* n = new node;
  n->fn = std::move(t);
  push(n);
  if (pending_.fetch_add(1, std::memory_order_acq_rel) == 0) wake();
}

void mailbox::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(efd_, &one, sizeof one);
}

std::size_t mailbox::drain() {
  pending_.exchange(0, std::memory_order_acq_rel);
  std::size_t ran = 0;
  while (node* n = pop()) {
    if (n->fn) n->fn();
    delete n;
    ++ran;
  }
  return ran;
}

}  // namespace herald::reactor
