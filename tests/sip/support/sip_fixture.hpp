// The gtest fixture of the `sip` tests: a started sip_stack, helpers for what every test does with it.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "sip_stack.hpp"

namespace herald::sip_test {

class SipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(stack.start(why, kamailio_flags())) << why;
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << stack.logs() << "\n";
    stack.stop();
  }
  // More deploy/kamailio/start.sh flags a test's fixture wants.
  virtual std::vector<std::string> kamailio_flags() const { return {}; }

  // One injection row: conference user, caller user, the caller's MSRP URI (SIPp adds ";tcp").
  static std::string row(const std::string& conference_user, const std::string& caller) {
    return conference_user + ";" + caller + ";msrp://127.0.0.1:7394/" + caller + "-s1";
  }
  static std::string offered_path(const std::string& caller) {
    return "msrp://127.0.0.1:7394/" + caller + "-s1;tcp";
  }

  // Waits for SIPp's ANSWERED line for `caller`; the path Herald answered (a=path of the 200), or empty.
  std::string answered_path(sipp_process& sipp, const std::string& caller) {
    if (!sipp.wait_log("ANSWERED caller=" + caller + " ")) return {};
    return sipp.log_value("ANSWERED caller=" + caller + " ", "herald_path");
  }
  // Connects `peer` to the host and port of `herald_path` (which must be heraldd's MSRP listener).
  void connect_to_path(msrp_peer& peer, const std::string& herald_path) {
    const std::string prefix = "msrp://127.0.0.1:";
    ASSERT_EQ(herald_path.rfind(prefix, 0), 0u) << herald_path;
    const std::uint16_t port = static_cast<std::uint16_t>(std::stoul(herald_path.substr(prefix.size())));
    ASSERT_EQ(port, stack.herald.msrp_port()) << herald_path;
    ASSERT_EQ(peer.connect(port), 0);
  }
  http_reply post_system_message(const std::string& body) {
    return stack.api("POST", "/v1/conferences/" + stack.conference_id + "/messages",
                     R"({"content_type":"text/plain","body":")" + body + R"("})");
  }

  sip_stack stack;
};

}  // namespace herald::sip_test
