// A minimal heraldd load driver for perf/run.sh: creates one conference of P participants bound over C
// multiplexed MSRP connections, posts system messages (open loop at --rate, or closed loop with a window
// of messages in flight), answers every SEND with 200 and counts deliveries, then reports deliveries/s,
// heraldd CPU time (deliveries per server core-second), completion percentiles and RSS per participant.
// Stands in for tools/herald-load when that is not built.
#include <sys/epoll.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "../common/perf_util.hpp"
#include "herald/client/daemon_process.hpp"
#include "herald/client/http_client.hpp"
#include "herald/client/msrp_peer.hpp"
#include "herald/client/test_pki.hpp"
#include "herald/msrp/encoder.hpp"
#include "herald/msrp/parser.hpp"

using namespace herald::perf;
namespace client = herald::client;
namespace msrp = herald::msrp;

namespace {

struct sink_conn {
  std::unique_ptr<client::msrp_peer> peer;  // connects and binds; its fd is then read here
  std::string in;
  std::string out;
};

// Parses what arrived on one connection, answers each SEND (RFC 4975 §7.2: To-Path = the sender's
// first hop) and returns how many final chunks were received.
std::uint64_t handle_input(sink_conn& c) {
  std::uint64_t done = 0;
  std::size_t off = 0;
  msrp::limits lim;
  lim.max_body_bytes = 16 << 20;
  char resp[1024];
  while (off < c.in.size()) {
    msrp::message m;
    msrp::parse_result r = msrp::parse(std::string_view(c.in).substr(off), m, lim);
    if (r.status != msrp::parse_status::complete) break;
    off += r.consumed;
    if (m.kind != msrp::message_kind::request || m.method != msrp::request_method::send) continue;
    if (m.flag == msrp::continuation::complete) ++done;
    if (m.failure_report == msrp::report_mode::no) continue;
    std::string_view to = m.from_path.substr(0, m.from_path.find(' '));
    std::string_view from = m.to_path.substr(0, m.to_path.find(' '));
    auto e = msrp::encode_response(resp, m.transaction_id, 200, "OK", to, from);
    if (e.ok()) c.out.append(resp, e.value());
  }
  c.in.erase(0, off);
  return done;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  long participants = flag_int(argc, argv, "--participants", 10000);
  long connections = flag_int(argc, argv, "--connections", 1000);
  long size = flag_int(argc, argv, "--size", 256);
  double duration = flag_double(argc, argv, "--duration", 5);
  double rate = flag_double(argc, argv, "--rate", 0);  // messages/s; 0 = closed loop
  long window = flag_int(argc, argv, "--window", 4);   // closed loop: messages in flight
  long shards = flag_int(argc, argv, "--shards", 1);
  long samples = flag_int(argc, argv, "--samples", 400);  // messages whose completion_ms is fetched
  // Roster order interleaves connections by default (participant i on connection i % C), as when users
  // of many relays join over time; --contiguous binds each connection's participants as one block.
  bool contiguous = flag_present(argc, argv, "--contiguous");
  // --tls: every connection is msrps (heraldd --msrps with a test certificate, ECDSA P-256); the client
  // decrypts and encrypts in the reader thread, heraldd's CPU is what is reported.
  const bool use_tls = flag_present(argc, argv, "--tls");
  if (participants < 1 || connections < 1 || connections > 10000 || connections > participants) {
    std::fprintf(
        stderr,
        "usage: perf_herald_driver [--participants P] [--connections C<=10000] [--size B] [--duration S]\n"
        "       [--rate msgs/s | --window W] [--shards N] [--samples K]\n");
    return 2;
  }

  client::daemon_process daemon;
  std::vector<std::string> args = {"--shards", std::to_string(shards), "--transaction-timeout", "60s"};
  std::shared_ptr<herald::tls::context> client_tls;
  if (use_tls) {
    const client::test_pki pki = client::make_test_pki_or_die();
    if (!(client_tls = client::client_context(pki.ca_cert))) return 1;
    args.insert(args.end(), {"--msrp", "none", "--msrps", "127.0.0.1:0", "--tls-cert", pki.server_cert,
                             "--tls-key", pki.server_key});
  }
  if (!daemon.start(args)) {
    std::fprintf(stderr, "heraldd did not start\n%s\n", daemon.log().c_str());
    return 1;
  }
  const std::uint16_t control = daemon.control_port();
  long rss_base = process_rss_kib(daemon.pid());

  client::http_reply r = client::http_request(control, "POST", "/v1/conferences",
                                              R"({"uri":"sip:team@example.com","display_name":"Team"})");
  if (r.status != 201) return 1;
  std::string conf = client::json_field(r.body, "id");
  std::vector<std::string> paths;
  paths.reserve(std::size_t(participants));
  double t_setup = now_s();
  for (long base = 0; base < participants; base += 10000) {
    long end = std::min(participants, base + 10000);
    std::string body = R"({"participants":[)";
    for (long i = base; i < end; ++i) {
      if (i != base) body += ',';
      body += R"({"address":"sip:u)" + std::to_string(i) + R"(@example.com"})";
    }
    body += "]}";
    r = client::http_request(control, "POST", "/v1/conferences/" + conf + "/participants:batch", body, "",
                             120000);
    if (r.status != 201) {
      std::fprintf(stderr, "batch registration failed: %d %s\n", r.status, r.body.substr(0, 200).c_str());
      return 1;
    }
    for (std::size_t at = 0; (at = r.body.find("\"path\":\"", at)) != std::string::npos;) {
      at += 8;
      std::size_t close = r.body.find('"', at);
      paths.emplace_back(r.body.substr(at, close - at));
    }
  }
  if (long(paths.size()) != participants) return 1;

  std::vector<sink_conn> conns(static_cast<std::size_t>(connections));
  for (std::size_t c = 0; c < conns.size(); ++c) {
    conns[c].peer = std::make_unique<client::msrp_peer>();
    conns[c].peer->tag = "c" + std::to_string(c);
    if ((use_tls ? conns[c].peer->connect_tls(daemon.msrps_port(), *client_tls)
                 : conns[c].peer->connect(daemon.msrp_port())) != 0) {
      std::fprintf(stderr, "connect failed\n");
      return 1;
    }
  }
  const long rss_connected = process_rss_kib(daemon.pid());  // connections open, nothing bound yet
  for (std::size_t c = 0; c < conns.size(); ++c) {
    std::vector<std::string> mine;
    if (contiguous) {
      const std::size_t per = paths.size() / conns.size();
      for (std::size_t i = c * per; i < (c + 1) * per; ++i) mine.push_back(paths[i]);
    } else {
      for (std::size_t i = c; i < paths.size(); i += conns.size()) mine.push_back(paths[i]);
    }
    for (int s : conns[c].peer->bind(mine, 60000))
      if (s != 200) {
        std::fprintf(stderr, "bind failed: %d\n", s);
        return 1;
      }
  }
  double setup_s = now_s() - t_setup;
  long rss_bound = process_rss_kib(daemon.pid());

  std::atomic<std::uint64_t> delivered{0};
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < conns.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].peer->fd(), &ev);
    }
    std::vector<epoll_event> evs(1024);
    std::vector<char> buf(1 << 20);
    std::vector<char> plain(16 * 1024);
    std::uint64_t total = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep, evs.data(), int(evs.size()), 20);
      for (int i = 0; i < n; ++i) {
        sink_conn& c = conns[evs[i].data.u64];
        while (true) {
          ssize_t got = ::recv(c.peer->fd(), buf.data(), buf.size(), MSG_DONTWAIT);
          if (got <= 0) break;
          if (herald::tls::session* t = c.peer->tls_session()) {
            t->feed({buf.data(), std::size_t(got)});
            std::size_t plain_n = 0;
            while (t->read(plain.data(), plain.size(), plain_n) == herald::tls::status::ok)
              c.in.append(plain.data(), plain_n);
          } else {
            c.in.append(buf.data(), std::size_t(got));
          }
        }
        total += handle_input(c);
        if (!c.out.empty()) {
          if (herald::tls::session* t = c.peer->tls_session()) {
            t->write(c.out);
            write_all(c.peer->fd(), std::string(t->output().data(), t->output().size()));
            t->output().clear();
          } else {
            write_all(c.peer->fd(), c.out);
          }
          c.out.clear();
        }
      }
      delivered.store(total, std::memory_order_release);
    }
    ::close(ep);
  });

  const std::string body(std::size_t(size), 'x');
  const std::string post = R"({"content_type":"text/plain","body":")" + body + R"("})";
  const std::string target = "/v1/conferences/" + conf + "/messages";
  std::vector<std::string> ids;
  const std::uint64_t per_msg = std::uint64_t(participants);
  double cpu0 = process_cpu_s(daemon.pid());
  double t0 = now_s();
  double end = t0 + duration;
  bool failed = false;
  while (now_s() < end && !failed) {
    if (rate > 0) {
      // Open loop: message k is due at t0 + k/rate, whatever happened to the previous ones.
      double due = t0 + double(ids.size()) / rate;
      double wait = due - now_s();
      if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.01)));
      if (now_s() < due) continue;
    } else if (ids.size() >= delivered.load(std::memory_order_acquire) / per_msg + std::uint64_t(window)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    r = client::http_request(control, "POST", target, post);
    if (r.status != 202) {
      std::fprintf(stderr, "post failed: %d %s\n", r.status, r.body.substr(0, 200).c_str());
      failed = true;
      break;
    }
    ids.push_back(client::json_field(r.body, "id"));
  }
  const std::uint64_t expected = ids.size() * per_msg;
  double give_up = now_s() + 60;
  while (delivered.load() < expected && now_s() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double wall = now_s() - t0;
  double server_cpu = process_cpu_s(daemon.pid()) - cpu0;
  long rss_peak = process_rss_kib(daemon.pid());
  std::uint64_t got = delivered.load();

  // Completion as heraldd measured it (POST accepted → last 200 received), on evenly spaced messages.
  std::vector<double> completion;
  std::vector<double> written;  // POST accepted → last frame's last byte handed to the kernel
  std::uint64_t failures = 0;
  std::size_t step = std::max<std::size_t>(1, ids.size() / std::size_t(std::max(1L, samples)));
  for (std::size_t i = 0; i < ids.size(); i += step) {
    // The reader is still answering: the last 200s may be in flight, so poll (bounded) until complete.
    client::http_reply s;
    double status_deadline = now_s() + 5;
    do {
      s = client::http_request(control, "GET", "/v1/messages/" + ids[i]);
    } while (s.status == 200 && client::json_int(s.body, "pending") != 0 && now_s() < status_deadline);
    if (s.status != 200 || client::json_int(s.body, "completion_ms") < 0) continue;
    failures += std::uint64_t(client::json_int(s.body, "failed"));
    completion.push_back(double(client::json_int(s.body, "completion_ms")));
    if (client::json_int(s.body, "written_ms") >= 0)
      written.push_back(double(client::json_int(s.body, "written_ms")));
  }
  stop = true;
  reader.join();
  daemon.stop();
  std::printf(
      "{\"driver\":\"perf_herald_driver\",\"participants\":%ld,\"connections\":%ld,\"size\":%ld,\"shards\":%"
      "ld,"
      "\"rate\":%.1f,\"messages\":%zu,\"deliveries\":%llu,\"expected\":%llu,\"failed_sampled\":%llu,"
      "\"wall_s\":%.3f,\"setup_s\":%.2f,\"server_cpu_s\":%.3f,\"deliveries_per_s\":%.0f,"
      "\"deliveries_per_server_core_s\":%.0f,\"completion_p50_ms\":%.1f,\"completion_p99_ms\":%.1f,"
      "\"written_p50_ms\":%.1f,\"written_p99_ms\":%.1f,\"rss_base_kib\":%ld,\"rss_bound_kib\":%ld,\"rss_peak_"
      "kib\":%ld,\"rss_bytes_per_participant\":%.0f,\"tls\":%s,\"rss_bytes_per_idle_connection\":%.0f}\n",
      participants, connections, size, shards, rate, ids.size(), (unsigned long long)got,
      (unsigned long long)expected, (unsigned long long)failures, wall, setup_s, server_cpu,
      double(got) / wall, server_cpu > 0 ? double(got) / server_cpu : 0, percentile(completion, 0.5),
      percentile(completion, 0.99), percentile(written, 0.5), percentile(written, 0.99), rss_base, rss_bound,
      rss_peak, double(rss_bound - rss_base) * 1024.0 / double(participants), use_tls ? "true" : "false",
      double(rss_connected - rss_base) * 1024.0 / double(connections));
  return got == expected && !failed ? 0 : 1;
}
