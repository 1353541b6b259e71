// The directory lock under participant messages: a 10^5-participant conference in which 50 participants
// each send 5 messages/s (250 fan-outs of 10^5 a second to plan) while the control API serves
// GET /v1/conferences/{id} in a closed loop and another connection binds sessions as fast as it can.
// Reports the API's latency percentiles and binds/s; run it against two heraldd builds
// (perf/directory_lock.sh) to compare them in one run.
//
// Only the 50 senders (and the binder's sessions) are bound: each message is planned over all 10^5 and its
// unbound recipients fail at once (not_connected), so the shards are not also busy with 2.5*10^7 deliveries
// a second and what is measured is what planning costs everyone else.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "../common/perf_util.hpp"
#include "herald/client/daemon_process.hpp"
#include "herald/client/http_client.hpp"
#include "herald/client/msrp_peer.hpp"

using namespace herald::perf;
namespace client = herald::client;

namespace {

struct participant {
  std::string path;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())))];
}

bool register_participants(std::uint16_t port, const std::string& conf, std::size_t count,
                           std::vector<participant>& out) {
  for (std::size_t base = 0; base < count; base += 10000) {
    std::string body = R"({"participants":[)";
    const std::size_t end = std::min(count, base + 10000);
    for (std::size_t i = base; i < end; ++i) {
      if (i != base) body += ',';
      body += R"({"address":"sip:u)" + std::to_string(i) + R"(@example.com"})";
    }
    body += "]}";
    client::http_reply r =
        client::http_request(port, "POST", "/v1/conferences/" + conf + "/participants:batch", body);
    if (r.status != 201) return false;
    for (std::size_t at = r.body.find("\"path\":\""); at != std::string::npos;
         at = r.body.find("\"path\":\"", at + 1)) {
      const std::size_t from = at + 8;
      out.push_back({r.body.substr(from, r.body.find('"', from) - from)});
    }
  }
  return out.size() == count;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t participants = std::size_t(flag_int(argc, argv, "--participants", 100000));
  const std::size_t senders = std::size_t(flag_int(argc, argv, "--senders", 50));
  const double rate_each = flag_double(argc, argv, "--rate-each", 5);
  const double duration = flag_double(argc, argv, "--duration", 20);
  const std::size_t bind_batch = std::size_t(flag_int(argc, argv, "--bind-batch", 100));
  const std::string label = flag(argc, argv, "--label", client::heraldd_path());

  client::daemon_process d;
  if (!d.start({"--shards", "2"})) {
    std::fprintf(stderr, "heraldd did not start:\n%s\n", d.log().c_str());
    return 1;
  }
  const std::uint16_t api = d.control_port();
  client::http_reply c =
      client::http_request(api, "POST", "/v1/conferences", R"({"uri":"sip:lock@example.com"})");
  const std::string conf = client::json_field(c.body, "id");
  std::vector<participant> people;
  if (c.status != 201 || !register_participants(api, conf, participants, people)) {
    std::fprintf(stderr, "registration failed\n");
    return 1;
  }

  // The senders: 10 sessions per connection, like a gateway; they also receive each other's messages.
  std::vector<std::unique_ptr<client::msrp_peer>> sender_peers;
  for (std::size_t i = 0; i < senders; i += 10) {
    auto p = std::make_unique<client::msrp_peer>();
    p->tag = "s" + std::to_string(i);
    if (p->connect(d.msrp_port()) != 0) return 1;
    std::vector<std::string> paths;
    for (std::size_t k = i; k < std::min(senders, i + 10); ++k) paths.push_back(people[k].path);
    for (int s : p->bind(paths))
      if (s != 200) return 1;
    sender_peers.push_back(std::move(p));
  }

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> messages_sent{0}, messages_accepted{0}, binds{0}, bind_failures{0};
  std::vector<double> api_ms;

  std::thread send_thread([&] {
    const double interval = 1.0 / (rate_each * double(senders));
    double next = now_s();
    std::size_t who = 0;
    std::uint64_t accepted = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (auto& p : sender_peers) {
        p->pump_once(0);
        for (const auto& r : p->responses) accepted += r.status == 200;
        p->responses.clear();
        p->sends.clear();
      }
      const double now = now_s();
      if (now < next) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      next += interval;
      client::msrp_peer& p = *sender_peers[who / 10];
      p.send(people[who].path, "text/plain", "hello from a participant");
      messages_sent.fetch_add(1, std::memory_order_relaxed);
      who = (who + 1) % senders;
      messages_accepted.store(accepted, std::memory_order_relaxed);
    }
  });

  std::thread api_thread([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const double t0 = now_s();
      client::http_reply r = client::http_request(api, "GET", "/v1/conferences/" + conf);
      if (r.status == 200) api_ms.push_back((now_s() - t0) * 1000);
    }
  });

  // Binds in batches on a fresh connection each time, over sessions nobody else uses; closing the
  // connection unbinds them, and the batches cycle through the pool.
  std::thread bind_thread([&] {
    std::size_t next = senders;
    const std::size_t pool_end = std::min(people.size(), senders + 20000);
    while (!stop.load(std::memory_order_relaxed)) {
      client::msrp_peer p;
      p.tag = "b" + std::to_string(next);
      if (p.connect(d.msrp_port()) != 0) break;
      std::vector<std::string> paths;
      for (std::size_t k = 0; k < bind_batch; ++k) {
        paths.push_back(people[next].path);
        next = next + 1 < pool_end ? next + 1 : senders;
      }
      for (int s : p.bind(paths)) (s == 200 ? binds : bind_failures).fetch_add(1, std::memory_order_relaxed);
    }
  });

  const double t0 = now_s();
  const double cpu0 = process_cpu_s(d.pid());
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(duration * 1000)));
  const std::uint64_t bound = binds.load();
  const double elapsed = now_s() - t0;
  const double cpu = process_cpu_s(d.pid()) - cpu0;
  stop = true;
  send_thread.join();
  api_thread.join();
  bind_thread.join();
  const std::uint64_t sent = messages_sent.load();
  std::printf(
      "{\"heraldd\":\"%s\",\"participants\":%zu,\"senders\":%zu,\"messages_per_s\":%.1f,\"accepted\":%.3f,"
      "\"api_requests\":%zu,\"api_p50_ms\":%.2f,\"api_p99_ms\":%.2f,\"api_max_ms\":%.2f,\"binds_per_s\":%.0f,"
      "\"bind_failures\":%llu,\"heraldd_cpu_cores\":%.2f}\n",
      label.c_str(), participants, senders, double(sent) / elapsed,
      sent ? double(messages_accepted.load()) / double(sent) : 0.0, api_ms.size(), percentile(api_ms, 0.5),
      percentile(api_ms, 0.99), api_ms.empty() ? 0.0 : *std::max_element(api_ms.begin(), api_ms.end()),
      double(bound) / elapsed, static_cast<unsigned long long>(bind_failures.load()), cpu / elapsed);
  d.stop();
  return 0;
}
