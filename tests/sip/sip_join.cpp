// A SIP client joins through Kamailio: INVITE with an MSRP offer, 200 with Herald's SDP answer and a focus
// Contact, ACK; its MSRP client binds the answered path and receives what the conference sends, CPIM To
// being the identity Kamailio passed (From, or a trusted hop's P-Asserted-Identity). Only the offered path
// may bind. The conference factory creates an ad-hoc conference.
#include <gtest/gtest.h>

#include "herald/cpim/parser.hpp"
#include "sip_fixture.hpp"

namespace herald::sip_test {
namespace {

class SipJoin : public SipTest {};

TEST_F(SipJoin, AnsweredOfferBindsAndReceivesWithTheSipIdentity) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-wait-bye", {row("team", "alice")}));
  const std::string path = answered_path(sipp, "alice");
  ASSERT_FALSE(path.empty()) << sipp.report();
  EXPECT_EQ(sipp.log_value("ANSWERED caller=alice ", "focus"), "isfocus") << sipp.log();
  EXPECT_EQ(sipp.log_value("ANSWERED caller=alice ", "focus_user"), "team") << sipp.log();

  // The participant Kamailio registered: From's address, the dialog, the offered path as its peer.
  const std::string p = stack.participant_with_path(path);
  ASSERT_FALSE(p.empty())
      << stack.api("GET", "/v1/conferences/" + stack.conference_id + "/participants").body;
  EXPECT_EQ(json_field(p, "address"), "sip:alice@example.com") << p;
  EXPECT_EQ(json_field(p, "display_name"), "alice") << p;
  EXPECT_EQ(json_field(p, "peer_path"), offered_path("alice")) << p;
  EXPECT_EQ(json_field(p, "sip_call_id"), sipp.log_value("ANSWERED caller=alice ", "call_id")) << p;

  // The answer SIPp received is Herald's: MSRP over TCP on heraldd's port, passive, sizes and types.
  ASSERT_TRUE(sipp.wait_log("ANSWERED"));
  const std::string messages = sipp.report();
  for (const std::string& line :
       {"m=message " + std::to_string(stack.herald.msrp_port()) + " TCP/MSRP *",
        std::string("c=IN IP4 127.0.0.1"), std::string("a=accept-types:message/cpim *"),
        std::string("a=accept-wrapped-types:*"), std::string("a=setup:passive"), std::string("a=max-size:"),
        "a=path:" + path})
    EXPECT_NE(messages.find(line), std::string::npos) << line << "\n" << messages;

  msrp_peer peer;
  peer.tag = "alice";
  ASSERT_NO_FATAL_FAILURE(connect_to_path(peer, path));
  ASSERT_EQ(peer.bind_from(path, offered_path("alice")), 200);
  ASSERT_EQ(post_system_message("hello from the focus").status, 202);
  ASSERT_TRUE(peer.pump_until([&] { return !peer.sends.empty(); }, 10000)) << stack.logs();
  EXPECT_EQ(peer.sends[0].to_path, offered_path("alice"));
  EXPECT_EQ(peer.sends[0].from_path, path);
  cpim::message m;
  ASSERT_EQ(cpim::parse_final(peer.sends[0].body, m), cpim::parse_error::ok) << peer.sends[0].body;
  EXPECT_EQ(m.find(cpim::header_kind::to)->addr.uri, "sip:alice@example.com");
  EXPECT_EQ(m.find(cpim::header_kind::from)->addr.uri, "sip:team@example.com");
  EXPECT_EQ(m.body, "hello from the focus");

  // The call ends from the conference side (the test's way to stop the scenario).
  const std::string pid = json_field(p, "id");
  ASSERT_EQ(stack.api("DELETE", "/v1/conferences/" + stack.conference_id + "/participants/" + pid).status,
            204);
  EXPECT_EQ(sipp.wait(20000), 0) << sipp.report() << stack.logs();
}

TEST_F(SipJoin, FromPathOtherThanTheOfferedOneIs403) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-wait-bye", {row("team", "bob")}));
  const std::string path = answered_path(sipp, "bob");
  ASSERT_FALSE(path.empty()) << sipp.report();
  msrp_peer peer;
  peer.tag = "mallory";
  ASSERT_NO_FATAL_FAILURE(connect_to_path(peer, path));
  EXPECT_EQ(peer.bind_from(path, "msrp://127.0.0.1:7394/mallory-s1;tcp"), 403);
  EXPECT_EQ(peer.bind_from(path, "msrp://127.0.0.1:7395/bob-s1;tcp"), 403);  // other port
  EXPECT_EQ(peer.bind_from(path, offered_path("bob")), 200);
  const std::string pid = json_field(stack.participant_with_path(path), "id");
  ASSERT_EQ(stack.api("DELETE", "/v1/conferences/" + stack.conference_id + "/participants/" + pid).status,
            204);
  EXPECT_EQ(sipp.wait(20000), 0) << sipp.report();
}

TEST_F(SipJoin, ApiDeleteSendsTheClientABye) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-wait-bye", {row("team", "carol")}));
  const std::string path = answered_path(sipp, "carol");
  ASSERT_FALSE(path.empty()) << sipp.report();
  const std::string pid = json_field(stack.participant_with_path(path), "id");
  ASSERT_FALSE(pid.empty());
  ASSERT_EQ(stack.api("DELETE", "/v1/conferences/" + stack.conference_id + "/participants/" + pid).status,
            204);
  // The scenario checks the BYE's tags against its dialog (From = the 200's To tag, To = its own).
  ASSERT_TRUE(sipp.wait_log("GOT-BYE caller=carol ")) << sipp.report() << stack.logs();
  EXPECT_EQ(sipp.wait(20000), 0) << sipp.report();
  const std::string metrics = stack.api("GET", "/metrics").body;
  EXPECT_NE(metrics.find("herald_sip_byes_total{result=\"sent\"} 1"), std::string::npos) << metrics;
}

// The INVITE's P-Asserted-Identity (sip:<caller>.asserted@example.com in join-wait-bye) names the
// participant only when it comes from the trusted hop; SipJoin above shows From being used otherwise.
class SipTrustedPai : public SipTest {
  std::vector<std::string> kamailio_flags() const override { return {"--trusted-pai-from", "127.0.0.1"}; }
};

TEST_F(SipTrustedPai, AssertedIdentityFromTheTrustedHopIsTheParticipantsAddress) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-wait-bye", {row("team", "frank")}));
  const std::string path = answered_path(sipp, "frank");
  ASSERT_FALSE(path.empty()) << sipp.report();
  const std::string p = stack.participant_with_path(path);
  EXPECT_EQ(json_field(p, "address"), "sip:frank.asserted@example.com") << p;
  msrp_peer peer;
  peer.tag = "frank";
  ASSERT_NO_FATAL_FAILURE(connect_to_path(peer, path));
  ASSERT_EQ(peer.bind_from(path, offered_path("frank")), 200);
  ASSERT_EQ(post_system_message("to the asserted one").status, 202);
  ASSERT_TRUE(peer.pump_until([&] { return !peer.sends.empty(); }, 10000));
  cpim::message m;
  ASSERT_EQ(cpim::parse_final(peer.sends[0].body, m), cpim::parse_error::ok);
  EXPECT_EQ(m.find(cpim::header_kind::to)->addr.uri, "sip:frank.asserted@example.com");
  ASSERT_EQ(
      stack.api("DELETE", "/v1/conferences/" + stack.conference_id + "/participants/" + json_field(p, "id"))
          .status,
      204);
  EXPECT_EQ(sipp.wait(20000), 0) << sipp.report();
}

class SipFactory : public SipTest {
  std::vector<std::string> kamailio_flags() const override { return {"--factory", "factory"}; }
};

TEST_F(SipFactory, InviteToTheFactoryCreatesAConferenceAndNamesItInTheContact) {
  sipp_process sipp;
  ASSERT_TRUE(sipp.start(stack.sip_port, "join-wait-bye", {row("factory", "dave")}));
  const std::string path = answered_path(sipp, "dave");
  ASSERT_FALSE(path.empty()) << sipp.report() << stack.logs();
  const std::string user = sipp.log_value("ANSWERED caller=dave ", "focus_user");
  ASSERT_FALSE(user.empty());
  EXPECT_NE(user, "factory");
  http_reply c = stack.api("GET", "/v1/conferences?uri=sip:" + user + "@example.com");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(json_int(c.body, "participant_count"), 1) << c.body;
  // A second factory call is a second conference.
  sipp_process second;
  ASSERT_TRUE(second.start(stack.sip_port, "join-wait-bye", {row("factory", "erin")}));
  ASSERT_FALSE(answered_path(second, "erin").empty()) << second.report();
  EXPECT_NE(second.log_value("ANSWERED caller=erin ", "focus_user"), user);
  // The factory's conferences live until the API deletes them; deleting one ends its dialogs (BYE).
  ASSERT_EQ(stack.api("DELETE", "/v1/conferences/" + json_field(c.body, "id")).status, 204);
  EXPECT_EQ(sipp.wait(20000), 0) << sipp.report() << stack.logs();
  http_reply c2 =
      stack.api("GET", "/v1/conferences?uri=sip:" + second.log_value("ANSWERED caller=erin ", "focus_user") +
                           "@example.com");
  ASSERT_EQ(c2.status, 200) << c2.body;
  ASSERT_EQ(stack.api("DELETE", "/v1/conferences/" + json_field(c2.body, "id")).status, 204);
  EXPECT_EQ(second.wait(20000), 0) << second.report();
}

}  // namespace
}  // namespace herald::sip_test
