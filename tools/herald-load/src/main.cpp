// herald-load: an open-loop load generator for heraldd. The driver (this process) sets up the
// conference over the control API, forks workers that bind and check the sessions, sends system and
// external messages on schedule (and churns participants), shows progress, samples heraldd's RSS, and
// merges the workers' results into one report.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "churn.hpp"
#include "herald/client/daemon_process.hpp"
#include "herald/client/http_client.hpp"
#include "herald/core/clock.hpp"
#include "http_keepalive.hpp"
#include "membership.hpp"
#include "options.hpp"
#include "plan.hpp"
#include "report.hpp"
#include "shared.hpp"
#include "worker.hpp"

namespace herald::load {

namespace {

// One process may hold at most 20,000 descriptors here; leave room for the ring, pipes and stdio.
constexpr std::size_t max_connections_per_proc = 19000;

void sleep_until_ns(std::uint64_t t) {
  timespec ts{static_cast<time_t>(t / 1'000'000'000ULL), static_cast<long>(t % 1'000'000'000ULL)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

struct driver {
  options opt;
  plan p;
  client::daemon_process daemon;
  std::string conference_id;
  std::vector<std::string> paths;            // heraldd's session URI per participant
  std::vector<std::string> participant_ids;  // heraldd's participant id per participant (for --churn)
  shared_region shared;
  std::unique_ptr<churner> churn;          // --churn
  std::unique_ptr<report_poller> reports;  // --churn
  std::FILE* rss_csv = nullptr;
  std::uint64_t next_rss_ns = 0;
  server_totals totals;         // heraldd's counters after the drain
  server_totals totals_before;  // and before the schedule (without --churn)
  std::vector<pid_t> workers;
  summary sum;
  // Per API message (parent-only): POST round trip and how late it started against its schedule.
  std::vector<std::uint64_t> post_us, lag_us;
  bool progress = isatty(STDERR_FILENO) != 0;

  void say(const char* what) {
    if (!opt.json) std::fprintf(stderr, "herald-load: %s\n", what);
  }
  void error(const std::string& e) {
    if (sum.errors.size() < 10) sum.errors.push_back(e);
  }

  bool setup_conference() {
    http_keepalive http(opt.control_host, opt.control_port);
    auto r = http.request("POST", "/v1/conferences",
                          R"({"uri":")" + std::string(conference_uri) + R"(","display_name":"Load Test"})");
    if (r.status != 201) {
      std::fprintf(stderr, "herald-load: creating the conference failed: %d %s\n", r.status, r.body.c_str());
      return false;
    }
    conference_id = client::json_field(r.body, "id");
    paths.reserve(p.participants);
    participant_ids.reserve(p.participants);
    for (std::uint64_t base = 0; base < p.participants; base += 10000) {
      std::uint64_t end = std::min<std::uint64_t>(p.participants, base + 10000);
      std::string body = R"({"participants":[)";
      for (std::uint64_t i = base; i < end; ++i) {
        if (i != base) body += ',';
        body += R"({"address":")" + address_of(i) + "\"}";
      }
      body += "]}";
      r = http.request("POST", "/v1/conferences/" + conference_id + "/participants:batch", body);
      if (r.status != 201) {
        std::fprintf(stderr, "herald-load: registering participants failed: %d %.300s\n", r.status,
                     r.body.c_str());
        return false;
      }
      // Objects in request order: {"id":"p…","address":"…","path":"msrp://…","bound":false}.
      std::size_t at = 0;
      for (std::uint64_t i = base; i < end; ++i) {
        for (std::string_view key : {"\"id\":\"", "\"path\":\""}) {
          at = r.body.find(key, at);
          if (at == std::string::npos) {
            std::fprintf(stderr, "herald-load: batch reply without enough participants\n");
            return false;
          }
          at += key.size();
          std::size_t close = r.body.find('"', at);
          (key[1] == 'i' ? participant_ids : paths).push_back(r.body.substr(at, close - at));
          at = close;
        }
      }
    }
    return true;
  }

  bool start_workers() {
    for (std::size_t w = 0; w < opt.procs; ++w) {
      std::fflush(stdout);
      std::fflush(stderr);
      pid_t pid = fork();
      if (pid < 0) return false;
      if (pid == 0) {
        worker_config wc;
        wc.index = w;
        wc.procs = opt.procs;
        wc.connections = opt.msrp_connections / opt.procs + (w < opt.msrp_connections % opt.procs ? 1 : 0);
        wc.msrp_host = opt.msrp_host;
        wc.msrp_port = opt.msrp_port;
        _exit(run_worker(wc, p, paths, shared));
      }
      workers.push_back(pid);
    }
    // Bounded: each worker gives up binding after its own timeout and reports failed.
    for (;;) {
      std::size_t ready = 0;
      for (std::size_t w = 0; w < opt.procs; ++w) {
        worker_state st = shared.workers[w].state.load(std::memory_order_acquire);
        if (st == worker_state::failed) return false;
        ready += st == worker_state::ready;
      }
      if (ready == opt.procs) return true;
      int status;
      for (pid_t pid : workers)
        if (waitpid(pid, &status, WNOHANG) == pid) return false;
      usleep(2000);
    }
  }

  // Sender thread k posts the API messages k, k + n, k + 2n ... of the schedule, each at its time.
  void api_sender(std::size_t k, const std::vector<std::uint64_t>& seqs, std::uint64_t t0) {
    http_keepalive http(opt.control_host, opt.control_port);
    std::string target = "/v1/conferences/" + conference_id + "/messages";
    for (std::size_t n = k; n < seqs.size(); n += opt.http_connections) {
      std::uint64_t seq = seqs[n];
      std::uint64_t due = t0 + p.offset_ns(seq);
      sleep_until_ns(due);
      std::string body;
      if (p.kind_of(seq) == message_kind::external) {
        body = R"({"external":{"url":")" + p.external_url(seq) + R"(","content_type":")" +
               std::string(external_content_type) + R"(","size":)" + std::to_string(p.size) + "}}";
      } else {
        body = R"({"content_type":"text/plain","body":")" + p.body(seq) + "\"}";
      }
      std::uint64_t start = monotonic_ns();
      // Counted as expected before the POST: deliveries may arrive before its reply.
      shared.control->expected_deliveries.fetch_add(p.recipients_of(seq), std::memory_order_relaxed);
      if (shared.meta) shared.meta[seq].start_ns.store(start, std::memory_order_release);
      shared.sends[seq].store(send_state::sent, std::memory_order_release);
      auto r = http.request("POST", target, body);
      std::uint64_t end = monotonic_ns();
      lag_us[n] = (start - due) / 1000;
      post_us[n] = (end - start) / 1000;
      // Under churn the recipient count moves; heraldd's report on the message is checked instead.
      const bool count_ok = reports || client::json_int(r.body, "recipients") ==
                                           static_cast<std::int64_t>(p.recipients_of(seq));
      if (r.status == 202 && reports) {
        shared.meta[seq].ok_ns.store(end, std::memory_order_release);
        reports->add(seq, client::json_field(r.body, "id"));
      }
      if (r.status != 202 || !count_ok) {
        shared.sends[seq].store(send_state::failed, std::memory_order_release);
        shared.control->expected_deliveries.fetch_sub(p.recipients_of(seq), std::memory_order_relaxed);
        post_us[n] = UINT64_MAX;  // marks the failure for the merge
        std::fprintf(stderr, "herald-load: message %llu: POST answered %d %.200s\n",
                     static_cast<unsigned long long>(seq), r.status, r.body.c_str());
      }
    }
  }

  std::uint64_t delivered_so_far() const {
    std::uint64_t n = 0;
    for (std::size_t w = 0; w < opt.procs; ++w)
      n += shared.workers[w].delivered.load(std::memory_order_relaxed);
    return n;
  }
  histogram live_latency() const {
    histogram h;
    for (std::size_t w = 0; w < opt.procs; ++w) {
      const worker_block& b = shared.workers[w];
      for (std::size_t k = 0; k < histogram::bucket_count; ++k) {
        std::uint64_t c = b.latency_counts[k].load(std::memory_order_relaxed);
        if (c)
          h.add(k, c, std::max(histogram::bucket_low(k), b.latency_min_us.load(std::memory_order_relaxed)),
                std::min(histogram::bucket_high(k), b.latency_max_us.load(std::memory_order_relaxed)));
      }
    }
    return h;
  }

  void show_progress(std::uint64_t t0, std::uint64_t& last_delivered, std::uint64_t& last_ns) {
    if (!progress) return;
    std::uint64_t now = monotonic_ns();
    std::uint64_t d = delivered_so_far();
    std::uint64_t expected = shared.control->expected_deliveries.load(std::memory_order_relaxed);
    double dt = static_cast<double>(now - last_ns) / 1e9;
    std::uint64_t due =
        now > t0 ? std::min<std::uint64_t>(
                       p.count, static_cast<std::uint64_t>(static_cast<double>(now - t0) / 1e9 * p.rate) + 1)
                 : 0;
    histogram h = live_latency();
    std::fprintf(stderr, "\r[%5.1fs] msgs %llu/%llu  %.0f deliveries/s  in-flight %llu  p99 %.2f ms      ",
                 static_cast<double>(now - t0) / 1e9, static_cast<unsigned long long>(due),
                 static_cast<unsigned long long>(p.count), static_cast<double>(d - last_delivered) / dt,
                 static_cast<unsigned long long>(expected > d ? expected - d : 0),
                 static_cast<double>(h.percentile(0.99)) / 1000.0);
    last_delivered = d;
    last_ns = now;
  }

  std::uint64_t registered_now() const { return churn ? churn->registered() : p.participants; }

  // Once a second from t0: heraldd's RSS, deliveries so far and participants, to the CSV and the verdict.
  void sample_rss(std::uint64_t t0) {
    if (!opt.spawn || (!rss_csv && opt.max_rss_growth_pct < 0)) return;
    std::uint64_t now = monotonic_ns();
    if (now < t0 || now < next_rss_ns) return;
    next_rss_ns = (next_rss_ns ? next_rss_ns : t0) + 1'000'000'000ULL;
    long kib = daemon.rss_kib();
    if (kib < 0) return;
    rss_sample s{static_cast<double>(now - t0) / 1e9, static_cast<std::uint64_t>(kib) * 1024,
                 delivered_so_far(), registered_now()};
    sum.rss.push_back(s);
    if (rss_csv) {
      std::fprintf(
          rss_csv, "%.3f,%llu,%llu,%llu\n", s.elapsed_s, static_cast<unsigned long long>(s.rss_bytes),
          static_cast<unsigned long long>(s.deliveries), static_cast<unsigned long long>(s.participants));
      std::fflush(rss_csv);
    }
  }

  std::uint64_t chat_delivered_so_far() const {
    std::uint64_t n = 0;
    for (std::size_t w = 0; w < opt.procs; ++w)
      n += shared.workers[w].chat_delivered.load(std::memory_order_relaxed);
    return n;
  }

  // --churn: fewest chat deliveries the workers must have seen, counting only recipients bound before
  // each chat message was sent and never removed (the others may legitimately miss it).
  std::uint64_t chat_deliveries_owed() const {
    std::vector<std::uint64_t> bound;
    for (std::uint64_t i = 0; i < p.capacity(); ++i) {
      const member_slot& m = shared.members[i];
      std::uint64_t b = m.bound.load(std::memory_order_acquire);
      if (b != 0 && m.del_start.load(std::memory_order_acquire) == 0) bound.push_back(b);
    }
    std::sort(bound.begin(), bound.end());
    std::uint64_t owed = 0;
    for (std::uint64_t seq = 0; seq < p.count; ++seq) {
      if (p.kind_of(seq) != message_kind::chat || shared.sends[seq].load() != send_state::sent) continue;
      std::uint64_t start = shared.meta[seq].start_ns.load(std::memory_order_acquire);
      std::uint64_t before =
          static_cast<std::uint64_t>(std::lower_bound(bound.begin(), bound.end(), start) - bound.begin());
      owed += before > 0 ? before - 1 : 0;  // not its sender
    }
    return owed;
  }

  // --churn: every accepted message reported on, every chat SEND answered, heraldd settled everything,
  // and the workers have seen at least what they are certainly owed.
  bool churn_drained(http_keepalive& http, std::uint64_t owed) {
    if (reports->outstanding() != 0 || chat_delivered_so_far() < owed) return false;
    for (std::uint64_t seq = 0; seq < p.count; ++seq)
      if (p.kind_of(seq) == message_kind::chat && shared.sends[seq].load() == send_state::sent &&
          shared.meta[seq].ok_ns.load(std::memory_order_acquire) == 0)
        return false;
    server_totals t = read_server_totals(http);
    return t.ok && t.pending == 0;
  }

  // /metrics publishes the shards' counters on their 100 ms tick: read until two reads agree.
  static server_totals settled_server_totals(http_keepalive& http) {
    server_totals t = read_server_totals(http);
    for (int i = 0; i < 20; ++i) {
      usleep(150000);
      server_totals again = read_server_totals(http);
      bool same = again.ok && again.delivered == t.delivered &&
                  again.failed_by_reason == t.failed_by_reason && again.pending == t.pending;
      t = again;
      if (same) break;
    }
    return t;
  }

  void check_server_totals(http_keepalive& http) {
    totals = settled_server_totals(http);
    if (!totals.ok) {
      ++sum.churn_errors;
      error("could not read heraldd's delivery counters from /metrics");
    } else if (totals.pending != 0) {
      ++sum.churn_errors;
      error("heraldd still had " + std::to_string(totals.pending) + " deliveries pending after the drain");
    }
    if (totals.other_failed != 0) {
      ++sum.churn_errors;
      error("heraldd failed deliveries for reasons churn does not explain: " + totals.other_reasons);
    }
  }

  void run_schedule() {
    std::vector<std::uint64_t> api_seqs;
    for (std::uint64_t seq = 0; seq < p.count; ++seq)
      if (p.kind_of(seq) != message_kind::chat) api_seqs.push_back(seq);
    post_us.assign(api_seqs.size(), 0);
    lag_us.assign(api_seqs.size(), 0);
    // A short lead so every thread is waiting before message 0 is due.
    std::uint64_t t0 = monotonic_ns() + 100'000'000ULL;
    shared.control->t0_ns.store(t0, std::memory_order_release);
    if (churn) {
      reports->start();
      churn->start(t0);
    } else {
      http_keepalive http(opt.control_host, opt.control_port);
      totals_before = read_server_totals(http);
    }
    std::vector<std::thread> senders;
    std::atomic<std::size_t> finished{0};
    for (std::size_t k = 0; k < opt.http_connections; ++k)
      senders.emplace_back([&, k] {
        api_sender(k, api_seqs, t0);
        finished.fetch_add(1);
      });
    std::uint64_t last_delivered = 0, last_ns = monotonic_ns();
    std::uint64_t end_of_schedule = t0 + p.offset_ns(p.count ? p.count - 1 : 0);
    std::uint64_t next_tick = monotonic_ns() + 1'000'000'000ULL;
    auto tick = [&] {
      sample_rss(t0);
      if (monotonic_ns() >= next_tick) {
        show_progress(t0, last_delivered, last_ns);
        next_tick += 1'000'000'000ULL;
      }
    };
    while (finished.load() < senders.size() || monotonic_ns() < end_of_schedule) {
      usleep(10000);
      tick();
    }
    for (auto& t : senders) t.join();
    // Drain: the schedule is over; wait for what is still in flight, bounded by --drain.
    std::uint64_t drain_end = monotonic_ns() + static_cast<std::uint64_t>(opt.drain_s * 1e9);
    if (churn) {
      churn->stop();
      http_keepalive http(opt.control_host, opt.control_port);
      const std::uint64_t owed = chat_deliveries_owed();
      while (monotonic_ns() < drain_end && !churn_drained(http, owed)) {
        usleep(20000);
        tick();
      }
      reports->stop();
      check_server_totals(http);
    } else {
      while (monotonic_ns() < drain_end &&
             delivered_so_far() < shared.control->expected_deliveries.load(std::memory_order_relaxed)) {
        usleep(5000);
        tick();
      }
      // Short of deliveries: heraldd's counters say how many it failed (and why) rather than lost.
      if (delivered_so_far() < shared.control->expected_deliveries.load(std::memory_order_relaxed)) {
        http_keepalive http(opt.control_host, opt.control_port);
        totals = settled_server_totals(http);
      }
    }
    // A quiet moment so late duplicates would still be seen.
    usleep(200000);
    if (progress) std::fputs("\n", stderr);
    for (std::size_t n = 0; n < api_seqs.size(); ++n) {
      if (post_us[n] == UINT64_MAX) continue;
      sum.api_post_us.record(post_us[n]);
      sum.send_lag_us.record(lag_us[n]);
    }
  }

  bool stop_workers() {
    shared.control->stop.store(1, std::memory_order_release);
    // Checks start once every worker has stopped reading (bounded: a dead worker counts as stopped).
    std::uint64_t stop_deadline = monotonic_ns() + 30'000'000'000ULL;
    for (std::size_t w = 0; w < opt.procs && monotonic_ns() < stop_deadline;) {
      worker_state st = shared.workers[w].state.load(std::memory_order_acquire);
      int status = 0;
      if (st == worker_state::stopped || st == worker_state::done || st == worker_state::failed ||
          waitpid(workers[w], &status, WNOHANG) == workers[w]) {
        if (st != worker_state::stopped && st != worker_state::done && st != worker_state::failed) {
          error("a worker exited early");
          workers[w] = -1;
        }
        ++w;
        continue;
      }
      usleep(2000);
    }
    shared.control->check.store(1, std::memory_order_release);
    bool ok = true;
    std::uint64_t deadline = monotonic_ns() + 60'000'000'000ULL;
    for (pid_t pid : workers) {
      if (pid < 0) {
        ok = false;
        continue;
      }
      int status = 0;
      for (;;) {
        if (waitpid(pid, &status, WNOHANG) == pid) break;
        if (monotonic_ns() > deadline) {
          kill(pid, SIGKILL);
          waitpid(pid, &status, 0);
          error("a worker did not stop and was killed");
          break;
        }
        usleep(5000);
      }
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ok = false;
    }
    return ok;
  }

  // Without churn every missing delivery is a failure; heraldd's counters over the run tell those it
  // reported failed (slow consumer, disconnect...) from those it did not (lost). Both fail the run.
  void account_missing() {
    sum.server_accounted = totals_before.ok && totals.ok;
    if (!sum.server_accounted) return;
    for (const auto& [reason, after] : totals.failed_by_reason) {
      auto it = totals_before.failed_by_reason.find(reason);
      const std::uint64_t before = it == totals_before.failed_by_reason.end() ? 0 : it->second;
      if (after <= before) continue;
      sum.server_failed += after - before;
      sum.server_failed_reasons +=
          (sum.server_failed_reasons.empty() ? "" : " ") + reason + "=" + std::to_string(after - before);
    }
    sum.missing_unreported = sum.missing > sum.server_failed ? sum.missing - sum.server_failed : 0;
    if (sum.missing_unreported)
      error(std::to_string(sum.missing_unreported) +
            " missing deliveries that heraldd did not report failed");
  }

  // --churn: heraldd's reports against what the workers received (membership.hpp has the rules).
  void merge_churn() {
    sum.joins = churn->joins();
    sum.leaves = churn->leaves();
    for (error_list* l : {&churn->errors(), &reports->errors()}) {
      sum.churn_errors += l->count();
      for (auto& e : l->take()) error(e);
    }
    std::uint64_t received = 0;
    for (std::uint64_t seq = 0; seq < p.count; ++seq) {
      if (shared.sends[seq].load() != send_state::sent) continue;
      std::uint64_t got = 0, got_failed = 0;
      for (std::size_t w = 0; w < opt.procs; ++w) {
        got += shared.results_of(w)[seq].count;
        got_failed += shared.results_of(w)[seq].received_failed;
      }
      received += got;
      sum.received_then_failed += got_failed;
      if (p.kind_of(seq) == message_kind::chat) continue;
      const message_meta& m = shared.meta[seq];
      if (m.report.load() != report_state::complete) {
        ++sum.unverified;
        continue;
      }
      // Every recipient heraldd counts delivered was received, once, by the right participant.
      if (got - got_failed != m.delivered.load()) {
        if (sum.count_mismatches++ == 0)
          error("message " + std::to_string(seq) + ": heraldd reports " + std::to_string(m.delivered.load()) +
                " delivered, participants received " + std::to_string(got - got_failed) + " (not counting " +
                std::to_string(got_failed) + " settled participant_removed)");
      }
    }
    std::uint64_t n = std::min(shared.control->failures.load(), shared.max_failures);
    for (std::uint64_t k = 0; k < n; ++k) {
      churn_failure why = static_cast<churn_failure>(shared.failures[k].why);
      if (why == churn_failure::participant_removed) ++sum.failed_removed;
      if (why == churn_failure::not_connected) ++sum.failed_not_connected;
    }
    for (std::size_t w = 0; w < opt.procs; ++w) {
      sum.outside_membership += shared.workers[w].outside_membership.load();
      sum.unexplained_failures += shared.workers[w].unexplained_failures.load();
    }
    // Chat messages have no record to fetch; heraldd's totals bound them: everything it counts delivered
    // was received, and what was received beyond that was settled participant_removed.
    if (totals.ok &&
        (totals.delivered > received || received - totals.delivered > totals.participant_removed)) {
      ++sum.churn_errors;
      error("heraldd counts " + std::to_string(totals.delivered) + " delivered and " +
            std::to_string(totals.participant_removed) + " participant_removed; participants received " +
            std::to_string(received));
    }
  }

  void merge() {
    sum.scheduled = p.count;
    for (std::uint64_t seq = 0; seq < p.count; ++seq) {
      send_state st = shared.sends[seq].load(std::memory_order_acquire);
      if (st == send_state::sent) {
        ++sum.sent;
        ++sum.sent_by_kind[static_cast<int>(p.kind_of(seq))];
        sum.expected += p.recipients_of(seq);
      } else if (st == send_state::failed) {
        ++sum.send_errors;
      }
    }
    std::uint64_t t0 = shared.control->t0_ns.load();
    std::uint64_t last_delivery = t0;
    for (std::size_t w = 0; w < opt.procs; ++w) {
      const worker_block& b = shared.workers[w];
      sum.delivered += b.delivered.load();
      sum.duplicates += b.duplicates.load();
      sum.mismatches += b.mismatches.load();
      sum.missing += b.missing.load();
      sum.connections_lost += b.connections_lost.load();
      sum.bind_failures += b.bind_failed.load();
      last_delivery = std::max(last_delivery, b.last_delivery_ns.load());
      for (std::uint32_t k = 0; k < b.example_count.load(); ++k) error(b.examples[k]);
    }
    sum.delivery_us = live_latency();
    // Under churn the recipients are whoever was a member: expected = received + certainly owed, not
    // received.
    if (churn) {
      sum.expected = sum.delivered + sum.missing;
      merge_churn();
    } else if (sum.missing) {
      account_missing();
    }
    sum.elapsed_s = static_cast<double>(last_delivery - t0) / 1e9;
    sum.deliveries_per_s = sum.elapsed_s > 0 ? static_cast<double>(sum.delivered) / sum.elapsed_s : 0;
    for (std::uint64_t seq = 0; seq < p.count; ++seq) {
      if (shared.sends[seq].load() != send_state::sent) continue;
      std::uint64_t first = UINT64_MAX, last = 0, count = 0, slowest = 0;
      for (std::size_t w = 0; w < opt.procs; ++w) {
        const message_result& r = shared.results_of(w)[seq];
        if (r.count == 0) continue;
        count += r.count;
        first = std::min(first, r.first_ns);
        if (r.last_ns >= last) {
          last = r.last_ns;
          slowest = r.last_participant;
        }
      }
      std::uint64_t due = t0 + p.offset_ns(seq);
      if (count) sum.first_us.record(first > due ? (first - due) / 1000 : 0);
      std::uint64_t missing = 0;
      for (std::size_t w = 0; w < opt.procs; ++w) missing += shared.results_of(w)[seq].missing;
      if (churn ? missing > 0 : count < p.recipients_of(seq)) {
        ++sum.incomplete_messages;
        continue;
      }
      std::uint64_t us = last > due ? (last - due) / 1000 : 0;
      sum.completion_us.record(us);
      slow_message m{seq, p.kind_of(seq), us, address_of(slowest)};
      sum.slowest.push_back(m);
      std::sort(sum.slowest.begin(), sum.slowest.end(), [](const slow_message& a, const slow_message& b) {
        return a.completion_us > b.completion_us;
      });
      if (sum.slowest.size() > 3) sum.slowest.pop_back();
    }
  }

  int run() {
    p.sc = opt.sc;
    p.rate = opt.rate;
    p.count = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(opt.rate * opt.duration_s));
    p.size = opt.size;
    p.participants = opt.participants;
    p.chat_senders = opt.chat_senders;
    p.churn = opt.churn;
    p.joins = opt.churn > 0 ? static_cast<std::uint64_t>(opt.churn * opt.duration_s) : 0;
    if ((opt.msrp_connections + opt.procs - 1) / opt.procs > max_connections_per_proc) {
      std::fprintf(stderr,
                   "herald-load: %zu connections need --procs %zu or more (20,000 open files per process)\n",
                   opt.msrp_connections,
                   (opt.msrp_connections + max_connections_per_proc - 1) / max_connections_per_proc);
      return 2;
    }
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (opt.spawn) {
      if (!daemon.start(opt.heraldd_args)) {
        std::fprintf(stderr, "herald-load: heraldd did not start:\n%s\n", daemon.log().c_str());
        return 1;
      }
      opt.control_host = opt.msrp_host = "127.0.0.1";
      opt.control_port = daemon.control_port();
      opt.msrp_port = daemon.msrp_port();
    }
    if (!opt.rss_csv.empty()) {
      rss_csv = std::fopen(opt.rss_csv.c_str(), "w");
      if (!rss_csv) {
        std::fprintf(stderr, "herald-load: cannot write %s\n", opt.rss_csv.c_str());
        return 2;
      }
      std::fputs("elapsed_s,rss_bytes,deliveries,participants\n", rss_csv);
    }
    say("registering participants");
    std::uint64_t t = monotonic_ns();
    if (!setup_conference()) return 1;
    std::uint64_t registered = monotonic_ns();
    sum.setup_register_s = static_cast<double>(registered - t) / 1e9;
    // Failure reports hold the few recipients in flight when they were removed; 2^20 is far more
    // than any sane run produces, and the pages are touched only when used.
    const bool churning = p.joins > 0;
    if (!shared.create(opt.procs, p.count, churning ? p.capacity() : 0, churning ? 1u << 20 : 0)) {
      std::fprintf(stderr, "herald-load: shared memory for %llu messages failed\n",
                   static_cast<unsigned long long>(p.count));
      return 1;
    }
    if (churning) {
      for (std::uint64_t i = 0; i < p.participants; ++i) {
        shared.members[i].reg_start.store(t, std::memory_order_relaxed);
        shared.members[i].reg_done.store(registered, std::memory_order_relaxed);
      }
      churn = std::make_unique<churner>(opt, p, shared, conference_id, participant_ids);
      reports = std::make_unique<report_poller>(opt, p, shared);
    }
    say("binding sessions");
    t = monotonic_ns();
    bool bound = start_workers();
    sum.setup_bind_s = static_cast<double>(monotonic_ns() - t) / 1e9;
    if (bound) {
      say("running");
      run_schedule();
    }
    if (churn) churn->stop();
    if (reports) reports->stop();
    if (!stop_workers()) error("a worker failed");
    merge();
    if (opt.spawn) {
      sum.heraldd_rss_kib = daemon.rss_kib();
      sum.heraldd_exit = daemon.stop();
      if (sum.heraldd_exit != 0) error("heraldd exited with " + std::to_string(sum.heraldd_exit));
    }
    if (rss_csv) std::fclose(rss_csv);
    if (opt.spawn && !sum.rss.empty()) sum.rss_judged = judge_rss(sum.rss, opt.duration_s);
    if (opt.max_rss_growth_pct >= 0) {
      sum.rss_too_much = !sum.rss_judged.valid || sum.rss_judged.growth_pct > opt.max_rss_growth_pct;
      if (!sum.rss_judged.valid)
        error("too few RSS samples to judge growth (the run is too short)");
      else if (sum.rss_too_much)
        error("heraldd RSS grew more than --max-rss-growth");
    }
    if (!bound) error("not every session could be bound");
    if (opt.json) {
      print_json(opt, sum);
    } else {
      print_human(opt, sum);
    }
    return sum.ok() && bound ? 0 : 1;
  }
};

}  // namespace
}  // namespace herald::load

int main(int argc, char** argv) {
  auto d = std::make_unique<herald::load::driver>();
  int code = 0;
  if (!herald::load::parse_options(argc, argv, d->opt, code)) return code;
  signal(SIGPIPE, SIG_IGN);
  return d->run();
}
