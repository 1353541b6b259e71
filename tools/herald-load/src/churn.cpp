// The churn schedule and the message-report poller (see churn.hpp).
#include "churn.hpp"

#include <time.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "herald/client/http_client.hpp"
#include "herald/core/clock.hpp"
#include "membership.hpp"

namespace herald::load {

namespace {

void sleep_until(std::uint64_t t) {
  timespec ts{static_cast<time_t>(t / 1'000'000'000ULL), static_cast<long>(t % 1'000'000'000ULL)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// The string value of "key":"..." at or after `from`; empty if absent.
std::string_view string_after(std::string_view json, std::string_view key, std::size_t from,
                              std::size_t& end) {
  // Appended rather than `"\"" + std::string(key)`: g++ 12 at -O3 reports a false -Wrestrict overlap in
  // operator+(const char*, string&&).
  std::string pattern;
  pattern.reserve(key.size() + 4);
  pattern.append(1, '"').append(key).append("\":\"");
  std::size_t at = json.find(pattern, from);
  if (at == std::string_view::npos) return {};
  at += pattern.size();
  std::size_t close = json.find('"', at);
  if (close == std::string_view::npos) return {};
  end = close;
  return json.substr(at, close - at);
}

churn_failure failure_of(std::string_view reason) {
  if (reason == "participant_removed") return churn_failure::participant_removed;
  if (reason == "not_connected") return churn_failure::not_connected;
  return churn_failure::other;
}

}  // namespace

server_totals read_server_totals(http_keepalive& http) {
  server_totals t;
  auto r = http.request("GET", "/metrics");
  if (r.status != 200) return t;
  std::string_view body = r.body;
  constexpr std::string_view failed_prefix = R"(herald_deliveries_total{outcome="failed",reason=")";
  bool pending_seen = false, delivered_seen = false;
  for (std::size_t at = 0; at < body.size();) {
    std::size_t eol = body.find('\n', at);
    std::string_view line = body.substr(at, eol == std::string_view::npos ? body.size() - at : eol - at);
    at = eol == std::string_view::npos ? body.size() : eol + 1;
    std::size_t sp = line.rfind(' ');
    if (line.empty() || line[0] == '#' || sp == std::string_view::npos) continue;
    std::uint64_t value = 0;
    if (!leading_number(line.substr(sp + 1), value)) continue;
    std::string_view name = line.substr(0, sp);
    if (name == "herald_deliveries_pending") {
      t.pending = value;
      pending_seen = true;
    } else if (name == R"(herald_deliveries_total{outcome="delivered"})") {
      t.delivered = value;
      delivered_seen = true;
    } else if (name.substr(0, failed_prefix.size()) == failed_prefix &&
               name.size() > failed_prefix.size() + 2) {
      std::string_view reason =
          name.substr(failed_prefix.size(), name.size() - failed_prefix.size() - 2);  // '"}'
      t.failed_by_reason[std::string(reason)] = value;
      if (reason == "participant_removed") {
        t.participant_removed = value;
      } else if (reason == "not_connected") {
        t.not_connected = value;
      } else if (value != 0) {
        t.other_failed += value;
        t.other_reasons += std::string(reason) + "=" + std::to_string(value) + " ";
      }
    }
  }
  t.ok = pending_seen && delivered_seen;
  return t;
}

void error_list::add(std::string e) {
  count_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  if (examples_.size() < 10) examples_.push_back(std::move(e));
}

std::vector<std::string> error_list::take() {
  std::lock_guard lock(mutex_);
  return std::move(examples_);
}

churner::churner(const options& opt, const plan& p, shared_region& shared, std::string conference_id,
                 std::vector<std::string> participant_ids)
    : opt_(opt),
      p_(p),
      shared_(shared),
      conference_id_(std::move(conference_id)),
      ids_(std::move(participant_ids)) {
  ids_.resize(p_.capacity());
  for (std::uint64_t i = p_.chat_senders; i < p_.participants; ++i) active_.push_back(i);
}

void churner::start(std::uint64_t t0) {
  thread_ = std::thread([this, t0] { run(t0); });
}

void churner::stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void churner::run(std::uint64_t t0) {
  http_keepalive http(opt_.control_host, opt_.control_port);
  // Fixed seed: the same participants leave in every run of the same shape.
  std::mt19937_64 rng(0x5eedULL);
  for (std::uint64_t k = 0; k < p_.joins && !stop_.load(std::memory_order_acquire); ++k) {
    std::uint64_t due = t0 + p_.churn_offset_ns(k);
    // Sleep in slices so stop() is honoured promptly.
    while (monotonic_ns() < due && !stop_.load(std::memory_order_acquire))
      sleep_until(std::min<std::uint64_t>(due, monotonic_ns() + 50'000'000ULL));
    if (stop_.load(std::memory_order_acquire)) break;
    // Joiners become removal candidates once their worker has seen the bind answered.
    for (std::size_t j = 0; j < joining_.size();) {
      if (shared_.members[joining_[j]].bound.load(std::memory_order_acquire) != 0) {
        active_.push_back(joining_[j]);
        joining_[j] = joining_.back();
        joining_.pop_back();
      } else {
        ++j;
      }
    }
    if (!active_.empty()) {
      std::size_t pick = static_cast<std::size_t>(rng() % active_.size());
      std::uint64_t i = active_[pick];
      active_[pick] = active_.back();
      active_.pop_back();
      leave(http, i);
    } else {
      errors_.add("churn: no bound participant left to remove");
    }
    join(http, k);
  }
}

void churner::leave(http_keepalive& http, std::uint64_t i) {
  member_slot& m = shared_.members[i];
  m.del_start.store(monotonic_ns(), std::memory_order_release);
  auto r = http.request("DELETE", "/v1/conferences/" + conference_id_ + "/participants/" + ids_[i]);
  if (r.status != 204) {
    errors_.add("churn: removing " + address_of(i) + " answered " + std::to_string(r.status) + " " +
                r.body.substr(0, 120));
    return;
  }
  m.del_done.store(monotonic_ns(), std::memory_order_release);
  leaves_.fetch_add(1, std::memory_order_relaxed);
}

void churner::join(http_keepalive& http, std::uint64_t k) {
  std::uint64_t i = p_.participants + k;
  member_slot& m = shared_.members[i];
  m.reg_start.store(monotonic_ns(), std::memory_order_release);
  auto r = http.request("POST", "/v1/conferences/" + conference_id_ + "/participants",
                        R"({"address":")" + address_of(i) + "\"}");
  std::string path = r.status == 201 ? client::json_field(r.body, "path") : std::string();
  if (r.status != 201 || path.empty() || path.size() >= member_slot::max_path) {
    errors_.add("churn: registering " + address_of(i) + " answered " + std::to_string(r.status) + " " +
                r.body.substr(0, 120));
    // Published with an empty path: the worker skips it, and it never counts as a member.
    m.reg_start.store(0, std::memory_order_release);
  } else {
    ids_[i] = client::json_field(r.body, "id");
    std::memcpy(m.path, path.data(), path.size());
    m.path[path.size()] = '\0';
    m.reg_done.store(monotonic_ns(), std::memory_order_release);
    joining_.push_back(i);
    joins_.fetch_add(1, std::memory_order_relaxed);
  }
  shared_.control->joined.store(k + 1, std::memory_order_release);
}

report_poller::report_poller(const options& opt, const plan& p, shared_region& shared)
    : opt_(opt), p_(p), shared_(shared) {}

void report_poller::start() {
  thread_ = std::thread([this] { run(); });
}

void report_poller::stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void report_poller::add(std::uint64_t seq, std::string id) {
  outstanding_.fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard lock(mutex_);
  // A first look shortly after acceptance: most 10^4-recipient messages settle within tens of ms.
  queue_.push_back(item{seq, std::move(id), monotonic_ns() + 50'000'000ULL});
}

void report_poller::run() {
  http_keepalive http(opt_.control_host, opt_.control_port);
  while (!stop_.load(std::memory_order_acquire)) {
    item it;
    bool have = false;
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty() && queue_.front().not_before_ns <= monotonic_ns()) {
        it = std::move(queue_.front());
        queue_.pop_front();
        have = true;
      }
    }
    if (!have) {
      usleep(5000);
      continue;
    }
    if (fetch(http, it)) {
      outstanding_.fetch_sub(1, std::memory_order_acq_rel);
    } else {
      it.not_before_ns = monotonic_ns() + 100'000'000ULL;
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(it));
    }
  }
}

bool report_poller::fetch(http_keepalive& http, const item& it) {
  message_meta& meta = shared_.meta[it.seq];
  auto r = http.request("GET", "/v1/messages/" + it.id);
  if (r.status == 404) {
    meta.report.store(report_state::lost, std::memory_order_release);
    errors_.add("message " + std::to_string(it.seq) + ": its record is gone before it could be checked " +
                "(heraldd --message-retention too short for this run?)");
    return true;
  }
  if (r.status != 200) {
    errors_.add("message " + std::to_string(it.seq) + ": GET answered " + std::to_string(r.status));
    return false;
  }
  if (client::json_int(r.body, "pending") != 0) return false;
  std::int64_t recipients = client::json_int(r.body, "recipients");
  std::int64_t delivered = client::json_int(r.body, "delivered");
  std::int64_t failed = client::json_int(r.body, "failed");
  if (delivered < 0 || failed < 0 || delivered + failed != recipients ||
      r.body.find("\"failures_truncated\":true") != std::string::npos) {
    meta.report.store(report_state::lost, std::memory_order_release);
    errors_.add("message " + std::to_string(it.seq) +
                ": report unusable (truncated or inconsistent): " + r.body.substr(0, 160));
    return true;
  }
  // Each failure: {"address":"…","status":N,"reason":"…"}.
  std::string_view body = r.body;
  std::size_t at = body.find("\"failures\":[");
  std::int64_t listed = 0;
  while (at != std::string_view::npos) {
    std::size_t end = 0;
    std::string_view address = string_after(body, "address", at, end);
    if (address.empty()) break;
    std::string_view reason = string_after(body, "reason", end, end);
    at = end;
    ++listed;
    std::uint64_t idx = 0;
    if (!participant_of(address, idx) || idx >= p_.capacity()) {
      errors_.add("message " + std::to_string(it.seq) + ": failure for an unknown address " +
                  std::string(address));
      continue;
    }
    churn_failure why = failure_of(reason);
    if (why == churn_failure::other)
      errors_.add("message " + std::to_string(it.seq) + " to " + std::string(address) +
                  " failed: " + std::string(reason));
    std::uint64_t n = shared_.control->failures.fetch_add(1, std::memory_order_acq_rel);
    if (n >= shared_.max_failures) {
      errors_.add("more failures than the failure table holds; the rest are unchecked");
      continue;
    }
    shared_.failures[n] =
        failure_entry{it.seq, static_cast<std::uint32_t>(idx), static_cast<std::uint8_t>(why)};
  }
  if (listed != failed) {
    errors_.add("message " + std::to_string(it.seq) + ": " + std::to_string(failed) + " failed but " +
                std::to_string(listed) + " listed");
  }
  meta.delivered.store(static_cast<std::uint32_t>(delivered), std::memory_order_relaxed);
  meta.failed.store(static_cast<std::uint32_t>(failed), std::memory_order_relaxed);
  meta.report.store(report_state::complete, std::memory_order_release);
  return true;
}

}  // namespace herald::load
