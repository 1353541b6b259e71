// Timer heap: cancelled timers stay in the heap and are skipped when they reach the top.
#include "herald/reactor/timers.hpp"

#include <algorithm>
#include <limits>

namespace herald::reactor {

timer_id timer_heap::add(std::uint64_t deadline_ns, task callback) {
  std::uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
  } else {
    idx = std::uint32_t(slots_.size());
    slots_.emplace_back();
  }
  slot& s = slots_[idx];
  s.callback = std::move(callback);
  s.live = true;
  heap_.push_back(entry{deadline_ns, seq_++, idx, s.generation});
  std::push_heap(heap_.begin(), heap_.end(), later);
  ++live_;
  return (timer_id(s.generation) << 32) | idx;
}

bool timer_heap::cancel(timer_id id) {
  const auto idx = std::uint32_t(id & 0xffffffffu);
  const auto gen = std::uint32_t(id >> 32);
  if (idx >= slots_.size()) return false;
  slot& s = slots_[idx];
  if (!s.live || s.generation != gen) return false;
  s.live = false;
  s.callback.reset();
  ++s.generation;
  free_.push_back(idx);
  --live_;
  return true;
}

void timer_heap::drop_dead_top() {
  while (!heap_.empty()) {
    const entry& top = heap_.front();
    const slot& s = slots_[top.slot];
    if (s.live && s.generation == top.generation) return;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

std::uint64_t timer_heap::next_deadline() {
  drop_dead_top();
  return heap_.empty() ? std::numeric_limits<std::uint64_t>::max() : heap_.front().deadline;
}

std::size_t timer_heap::run_expired(std::uint64_t now_ns) {
  std::size_t fired = 0;
  for (;;) {
    drop_dead_top();
    if (heap_.empty() || heap_.front().deadline > now_ns) break;
    const entry top = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
    slot& s = slots_[top.slot];
    // Moved out first: the callback may add or cancel timers, which can reallocate slots_.
    task cb = std::move(s.callback);
    s.live = false;
    ++s.generation;
    free_.push_back(top.slot);
    --live_;
    ++fired;
    if (cb) cb();
  }
  return fired;
}

}  // namespace herald::reactor
