// herald-load: an open-loop load generator for heraldd. The driver (this process) sets up the
// conference over the control API, forks workers that bind and check the sessions, sends system and
// external messages on schedule, shows progress, and merges the workers' results into one report.
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

#include "herald/client/daemon_process.hpp"
#include "herald/client/http_client.hpp"
#include "herald/core/clock.hpp"
#include "http_keepalive.hpp"
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
  std::vector<std::string> paths;  // heraldd's session URI per participant
  shared_region shared;
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
      std::size_t at = 0;
      for (std::uint64_t i = base; i < end; ++i) {
        at = r.body.find("\"path\":\"", at);
        if (at == std::string::npos) {
          std::fprintf(stderr, "herald-load: batch reply without enough paths\n");
          return false;
        }
        at += 8;
        std::size_t close = r.body.find('"', at);
        paths.push_back(r.body.substr(at, close - at));
        at = close;
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
      shared.sends[seq].store(send_state::sent, std::memory_order_release);
      auto r = http.request("POST", target, body);
      std::uint64_t end = monotonic_ns();
      lag_us[n] = (start - due) / 1000;
      post_us[n] = (end - start) / 1000;
      if (r.status != 202 ||
          client::json_int(r.body, "recipients") != static_cast<std::int64_t>(p.recipients_of(seq))) {
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

  void run_schedule() {
    std::vector<std::uint64_t> api_seqs;
    for (std::uint64_t seq = 0; seq < p.count; ++seq)
      if (p.kind_of(seq) != message_kind::chat) api_seqs.push_back(seq);
    post_us.assign(api_seqs.size(), 0);
    lag_us.assign(api_seqs.size(), 0);
    // A short lead so every thread is waiting before message 0 is due.
    std::uint64_t t0 = monotonic_ns() + 100'000'000ULL;
    shared.control->t0_ns.store(t0, std::memory_order_release);
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
    while (finished.load() < senders.size() || monotonic_ns() < end_of_schedule) {
      usleep(10000);
      if (monotonic_ns() >= next_tick) {
        show_progress(t0, last_delivered, last_ns);
        next_tick += 1'000'000'000ULL;
      }
    }
    for (auto& t : senders) t.join();
    // Drain: the schedule is over; wait for what is still in flight, bounded by --drain.
    std::uint64_t drain_end = monotonic_ns() + static_cast<std::uint64_t>(opt.drain_s * 1e9);
    while (monotonic_ns() < drain_end &&
           delivered_so_far() < shared.control->expected_deliveries.load(std::memory_order_relaxed)) {
      usleep(5000);
      if (monotonic_ns() >= next_tick) {
        show_progress(t0, last_delivered, last_ns);
        next_tick += 1'000'000'000ULL;
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
    bool ok = true;
    std::uint64_t deadline = monotonic_ns() + 60'000'000'000ULL;
    for (pid_t pid : workers) {
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
      if (count < p.recipients_of(seq)) {
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
    say("registering participants");
    std::uint64_t t = monotonic_ns();
    if (!setup_conference()) return 1;
    sum.setup_register_s = static_cast<double>(monotonic_ns() - t) / 1e9;
    if (!shared.create(opt.procs, p.count)) {
      std::fprintf(stderr, "herald-load: shared memory for %llu messages failed\n",
                   static_cast<unsigned long long>(p.count));
      return 1;
    }
    say("binding sessions");
    t = monotonic_ns();
    bool bound = start_workers();
    sum.setup_bind_s = static_cast<double>(monotonic_ns() - t) / 1e9;
    if (bound) {
      say("running");
      run_schedule();
    }
    if (!stop_workers()) error("a worker failed");
    merge();
    if (opt.spawn) {
      sum.heraldd_rss_kib = daemon.rss_kib();
      sum.heraldd_exit = daemon.stop();
      if (sum.heraldd_exit != 0) error("heraldd exited with " + std::to_string(sum.heraldd_exit));
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
