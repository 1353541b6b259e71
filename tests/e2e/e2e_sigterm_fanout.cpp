// SIGTERM in the middle of a 100,000-recipient fan-out, with peers that stop reading or never answer:
// heraldd exits 0 within --drain-timeout plus a margin and logs each unfinished message's final status,
// in which every recipient is delivered or failed. The control API answers status queries while draining.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>

#include "conference_fixture.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

// The daemon has exited (a zombie until daemon_process reaps it) once /proc says so, or it is gone.
bool exited(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return true;
  std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z' ||
         stat[paren + 2] == 'X';
}

// The `msg="message final status"` line heraldd logs for message `id`, or empty.
std::string final_status_line(const std::string& log, const std::string& id) {
  for (std::size_t at = log.find("msg=\"message final status\""); at != std::string::npos;
       at = log.find("msg=\"message final status\"", at + 1)) {
    std::size_t begin = log.rfind('\n', at) + 1;  // npos + 1 == 0 for the first line
    std::size_t end = log.find('\n', at);
    std::string line = log.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (line.find(" id=" + id + " ") != std::string::npos) return line;
  }
  return {};
}

// key=<integer> in a log line; -1 when absent.
std::int64_t log_int(const std::string& line, const std::string& key) {
  std::size_t at = line.find(" " + key + "=");
  if (at == std::string::npos) return -1;
  return std::atoll(line.c_str() + at + key.size() + 2);
}

class SigtermFanOut : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kDrainMs = 2000;
  // Stopping after the deadline (failing what is left on each shard, closing every connection, freeing
  // the directory) must not take long either; measured well under 2 s under ASan for 10^5 recipients.
  static constexpr std::uint64_t kMarginMs = 5000;

  // `participants` over `connections`; the first `silent` connections stop reading and the next `mute`
  // ones read but never answer, so the drain cannot finish by itself.
  void run(std::size_t participants, std::size_t connections, std::size_t silent, std::size_t mute) {
    std::uint64_t t_setup = now_ms();
    ASSERT_TRUE(f.start({"--shards", "2", "--drain-timeout", std::to_string(kDrainMs) + "ms",
                         "--transaction-timeout", "60s"}))
        << f.daemon.log();
    ASSERT_TRUE(f.create(participants));
    ASSERT_TRUE(f.connect_all(connections));
    for (std::size_t c = 0; c < silent; ++c) f.peers[c]->policy.read = false;
    for (std::size_t c = silent; c < silent + mute; ++c) f.peers[c]->policy.respond_with = 0;
    std::printf("setup (%zu participants bound over %zu connections): %llu ms\n", participants, connections,
                static_cast<unsigned long long>(now_ms() - t_setup));

    http_reply r = f.post_message(R"({"content_type":"text/plain","body":"shutting down soon"})");
    ASSERT_EQ(r.status, 202) << r.body;
    ASSERT_EQ(::kill(f.daemon.pid(), SIGTERM), 0);
    const std::uint64_t t_signal = now_ms();
    const std::string id = json_field(r.body, "id");

    // The answering peers keep answering while heraldd drains; the API may already be gone, so only
    // the process's exit is awaited.
    const std::uint64_t deadline = t_signal + kDrainMs + kMarginMs + 20000;
    while (!exited(f.daemon.pid()) && now_ms() < deadline) {
      f.pump_some(5);
      for (auto& p : f.peers) p->sends.clear();  // 10^5 received SENDs need not stay in memory
    }
    const std::uint64_t took = now_ms() - t_signal;
    std::printf("SIGTERM to exit: %llu ms (drain timeout %llu ms)\n", static_cast<unsigned long long>(took),
                static_cast<unsigned long long>(kDrainMs));
    EXPECT_EQ(f.daemon.stop(1000), 0) << f.daemon.log().substr(0, 2000);
    EXPECT_LE(took, kDrainMs + kMarginMs);

    const std::string log = f.daemon.log();
    const std::string line = final_status_line(log, id);
    ASSERT_FALSE(line.empty()) << "no final status logged for " << id << "\n" << log.substr(0, 3000);
    std::printf("%s\n", line.c_str());
    const auto n = static_cast<std::int64_t>(participants);
    EXPECT_EQ(log_int(line, "recipients"), n) << line;
    EXPECT_EQ(log_int(line, "pending"), 0) << line;
    const std::int64_t delivered = log_int(line, "delivered"), failed = log_int(line, "failed");
    EXPECT_EQ(delivered + failed, n) << line;
    // Those that could not answer can only have failed, and at shutdown.
    const auto stuck = static_cast<std::int64_t>((silent + mute) * (participants / connections));
    EXPECT_GE(failed, stuck) << line;
    EXPECT_EQ(log_int(line, "failed_shutdown"), failed) << line;
    EXPECT_NE(log.find("msg=\"stopped\""), std::string::npos);
  }
  conference_fixture f;
};

TEST_F(SigtermFanOut, HundredThousandRecipients_ExitsWithinDrainTimeout_EveryRecipientDeliveredOrFailed) {
  run(100000, 1000, 10, 50);
}

TEST_F(SigtermFanOut, WhileDraining_MessageStatusStillAnswered) {
  ASSERT_TRUE(f.start({"--shards", "2", "--drain-timeout", "3s"})) << f.daemon.log();
  ASSERT_TRUE(f.create(4));
  ASSERT_TRUE(f.connect_all(2));
  f.peers[1]->policy.respond_with = 0;  // u1, u3 stay pending through the drain
  http_reply r = f.post_message(R"({"content_type":"text/plain","body":"x"})");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string id = json_field(r.body, "id");
  ASSERT_TRUE(f.pump_all_until([&] { return f.total_sends() == 4; }, 10000));
  ASSERT_EQ(::kill(f.daemon.pid(), SIGTERM), 0);
  // Polled: the signal is handled asynchronously; healthz turns 503 once the drain has begun.
  std::uint64_t deadline = now_ms() + 2000;
  while (http_request(f.daemon.control_port(), "GET", "/healthz").status != 503 && now_ms() < deadline) {
  }
  http_reply status = f.message_status(id);
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(json_int(status.body, "pending"), 2) << status.body;
  EXPECT_EQ(f.daemon.stop(10000), 0) << f.daemon.log();
  const std::string line = final_status_line(f.daemon.log(), id);
  EXPECT_EQ(log_int(line, "delivered"), 2) << f.daemon.log();
  EXPECT_EQ(log_int(line, "failed_shutdown"), 2) << f.daemon.log();
}

}  // namespace
}  // namespace herald::e2e
