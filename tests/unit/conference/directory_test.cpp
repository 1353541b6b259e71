// directory: registration, binding rules and fan-out plans.
#include "herald/conference/directory.hpp"

#include <gtest/gtest.h>

namespace herald::conference {
namespace {

std::vector<std::string> addresses_of(const fanout_plan& plan) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < plan.recipients(); ++i)
    out.push_back(plan.members_of->addresses[plan.everyone ? i : plan.members[i]]);
  return out;
}

struct Fixture : ::testing::Test {
  directory dir;
  conference_info conf;
  void SetUp() override { ASSERT_EQ(dir.create_conference("sip:team@example.com", "Team", conf), directory_error::ok); }
  participant add(std::string address) {
    participant p;
    EXPECT_EQ(dir.add_participant(conf.id, std::move(address), "", p), directory_error::ok);
    return p;
  }
};

TEST_F(Fixture, SessionIdsHaveAtLeast80BitsOfAlnum) {
  participant p = add("sip:alice@example.com");
  EXPECT_GE(p.session_id.size() * 5.95, 80.0);
  for (char c : p.session_id) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
}

TEST_F(Fixture, DuplicateAddressIsRejected) {
  add("sip:alice@example.com");
  participant p;
  EXPECT_EQ(dir.add_participant(conf.id, "sip:alice@example.com", "", p), directory_error::duplicate_address);
}

TEST_F(Fixture, UnknownConferenceIsReported) {
  participant p;
  EXPECT_EQ(dir.add_participant("nope", "sip:a@b", "", p), directory_error::no_such_conference);
}

TEST_F(Fixture, BindUnknownSessionFails) {
  session_grant g;
  EXPECT_EQ(dir.bind("AAAAAAAAAAAAAAAAAAAAAA", binding{0, 1, 1}, g), directory_error::no_such_session);
}

TEST_F(Fixture, BindReturnsParticipantAndRebindElsewhereIsRefused) {
  participant p = add("sip:alice@example.com");
  session_grant g;
  ASSERT_EQ(dir.bind(p.session_id, binding{0, 7, 1}, g), directory_error::ok);
  EXPECT_EQ(g.address, "sip:alice@example.com");
  EXPECT_EQ(g.conference_id, conf.id);
  EXPECT_EQ(dir.bind(p.session_id, binding{0, 7, 1}, g), directory_error::ok);  // same slot: idempotent
  EXPECT_EQ(dir.bind(p.session_id, binding{1, 7, 1}, g), directory_error::session_bound_elsewhere);
  EXPECT_EQ(dir.bound_count(), 1u);
}

TEST_F(Fixture, UnbindOnlyDropsTheSameBinding) {
  participant p = add("sip:alice@example.com");
  session_grant g;
  ASSERT_EQ(dir.bind(p.session_id, binding{0, 7, 1}, g), directory_error::ok);
  dir.unbind(p.session_id, binding{0, 7, 2});
  EXPECT_EQ(dir.bound_count(), 1u);
  dir.unbind(p.session_id, binding{0, 7, 1});
  EXPECT_EQ(dir.bound_count(), 0u);
  EXPECT_EQ(dir.bind(p.session_id, binding{1, 3, 1}, g), directory_error::ok);
}

TEST_F(Fixture, PlanAllExcludesSenderAndKeepsOrder) {
  participant a = add("sip:a@x"), b = add("sip:b@x"), c = add("sip:c@x");
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, {}, b.id, plan), directory_error::ok);
  ASSERT_EQ(addresses_of(plan), (std::vector<std::string>{"sip:a@x", "sip:c@x"}));
  EXPECT_EQ(plan.targets[1].recipient, 1u);
  EXPECT_EQ(plan.conference_uri, "sip:team@example.com");
}

TEST_F(Fixture, PlanSubsetListsUnknownAndDeduplicates) {
  add("sip:a@x");
  add("sip:b@x");
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, {"sip:b@x", "sip:zz@x", "sip:b@x"}, "", plan), directory_error::ok);
  EXPECT_EQ(addresses_of(plan), (std::vector<std::string>{"sip:b@x"}));
  EXPECT_EQ(plan.unknown, (std::vector<std::string>{"sip:zz@x"}));
}

TEST_F(Fixture, PlansShareOneRosterUntilMembershipChanges) {
  add("sip:a@x");
  add("sip:b@x");
  fanout_plan first, second, third;
  ASSERT_EQ(dir.plan(conf.id, {}, "", first), directory_error::ok);
  ASSERT_EQ(dir.plan(conf.id, {}, "", second), directory_error::ok);
  EXPECT_TRUE(first.everyone);
  EXPECT_EQ(first.members_of.get(), second.members_of.get());
  add("sip:c@x");
  ASSERT_EQ(dir.plan(conf.id, {}, "", third), directory_error::ok);
  EXPECT_NE(third.members_of.get(), first.members_of.get());
  EXPECT_EQ(addresses_of(third), (std::vector<std::string>{"sip:a@x", "sip:b@x", "sip:c@x"}));
  EXPECT_EQ(addresses_of(first), (std::vector<std::string>{"sip:a@x", "sip:b@x"}));  // old snapshot intact
}

TEST_F(Fixture, RemovalKeepsRosterPositionsConsistent) {
  add("sip:a@x");
  participant b = add("sip:b@x");
  add("sip:c@x");
  add("sip:d@x");
  binding unbound;
  ASSERT_EQ(dir.remove_participant(conf.id, b.id, unbound), directory_error::ok);
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, {"sip:d@x", "sip:a@x", "sip:c@x"}, "", plan), directory_error::ok);
  EXPECT_EQ(addresses_of(plan), (std::vector<std::string>{"sip:d@x", "sip:a@x", "sip:c@x"}));
}

TEST_F(Fixture, SenderAloneHasNoRecipients) {
  participant a = add("sip:a@x");
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, {}, a.id, plan), directory_error::ok);
  EXPECT_FALSE(plan.everyone);
  EXPECT_EQ(plan.recipients(), 0u);
  EXPECT_TRUE(plan.targets.empty());
}

TEST_F(Fixture, RemoveParticipantReturnsItsBindingAndForgetsSession) {
  participant p = add("sip:alice@example.com");
  session_grant g;
  ASSERT_EQ(dir.bind(p.session_id, binding{1, 2, 3}, g), directory_error::ok);
  binding unbound;
  ASSERT_EQ(dir.remove_participant(conf.id, p.id, unbound), directory_error::ok);
  EXPECT_EQ(unbound.shard, 1);
  EXPECT_EQ(dir.bind(p.session_id, binding{1, 2, 3}, g), directory_error::no_such_session);
  EXPECT_EQ(dir.participant_count(), 0u);
}

TEST_F(Fixture, DeleteConferenceReturnsBoundSessions) {
  participant a = add("sip:a@x");
  add("sip:b@x");
  session_grant g;
  ASSERT_EQ(dir.bind(a.session_id, binding{0, 1, 1}, g), directory_error::ok);
  std::vector<binding> unbound;
  ASSERT_EQ(dir.delete_conference(conf.id, unbound), directory_error::ok);
  EXPECT_EQ(unbound.size(), 1u);
  EXPECT_EQ(dir.conference_count(), 0u);
  EXPECT_EQ(dir.bind(a.session_id, binding{0, 1, 1}, g), directory_error::no_such_session);
}

TEST(Directory, LimitsAreEnforcedAtTheirEdge) {
  directory dir(directory_limits{1, 2});
  conference_info c;
  ASSERT_EQ(dir.create_conference("sip:a@x", "", c), directory_error::ok);
  conference_info c2;
  EXPECT_EQ(dir.create_conference("sip:b@x", "", c2), directory_error::too_many_conferences);
  participant p;
  EXPECT_EQ(dir.add_participant(c.id, "sip:1@x", "", p), directory_error::ok);
  EXPECT_EQ(dir.add_participant(c.id, "sip:2@x", "", p), directory_error::ok);
  EXPECT_EQ(dir.add_participant(c.id, "sip:3@x", "", p), directory_error::too_many_participants);
}

TEST_F(Fixture, ListParticipantsPages) {
  for (int i = 0; i < 5; ++i) add("sip:" + std::to_string(i) + "@x");
  std::vector<participant> page;
  ASSERT_EQ(dir.list_participants(conf.id, 2, 2, page), directory_error::ok);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].address, "sip:2@x");
  EXPECT_EQ(page[1].address, "sip:3@x");
}

}  // namespace
}  // namespace herald::conference

namespace herald::conference {
namespace {

TEST(DirectoryBatch, AddsAllOrNothing) {
  directory dir;
  conference_info c;
  ASSERT_EQ(dir.create_conference("sip:c@x", "", c), directory_error::ok);
  std::vector<participant> out;
  std::string dup;
  ASSERT_EQ(dir.add_participants(c.id, {{"sip:a@x", "A"}, {"sip:b@x", ""}}, out, dup), directory_error::ok);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].display_name, "A");
  out.clear();
  EXPECT_EQ(dir.add_participants(c.id, {{"sip:c@x", ""}, {"sip:a@x", ""}}, out, dup),
            directory_error::duplicate_address);
  EXPECT_EQ(dup, "sip:a@x");
  EXPECT_EQ(dir.add_participants(c.id, {{"sip:d@x", ""}, {"sip:d@x", ""}}, out, dup),
            directory_error::duplicate_address);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(dir.participant_count(), 2u);
}

}  // namespace
}  // namespace herald::conference
