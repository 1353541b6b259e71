// Lays out the shared region in one anonymous shared mapping.
#include "shared.hpp"

#include <sys/mman.h>

#include <new>

namespace herald::load {

namespace {
std::size_t round_up(std::size_t n) {
  return (n + 63) & ~std::size_t{63};
}
}  // namespace

bool shared_region::create(std::size_t worker_count, std::uint64_t message_count,
                           std::uint64_t participant_capacity, std::uint64_t failure_capacity) {
  procs = worker_count;
  messages = message_count;
  members_count = participant_capacity;
  max_failures = failure_capacity;
  const bool churn = participant_capacity > 0;
  std::size_t off_workers = round_up(sizeof(control_block));
  std::size_t off_sends = off_workers + round_up(sizeof(worker_block) * procs);
  std::size_t off_results = off_sends + round_up(sizeof(std::atomic<send_state>) * messages);
  std::size_t off_members = off_results + round_up(sizeof(message_result) * procs * messages);
  std::size_t off_meta = off_members + round_up(sizeof(member_slot) * members_count);
  std::size_t off_failures = off_meta + round_up(churn ? sizeof(message_meta) * messages : 0);
  std::size_t total = off_failures + sizeof(failure_entry) * max_failures;
  void* p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  char* base = static_cast<char*>(p);
  // Zeroed pages are the initial state of everything except the constructed atomics' non-zero defaults.
  control = new (base) control_block;
  workers = reinterpret_cast<worker_block*>(base + off_workers);
  for (std::size_t w = 0; w < procs; ++w) new (&workers[w]) worker_block;
  sends = reinterpret_cast<std::atomic<send_state>*>(base + off_sends);
  results = reinterpret_cast<message_result*>(base + off_results);
  if (churn) {
    members = reinterpret_cast<member_slot*>(base + off_members);
    meta = reinterpret_cast<message_meta*>(base + off_meta);
    failures = reinterpret_cast<failure_entry*>(base + off_failures);
  }
  return true;
}

}  // namespace herald::load
