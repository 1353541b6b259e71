// Faults mid-fan-out (close, reset, half-close, slow consumer, conference deleted, participant removed):
// the recipients affected fail with their reason, every other one is delivered, and afterwards heraldd's
// per-message state gauges return to their baseline and its RSS stays within a stated bound of a warm-up.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <functional>
#include <map>

#include "conference_fixture.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

// Sum of every sample of `name` (all shards/labels) in a Prometheus text body; -1 when absent.
std::int64_t metric_sum(const std::string& text, std::string_view name) {
  std::int64_t sum = -1;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    at = end + 1;
    if (line.substr(0, name.size()) != name || line.size() == name.size()) continue;
    char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    std::size_t sp = line.rfind(' ');
    sum = (sum < 0 ? 0 : sum) + std::atoll(std::string(line.substr(sp + 1)).c_str());
  }
  return sum;
}

// The gauges that hold per-message, per-connection or per-conference state. Each must come back to its
// value before a scenario once the scenario's peers are closed, its conference deleted and
// --message-retention has passed.
const std::vector<std::string_view> kStateGauges = {
    "herald_messages_tracked",   "herald_message_records_live", "herald_outbound_slices",
    "herald_fanout_templates",   "herald_fanout_body_bytes",    "herald_deliveries_pending",
    "herald_pending_counters",   "herald_conferences",          "herald_participants",
    "herald_participants_bound", "herald_connections",          "herald_sessions",
    "herald_queue_bytes",        "herald_reassembly_bytes",     "herald_api_connections",
    "herald_stamp_backlog",
};

using gauge_values = std::map<std::string_view, std::int64_t>;

gauge_values read_gauges(std::uint16_t control_port) {
  gauge_values out;
  http_reply r = http_request(control_port, "GET", "/metrics");
  for (std::string_view g : kStateGauges) out[g] = r.status == 200 ? metric_sum(r.body, g) : -2;
  return out;
}

std::string describe(const gauge_values& now, const gauge_values& want) {
  std::string s;
  for (const auto& [name, v] : want)
    if (now.at(name) != v)
      s += std::string(name) + "=" + std::to_string(now.at(name)) + " (want " + std::to_string(v) + ") ";
  return s;
}

// Polls /metrics until every state gauge equals `want` (shards publish every 100 ms, records expire on the
// API's 250 ms tick after --message-retention). Returns what differs, empty on success.
std::string wait_gauges(std::uint16_t control_port, const gauge_values& want, int timeout_ms) {
  std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  gauge_values now;
  do {
    now = read_gauges(control_port);
    if (now == want) return {};
    ::poll(nullptr, 0, 50);
  } while (now_ms() < deadline);
  return describe(now, want);
}

// One conference on a shared heraldd, its participants bound over peers the scenario chooses.
class conference_run {
 public:
  explicit conference_run(const daemon_process& d) : control_(d.control_port()), msrp_(d.msrp_port()) {}
  ~conference_run() { finish(); }

  bool create(std::size_t n) {
    http_reply r = http_request(control_, "POST", "/v1/conferences",
                                R"({"uri":"sip:faults@example.com","display_name":"Faults"})");
    if (r.status != 201) return false;
    id = json_field(r.body, "id");
    std::string body = R"({"participants":[)";
    for (std::size_t i = 0; i < n; ++i)
      body += std::string(i ? "," : "") + R"({"address":"sip:u)" + std::to_string(i) + R"(@example.com"})";
    body += "]}";
    r = http_request(control_, "POST", "/v1/conferences/" + id + "/participants:batch", body);
    return r.status == 201 && parse_batch_reply(r.body, n, participants);
  }
  // Peer g binds the participants listed in groups[g]; rcvbuf[g] > 0 shrinks its receive buffer.
  bool bind(const std::vector<std::vector<std::size_t>>& groups,
            const std::map<std::size_t, int>& rcvbuf = {}) {
    for (std::size_t g = 0; g < groups.size(); ++g) {
      auto p = std::make_unique<msrp_peer>();
      p->tag = "f" + std::to_string(g);
      auto small = rcvbuf.find(g);
      if (p->connect(msrp_, small == rcvbuf.end() ? 0 : small->second) != 0) return false;
      std::vector<std::string> paths;
      for (std::size_t i : groups[g]) {
        participants[i].peer = g;
        paths.push_back(participants[i].path);
      }
      for (int s : p->bind(paths))
        if (s != 200) return false;
      peers.push_back(std::move(p));
    }
    return true;
  }
  std::string post(std::string_view body) {
    http_reply r = http_request(control_, "POST", "/v1/conferences/" + id + "/messages",
                                R"({"content_type":"text/plain","body":")" + std::string(body) + R"("})");
    EXPECT_EQ(r.status, 202) << r.body;
    return json_field(r.body, "id");
  }
  std::string status(const std::string& message_id) {
    return http_request(control_, "GET", "/v1/messages/" + message_id).body;
  }
  void pump(int timeout_ms) {
    std::vector<pollfd> fds;
    for (auto& p : peers)
      if (p->connected() && p->policy.read) fds.push_back({p->fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), timeout_ms);
    for (auto& p : peers)
      if (p->connected() && p->policy.read) p->pump_once(0);
  }
  template <typename Pred>
  std::string wait_status(const std::string& message_id, Pred pred, int timeout_ms = 20000) {
    std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    std::string body;
    do {
      pump(5);
      body = status(message_id);
      if (pred(body)) return body;
    } while (now_ms() < deadline);
    return body;
  }
  std::string wait_complete(const std::string& message_id, int timeout_ms = 20000) {
    return wait_status(
        message_id, [](const std::string& b) { return json_int(b, "pending") == 0; }, timeout_ms);
  }
  // Closes every peer and deletes the conference (if a scenario has not already).
  void finish() {
    peers.clear();
    if (!id.empty()) http_request(control_, "DELETE", "/v1/conferences/" + id);
    id.clear();
  }

  std::string id;
  std::vector<participant_handle> participants;
  std::vector<std::unique_ptr<msrp_peer>> peers;

 private:
  std::uint16_t control_, msrp_;
};

// Scenarios: three peers of kGroup participants each (peer 2 is the faulty one unless said otherwise).
constexpr std::size_t kGroup = 20;
std::vector<std::vector<std::size_t>> three_groups() {
  std::vector<std::vector<std::size_t>> g(3);
  for (std::size_t i = 0; i < 3 * kGroup; ++i) g[i / kGroup].push_back(i);
  return g;
}

// Checks: recipients of peer `faulty` failed with `reason`, every other one delivered.
void expect_outcome(const conference_run& run, const std::string& status, std::size_t faulty,
                    std::string_view reason) {
  std::size_t affected = 0;
  for (const auto& p : run.participants) {
    failure_entry e = failure_of(status, p.address);
    if (p.peer == faulty) {
      ++affected;
      EXPECT_TRUE(e.found) << p.address << " should have failed: " << status.substr(0, 400);
      EXPECT_EQ(e.reason, reason) << p.address;
    } else {
      EXPECT_FALSE(e.found) << p.address << " failed (" << e.reason << ") but was not affected";
    }
  }
  EXPECT_EQ(json_int(status, "failed"), static_cast<std::int64_t>(affected)) << status.substr(0, 400);
  EXPECT_EQ(json_int(status, "delivered"), static_cast<std::int64_t>(run.participants.size() - affected));
  EXPECT_EQ(json_int(status, "pending"), 0);
}

// Waits until peer `p` has received at least one SEND, pumping everyone (others answer meanwhile).
bool wait_first_send(conference_run& run, std::size_t p) {
  std::uint64_t deadline = now_ms() + 10000;
  while (run.peers[p]->sends.empty() && now_ms() < deadline) run.pump(5);
  return !run.peers[p]->sends.empty();
}

void scenario_close(const daemon_process& d) {
  conference_run run(d);
  ASSERT_TRUE(run.create(3 * kGroup));
  ASSERT_TRUE(run.bind(three_groups()));
  run.peers[2]->policy.respond_with = 0;  // nothing of peer 2 settles before it goes
  std::string id = run.post("close");
  ASSERT_TRUE(wait_first_send(run, 2));
  run.peers[2]->close();  // FIN, nothing unread left behind on our side
  expect_outcome(run, run.wait_complete(id), 2, "disconnected");
}

void scenario_reset(const daemon_process& d) {
  conference_run run(d);
  ASSERT_TRUE(run.create(3 * kGroup));
  ASSERT_TRUE(run.bind(three_groups()));
  run.peers[2]->policy.respond_with = 0;
  std::string id = run.post("reset");
  ASSERT_TRUE(wait_first_send(run, 2));
  run.peers[2]->reset();  // SO_LINGER 0: RST
  expect_outcome(run, run.wait_complete(id), 2, "disconnected");
}

// Half-close: the peer shuts down its sending side (shutdown(SHUT_WR)) but keeps reading. It can no longer
// answer any transaction (RFC 4975 §7.1: responses travel on the same connection), so heraldd treats the
// FIN as the end of the connection: it writes what it had queued, closes, and the peer's pending
// recipients fail `disconnected`. The peer still receives every SEND queued before its FIN, then EOF.
void scenario_half_close(const daemon_process& d) {
  conference_run run(d);
  ASSERT_TRUE(run.create(3 * kGroup));
  ASSERT_TRUE(run.bind(three_groups()));
  run.peers[2]->policy.respond_with = 0;
  std::string id = run.post("half-close");
  ASSERT_TRUE(wait_first_send(run, 2));
  ASSERT_EQ(::shutdown(run.peers[2]->fd(), SHUT_WR), 0);
  std::string status = run.wait_complete(id);
  expect_outcome(run, status, 2, "disconnected");
  msrp_peer& half = *run.peers[2];
  EXPECT_TRUE(half.pump_until([&] { return half.eof; }, 10000)) << "heraldd kept the half-closed connection";
  EXPECT_EQ(half.sends.size(), kGroup) << "frames queued before the FIN were not all written";
}

// A peer that stops reading: its queue passes --max-queue-bytes (64k here) once the socket buffers are
// full; it is cut loose and what it had pending fails `slow_consumer`, while the reading peer gets all.
void scenario_slow_consumer(const daemon_process& d) {
  conference_run run(d);
  ASSERT_TRUE(run.create(2));
  ASSERT_TRUE(run.bind({{0}, {1}}, {{1, 4096}}));
  run.peers[1]->policy.read = false;
  const std::string body(32 * 1024, 's');  // under the queue limit per message: only the backlog grows
  std::string first;
  failure_entry slow;
  for (int sent = 0; sent < 1000 && !slow.found; ++sent) {
    std::string id = run.post(body);
    if (first.empty()) first = id;
    std::string s = run.wait_status(id, [](const std::string& b) { return json_int(b, "delivered") == 1; });
    ASSERT_EQ(json_int(s, "delivered"), 1) << "the reading peer was held up: " << s.substr(0, 300);
    slow = failure_of(run.status(first), "sip:u1@example.com");
  }
  ASSERT_TRUE(slow.found) << "never cut loose";
  EXPECT_EQ(slow.reason, "slow_consumer");
  std::string s = run.wait_complete(first);
  EXPECT_EQ(json_int(s, "delivered"), 1) << s;
  EXPECT_EQ(json_int(s, "pending"), 0) << s;
}

void scenario_conference_deleted(const daemon_process& d) {
  conference_run run(d);
  ASSERT_TRUE(run.create(3 * kGroup));
  ASSERT_TRUE(run.bind(three_groups()));
  run.peers[2]->policy.respond_with = 0;
  std::string id = run.post("deleted");
  std::string before =
      run.wait_status(id, [](const std::string& b) { return json_int(b, "delivered") == 2 * kGroup; });
  ASSERT_EQ(json_int(before, "delivered"), static_cast<std::int64_t>(2 * kGroup)) << before;
  EXPECT_EQ(http_request(d.control_port(), "DELETE", "/v1/conferences/" + run.id).status, 204);
  run.id.clear();
  expect_outcome(run, run.wait_complete(id), 2, "conference_deleted");
}

void scenario_participant_removed(const daemon_process& d) {
  conference_run run(d);
  ASSERT_TRUE(run.create(2 * kGroup + 1));
  auto groups = three_groups();
  groups[2] = {2 * kGroup};  // the removed participant alone on its peer, which never answers
  groups[0].resize(kGroup);
  groups[1].resize(kGroup);
  ASSERT_TRUE(run.bind(groups));
  run.peers[2]->policy.respond_with = 0;
  std::string id = run.post("removed");
  ASSERT_TRUE(wait_first_send(run, 2));
  const participant_handle& gone = run.participants[2 * kGroup];
  EXPECT_EQ(http_request(d.control_port(), "DELETE", "/v1/conferences/" + run.id + "/participants/" + gone.id)
                .status,
            204);
  expect_outcome(run, run.wait_complete(id), 2, "participant_removed");
}

const std::vector<std::pair<const char*, void (*)(const daemon_process&)>> kScenarios = {
    {"close", scenario_close},
    {"reset", scenario_reset},
    {"half_close", scenario_half_close},
    {"slow_consumer", scenario_slow_consumer},
    {"conference_deleted", scenario_conference_deleted},
    {"participant_removed", scenario_participant_removed},
};

class FaultMemory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // ASan keeps freed memory in a quarantine (256 MiB, plus 1 MiB per thread, by default) so that a
    // use-after-free is caught; RSS then grows with the bytes freed, not with what is live (measured: +8 MiB
    // over passes that leak nothing). This heraldd runs without it, so its RSS tracks live memory; every
    // other e2e test keeps the quarantine. No effect on a release (mimalloc) heraldd.
    std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    asan += std::string(asan.empty() ? "" : ":") + "quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
    ::setenv("ASAN_OPTIONS", asan.c_str(), 1);
  }
  void SetUp() override {
    ASSERT_TRUE(daemon.start({"--shards", "2", "--message-retention", "500ms", "--max-queue-bytes", "64k"}))
        << daemon.log();
    baseline = read_gauges(daemon.control_port());
    for (const auto& [name, v] : baseline) ASSERT_GE(v, 0) << name << " missing from /metrics";
  }
  void TearDown() override { EXPECT_EQ(daemon.stop(), 0) << daemon.log(); }
  // Runs a scenario, then expects every state gauge back at the baseline.
  void run_and_check(void (*scenario)(const daemon_process&)) {
    scenario(daemon);
    if (HasFatalFailure()) return;
    EXPECT_EQ(wait_gauges(daemon.control_port(), baseline, 15000), "");
  }
  daemon_process daemon;
  gauge_values baseline;
};

TEST_F(FaultMemory, PeerClosesMidFanOut_ItsRecipientsFailDisconnected_StateReleased) {
  run_and_check(scenario_close);
}

TEST_F(FaultMemory, PeerResetsMidFanOut_ItsRecipientsFailDisconnected_StateReleased) {
  run_and_check(scenario_reset);
}

TEST_F(FaultMemory, PeerHalfClosesMidFanOut_QueuedFramesWrittenThenRecipientsFailDisconnected_StateReleased) {
  run_and_check(scenario_half_close);
}

TEST_F(FaultMemory, SlowConsumer_CutLooseWithSlowConsumer_OthersDelivered_StateReleased) {
  run_and_check(scenario_slow_consumer);
}

TEST_F(FaultMemory, ConferenceDeletedMidFanOut_PendingFailConferenceDeleted_CounterAndStateReleased) {
  run_and_check(scenario_conference_deleted);
}

TEST_F(FaultMemory, ParticipantRemovedMidFanOut_FailsParticipantRemoved_StateReleased) {
  run_and_check(scenario_participant_removed);
}

// Every scenario twice to warm up (allocator caches, connection tables and outbound slots reach their
// working size), then twice more: RSS after the repeats must stay within kRssBoundKiB of the RSS after the
// warm-up. Exact equality is meaningless. Measured under ASan (five runs of 4-10 passes): RSS climbs to a
// plateau with one step of 3.3-4.1 MiB at a varying pass (2nd to 4th; allocator regions and their shadow
// reaching high water), then drifts ~40 KiB a pass. 6 MiB absorbs that step; keeping the message bodies
// of one pass (~5 MiB, mostly the slow-consumer backlog) over two passes (>= 10 MiB) still fails. The
// per-message state itself is checked exactly by the gauges after every scenario; RSS is the backstop for
// what no gauge counts.
TEST_F(FaultMemory, RepeatedFaultScenarios_RssStaysWithinBoundOfWarmUp) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer's shadow memory and allocator make RSS unrelated to live memory";
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  GTEST_SKIP() << "ThreadSanitizer's shadow memory and allocator make RSS unrelated to live memory";
#endif
#endif
  constexpr long kRssBoundKiB = 6 * 1024;
  auto pass = [&](const std::string& label) {
    for (const auto& [name, scenario] : kScenarios) {
      SCOPED_TRACE(label + ": " + name);
      run_and_check(scenario);
      if (HasFatalFailure()) return;
    }
    std::printf("heraldd VmRSS after %s: %ld KiB\n", label.c_str(), daemon.rss_kib());
  };
  for (int i = 0; i < 2 && !HasFatalFailure(); ++i) pass("warm-up " + std::to_string(i + 1));
  if (HasFatalFailure()) return;
  const long warm = daemon.rss_kib();
  ASSERT_GT(warm, 0);
  for (int i = 0; i < 2 && !HasFatalFailure(); ++i) pass("pass " + std::to_string(i + 1));
  if (HasFatalFailure()) return;
  const long after = daemon.rss_kib();
  EXPECT_LE(after - warm, kRssBoundKiB) << "warm-up " << warm << " KiB, after " << after << " KiB";
}

}  // namespace
}  // namespace herald::e2e
