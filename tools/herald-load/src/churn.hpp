// --churn on the driver side: the thread that removes and registers participants on schedule, and the
// thread that fetches heraldd's account of every API message (GET /v1/messages/{id}) so the workers
// can tell a legitimate participant_removed failure from a lost delivery.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_keepalive.hpp"
#include "options.hpp"
#include "plan.hpp"
#include "shared.hpp"

namespace herald::load {

// Thread-safe list of example errors (the driver's report keeps the first ten).
class error_list {
 public:
  void add(std::string e);
  std::vector<std::string> take();
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::mutex mutex_;
  std::vector<std::string> examples_;
  std::atomic<std::uint64_t> count_{0};
};

// Step k, due at t0 + plan::churn_offset_ns(k): DELETE one bound participant picked at random (never a
// chat sender), then register participant `participants + k`, whose owning worker binds its session
// over one of its existing connections. Membership times go to shared_region::members.
class churner {
 public:
  churner(const options& opt, const plan& p, shared_region& shared, std::string conference_id,
          std::vector<std::string> participant_ids);
  ~churner() { stop(); }
  void start(std::uint64_t t0);
  // Ends the schedule early if it is still running, and waits for the thread.
  void stop();

  std::uint64_t joins() const { return joins_.load(std::memory_order_relaxed); }
  std::uint64_t leaves() const { return leaves_.load(std::memory_order_relaxed); }
  // Participants registered right now (the RSS sampler's participant column).
  std::uint64_t registered() const { return p_.participants + joins() - leaves(); }
  error_list& errors() { return errors_; }

 private:
  void run(std::uint64_t t0);
  void leave(http_keepalive& http, std::uint64_t i);
  void join(http_keepalive& http, std::uint64_t k);

  const options& opt_;
  const plan& p_;
  shared_region& shared_;
  std::string conference_id_;
  std::vector<std::string> ids_;        // heraldd's participant id per index ("" until registered)
  std::vector<std::uint64_t> active_;   // bound, not yet removed, not a chat sender: removal candidates
  std::vector<std::uint64_t> joining_;  // registered joiners whose bind has not been seen yet
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> joins_{0}, leaves_{0};
  error_list errors_;
  std::thread thread_;
};

// Fetches each accepted API message's record once heraldd has settled every recipient, and stores the
// counts and failures (as participant indices) in the shared region.
class report_poller {
 public:
  report_poller(const options& opt, const plan& p, shared_region& shared);
  ~report_poller() { stop(); }
  void start();
  // After the 202 for message seq (any sender thread).
  void add(std::uint64_t seq, std::string id);
  // Accepted messages whose report is not complete yet.
  std::uint64_t outstanding() const { return outstanding_.load(std::memory_order_acquire); }
  void stop();
  error_list& errors() { return errors_; }

 private:
  struct item {
    std::uint64_t seq;
    std::string id;
    std::uint64_t not_before_ns;
  };
  void run();
  // One GET; false when the record is not settled yet (ask again later).
  bool fetch(http_keepalive& http, const item& it);

  const options& opt_;
  const plan& p_;
  shared_region& shared_;
  std::mutex mutex_;
  std::deque<item> queue_;
  std::atomic<std::uint64_t> outstanding_{0};
  std::atomic<bool> stop_{false};
  error_list errors_;
  std::thread thread_;
};

// heraldd's delivery counters from /metrics: the end-of-run cross-check under churn, and without churn
// the account of deliveries the participants never received (failed by heraldd, or lost).
struct server_totals {
  bool ok = false;  // /metrics answered and had the counters
  std::uint64_t pending = 0, delivered = 0, participant_removed = 0, not_connected = 0, other_failed = 0;
  std::string other_reasons;                              // "reason=N ..." for failures churn cannot explain
  std::map<std::string, std::uint64_t> failed_by_reason;  // every reason
};
server_totals read_server_totals(http_keepalive& http);

}  // namespace herald::load
