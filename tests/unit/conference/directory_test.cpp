// directory: registration, binding rules and fan-out plans.
#include "herald/conference/directory.hpp"

#include <gtest/gtest.h>

namespace herald::conference {
namespace {

std::vector<std::string> addresses_of(const fanout_plan& plan) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < plan.recipients(); ++i)
    out.push_back(plan.members_of->addresses[plan.who.roster_index(i)]);
  return out;
}

struct Fixture : ::testing::Test {
  directory dir;
  conference_info conf;
  void SetUp() override {
    ASSERT_EQ(dir.create_conference("sip:team@example.com", "Team", conf), directory_error::ok);
  }
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
  ASSERT_EQ(dir.plan(conf.id, {}, b.member, plan), directory_error::ok);
  ASSERT_EQ(addresses_of(plan), (std::vector<std::string>{"sip:a@x", "sip:c@x"}));
  EXPECT_EQ(plan.targets[1].recipient, 1u);
  EXPECT_EQ(plan.conference_uri, "sip:team@example.com");
}

TEST_F(Fixture, PlanSubsetListsUnknownAndDeduplicates) {
  add("sip:a@x");
  add("sip:b@x");
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, {"sip:b@x", "sip:zz@x", "sip:b@x"}, member_ref{}, plan), directory_error::ok);
  EXPECT_EQ(addresses_of(plan), (std::vector<std::string>{"sip:b@x"}));
  EXPECT_EQ(plan.unknown, (std::vector<std::string>{"sip:zz@x"}));
}

TEST_F(Fixture, PlansShareOneRosterUntilMembershipChanges) {
  add("sip:a@x");
  add("sip:b@x");
  fanout_plan first, second, third;
  ASSERT_EQ(dir.plan(conf.id, {}, member_ref{}, first), directory_error::ok);
  ASSERT_EQ(dir.plan(conf.id, {}, member_ref{}, second), directory_error::ok);
  EXPECT_TRUE(first.who.everyone);
  EXPECT_EQ(first.members_of.get(), second.members_of.get());
  add("sip:c@x");
  ASSERT_EQ(dir.plan(conf.id, {}, member_ref{}, third), directory_error::ok);
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
  ASSERT_EQ(dir.plan(conf.id, {"sip:d@x", "sip:a@x", "sip:c@x"}, member_ref{}, plan), directory_error::ok);
  EXPECT_EQ(addresses_of(plan), (std::vector<std::string>{"sip:d@x", "sip:a@x", "sip:c@x"}));
}

TEST_F(Fixture, SenderAloneHasNoRecipients) {
  participant a = add("sip:a@x");
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, {}, a.member, plan), directory_error::ok);
  EXPECT_EQ(plan.who.excluded, 0u);
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

namespace herald::conference {
namespace {

// Lookups through the packed member storage: by session id, participant id and address, across removal,
// slot reuse and several conferences.
struct Lookups : ::testing::Test {
  directory dir;
  conference_info conf;
  void SetUp() override {
    ASSERT_EQ(dir.create_conference("sip:team@example.com", "Team", conf), directory_error::ok);
  }
  participant add(std::string address, std::string name = "", std::string_view in = {}) {
    participant p;
    EXPECT_EQ(dir.add_participant(in.empty() ? conf.id : in, std::move(address), std::move(name), p),
              directory_error::ok);
    return p;
  }
};

TEST_F(Lookups, UnbindAfterRemovalLeavesBoundCountAlone) {
  participant p = add("sip:a@x");
  add("sip:b@x");
  session_grant g;
  ASSERT_EQ(dir.bind(p.session_id, binding{0, 4, 1}, g), directory_error::ok);
  binding unbound;
  ASSERT_EQ(dir.remove_participant(conf.id, p.id, unbound), directory_error::ok);
  EXPECT_EQ(dir.bound_count(), 0u);
  dir.unbind(p.session_id, binding{0, 4, 1});  // the shard drops the session afterwards
  EXPECT_EQ(dir.bound_count(), 0u);
}

TEST_F(Lookups, UnbindAfterConferenceDeleteLeavesBoundCountAlone) {
  participant p = add("sip:a@x");
  session_grant g;
  ASSERT_EQ(dir.bind(p.session_id, binding{0, 4, 1}, g), directory_error::ok);
  std::vector<binding> unbound;
  ASSERT_EQ(dir.delete_conference(conf.id, unbound), directory_error::ok);
  dir.unbind(p.session_id, binding{0, 4, 1});
  EXPECT_EQ(dir.bound_count(), 0u);
  EXPECT_EQ(dir.participant_count(), 0u);
}

TEST_F(Lookups, ReusedStorageDoesNotRevivePreviousSession) {
  participant old = add("sip:a@x");
  binding unbound;
  ASSERT_EQ(dir.remove_participant(conf.id, old.id, unbound), directory_error::ok);
  participant fresh = add("sip:c@x", "Carol");
  session_grant g;
  EXPECT_EQ(dir.bind(old.session_id, binding{0, 1, 1}, g), directory_error::no_such_session);
  EXPECT_EQ(dir.remove_participant(conf.id, old.id, unbound), directory_error::no_such_participant);
  ASSERT_EQ(dir.bind(fresh.session_id, binding{0, 1, 1}, g), directory_error::ok);
  EXPECT_EQ(g.participant_id, fresh.id);
  EXPECT_EQ(g.address, "sip:c@x");
  EXPECT_EQ(g.display_name, "Carol");
}

TEST_F(Lookups, RemovedAddressMayRegisterAgainAndIsFoundAtItsNewPosition) {
  add("sip:a@x");
  participant b = add("sip:b@x");
  add("sip:c@x");
  binding unbound;
  ASSERT_EQ(dir.remove_participant(conf.id, b.id, unbound), directory_error::ok);
  fanout_plan gone;
  ASSERT_EQ(dir.plan(conf.id, {"sip:b@x"}, member_ref{}, gone), directory_error::ok);
  EXPECT_EQ(gone.unknown, (std::vector<std::string>{"sip:b@x"}));
  participant again = add("sip:b@x");
  EXPECT_EQ(again.order, 2u);
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, {"sip:b@x", "sip:a@x"}, member_ref{}, plan), directory_error::ok);
  EXPECT_EQ(addresses_of(plan), (std::vector<std::string>{"sip:b@x", "sip:a@x"}));
  EXPECT_EQ(plan.who.members, (std::vector<std::uint32_t>{2, 0}));
}

TEST_F(Lookups, ListedParticipantCarriesEveryField) {
  add("sip:a@x");
  participant b = add("sip:b@x", "Bob \"B\"");
  session_grant g;
  ASSERT_EQ(dir.bind(b.session_id, binding{1, 9, 3}, g), directory_error::ok);
  std::vector<participant> page;
  ASSERT_EQ(dir.list_participants(conf.id, 1, 10, page), directory_error::ok);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, b.id);
  EXPECT_EQ(page[0].address, "sip:b@x");
  EXPECT_EQ(page[0].display_name, "Bob \"B\"");
  EXPECT_EQ(page[0].session_id, b.session_id);
  EXPECT_EQ(page[0].order, 1u);
  EXPECT_EQ(page[0].where.shard, 1);
  EXPECT_EQ(page[0].where.slot, 9u);
  EXPECT_EQ(page[0].where.generation, 3u);
}

TEST_F(Lookups, ParticipantOfAnotherConferenceCannotBeRemovedHere) {
  conference_info other;
  ASSERT_EQ(dir.create_conference("sip:other@example.com", "", other), directory_error::ok);
  participant p = add("sip:a@x", "", other.id);
  binding unbound;
  EXPECT_EQ(dir.remove_participant(conf.id, p.id, unbound), directory_error::no_such_participant);
  EXPECT_EQ(dir.remove_participant(other.id, p.id, unbound), directory_error::ok);
}

TEST_F(Lookups, SameAddressInTwoConferencesIsTwoParticipants) {
  conference_info other;
  ASSERT_EQ(dir.create_conference("sip:other@example.com", "", other), directory_error::ok);
  participant here = add("sip:a@x");
  participant there = add("sip:a@x", "", other.id);
  EXPECT_NE(here.session_id, there.session_id);
  session_grant g;
  ASSERT_EQ(dir.bind(there.session_id, binding{0, 2, 1}, g), directory_error::ok);
  EXPECT_EQ(g.conference_id, other.id);
  std::vector<binding> unbound;
  ASSERT_EQ(dir.delete_conference(other.id, unbound), directory_error::ok);
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, {"sip:a@x"}, member_ref{}, plan), directory_error::ok);
  EXPECT_EQ(addresses_of(plan), (std::vector<std::string>{"sip:a@x"}));
  EXPECT_EQ(dir.bind(here.session_id, binding{0, 3, 1}, g), directory_error::ok);
}

TEST_F(Lookups, EveryLookupSurvivesChurn) {
  std::vector<participant> all;
  for (int i = 0; i < 3000; ++i) all.push_back(add("sip:u" + std::to_string(i) + "@x"));
  binding unbound;
  for (int i = 0; i < 3000; i += 3)
    ASSERT_EQ(dir.remove_participant(conf.id, all[i].id, unbound), directory_error::ok);
  std::vector<std::string> to;
  for (int i = 0; i < 3000; ++i) to.push_back(all[i].address);
  fanout_plan plan;
  ASSERT_EQ(dir.plan(conf.id, to, member_ref{}, plan), directory_error::ok);
  EXPECT_EQ(plan.unknown.size(), 1000u);
  std::vector<std::string> expected;
  for (int i = 0; i < 3000; ++i)
    if (i % 3) expected.push_back(all[i].address);
  EXPECT_EQ(addresses_of(plan), expected);
  session_grant g;
  for (int i = 0; i < 3000; ++i) {
    EXPECT_EQ(dir.bind(all[i].session_id, binding{0, std::uint32_t(i), 1}, g),
              i % 3 ? directory_error::ok : directory_error::no_such_session);
  }
  EXPECT_EQ(dir.bound_count(), 2000u);
}

TEST_F(Lookups, BatchReportsTheSameFieldsAsSingleAdds) {
  std::vector<participant> out;
  std::string dup;
  ASSERT_EQ(dir.add_participants(conf.id, {{"sip:a@x", "A"}, {"sip:b@x", ""}}, out, dup),
            directory_error::ok);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].order, 1u);
  EXPECT_EQ(out[1].id.size(), 13u);
  EXPECT_EQ(out[1].id[0], 'p');
  session_grant g;
  ASSERT_EQ(dir.bind(out[0].session_id, binding{0, 1, 1}, g), directory_error::ok);
  EXPECT_EQ(g.participant_id, out[0].id);
  EXPECT_EQ(g.display_name, "A");
}

}  // namespace
}  // namespace herald::conference
