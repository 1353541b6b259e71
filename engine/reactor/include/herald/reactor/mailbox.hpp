// Cross-shard mailbox: an intrusive MPSC queue (Vyukov) plus an eventfd that wakes the owning shard's ring.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "herald/reactor/task.hpp"

namespace herald::reactor {

class mailbox {
 public:
  mailbox();
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;
  ~mailbox();  // destroys tasks never run

  bool valid() const { return efd_ >= 0; }
  int eventfd() const { return efd_; }

  // Any thread. Writes the eventfd only on the empty -> non-empty edge, so a burst costs one wakeup.
  void post(task t);
  // Any thread: forces a wakeup without a task (stop requests).
  void wake();
  // Owner thread only: runs queued tasks until empty; returns how many ran.
  std::size_t drain();
  bool maybe_pending() const { return pending_.load(std::memory_order_acquire) != 0; }

 private:
  struct node {
    std::atomic<node*> next{nullptr};
    task fn;
  };
  void push(node* n);
  node* pop();

  std::atomic<node*> head_;
  node* tail_;
  node stub_;
  std::atomic<std::uint32_t> pending_{0};
  int efd_ = -1;
};

}  // namespace herald::reactor
