// 200 INVITEs, 10 calls open at any time (SIPp -l 10), each joining, staying 500 ms and hanging up: every
// one is answered 200 with Herald's SDP and every participant is gone once the calls ended.
#include <gtest/gtest.h>

#include <cstdio>

#include "sip_fixture.hpp"

namespace herald::sip_test {
namespace {

class SipConcurrentCalls : public SipTest {};

TEST_F(SipConcurrentCalls, TwoHundredInvitesTenAtATimeAreAllAnswered) {
  constexpr int kCalls = 200;
  std::vector<std::string> rows;
  for (int i = 0; i < kCalls; ++i) {
    char caller[16];
    std::snprintf(caller, sizeof caller, "u%03d", i);
    rows.push_back(row("team", caller));
  }
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-then-bye", rows,
                         {"-m", std::to_string(kCalls), "-l", "10", "-r", "100", "-d", "500"}));
  // Sample how many are in the conference at once while the calls run.
  std::int64_t most = 0;
  int status = -1;
  while ((status = sipp.wait(0)) == -1) {
    most = std::max(most, stack.participant_count());
    ::usleep(20000);
  }
  EXPECT_EQ(status, 0) << sipp.report() << stack.logs();
  EXPECT_TRUE(sipp.wait_log("ANSWERED caller=", kCalls, 0)) << sipp.report();
  EXPECT_FALSE(sipp.wait_log("ANSWERED caller=", kCalls + 1, 0));
  EXPECT_TRUE(sipp.wait_log("ANSWERED caller=u199 ", 1, 0));
  EXPECT_GE(most, 10) << "the calls did not overlap";
  EXPECT_LE(most, 11);  // a call's BYE is answered before its removal reaches Herald
  const std::uint64_t deadline = now_ms() + 10000;
  while (stack.participant_count() != 0 && now_ms() < deadline) ::usleep(20000);
  EXPECT_EQ(stack.participant_count(), 0);
}

}  // namespace
}  // namespace herald::sip_test
