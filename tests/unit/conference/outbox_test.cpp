// outbox: slots and generations, frame tokens, first-outcome-wins settling, batched claims, release.
#include "herald/conference/outbox.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::conference {
namespace {

std::shared_ptr<const fanout::frame_template> tmpl(msrp::report_mode success = msrp::report_mode::unset,
                                                   msrp::report_mode failure = msrp::report_mode::unset) {
  fanout::template_spec spec;
  spec.from_uri = "sip:conf@example.com";
  spec.inner_headers = "Content-Type: text/plain\r\n";
  spec.body = "hi";
  spec.success_report = success;
  spec.failure_report = failure;
  auto made = fanout::frame_template::make(std::move(spec));
  EXPECT_TRUE(made.ok());
  return std::make_shared<const fanout::frame_template>(std::move(made).value());
}

fanout_slice slice_of(std::size_t recipients, std::shared_ptr<const fanout::frame_template> t = tmpl()) {
  std::vector<std::string> addresses;
  for (std::size_t i = 0; i < recipients; ++i) addresses.push_back("sip:u" + std::to_string(i) + "@x");
  fanout_slice s;
  s.record = std::make_shared<message_record>("m1", std::move(addresses), 1);
  s.tmpl = std::move(t);
  for (std::uint32_t i = 0; i < recipients; ++i) s.targets.push_back({i, binding{0, i, 1}});
  return s;
}

struct OutboxTest : ::testing::Test {
  int flush_requests = 0;
  outbox box{[this] { ++flush_requests; }, 4};
};

TEST_F(OutboxTest, OpenGivesEachSliceASlotUntilCapacity) {
  std::uint32_t slots[4];
  for (auto& s : slots) s = box.open(slice_of(1));
  EXPECT_EQ(slots[0], 0u);
  EXPECT_EQ(slots[3], 3u);
  EXPECT_EQ(box.open(slice_of(1)), outbox::no_slot);  // the caller fails it with outbox_full
  outbound& o = box.at(slots[1]);
  EXPECT_TRUE(o.active);
  EXPECT_TRUE(o.stamping);
  EXPECT_EQ(o.unsettled, 1u);
}

TEST_F(OutboxTest, ConfirmationFollowsTheReportHeaders) {
  using msrp::report_mode;
  EXPECT_EQ(box.at(box.open(slice_of(1))).confirm, confirmation::response);
  EXPECT_EQ(box.at(box.open(slice_of(1, tmpl(report_mode::yes)))).confirm, confirmation::success_report);
  EXPECT_EQ(box.at(box.open(slice_of(1, tmpl(report_mode::unset, report_mode::partial)))).confirm,
            confirmation::errors_only);
  EXPECT_EQ(box.at(box.open(slice_of(1, tmpl(report_mode::no, report_mode::no)))).confirm,
            confirmation::none);
  EXPECT_EQ(confirmation_for(report_mode::no, report_mode::yes), confirmation::response);
}

TEST_F(OutboxTest, FirstOutcomeWinsAndClaimsAreCountedOncePublished) {
  const std::uint32_t slot = box.open(slice_of(3));
  outbound& o = box.at(slot);
  auto record = o.record;
  EXPECT_TRUE(box.settle(o, 0, delivery_state::delivered));
  EXPECT_FALSE(box.settle(o, 0, delivery_state::failed, failure_reason::timeout, 408));
  EXPECT_TRUE(box.settle(o, 1, delivery_state::sent));
  EXPECT_TRUE(box.settle(o, 2, delivery_state::failed, failure_reason::slow_consumer));
  EXPECT_EQ(flush_requests, 1);  // one request per batch, however many claims
  EXPECT_EQ(o.unsettled, 0u);
  EXPECT_EQ(record->state(0), delivery_state::delivered);
  EXPECT_EQ(record->status(0), 200);
  EXPECT_EQ(record->delivered(), 0u);  // claimed, not yet counted
  box.publish_claims();
  EXPECT_EQ(record->delivered(), 1u);
  EXPECT_EQ(record->sent(), 1u);
  EXPECT_EQ(record->failed(), 1u);
  EXPECT_TRUE(record->complete());
  EXPECT_EQ(box.counters().delivered, 1u);
  EXPECT_EQ(box.counters().sent, 1u);
  EXPECT_EQ(box.counters().failed[static_cast<std::size_t>(failure_reason::slow_consumer)], 1u);
  EXPECT_TRUE(box.settle(box.at(box.open(slice_of(1))), 0, delivery_state::delivered));
  EXPECT_EQ(flush_requests, 2);  // a new batch asks again
}

TEST_F(OutboxTest, FrameTokensNameSlotTargetAndLastFrame) {
  const std::uint32_t slot = box.open(slice_of(5));
  outbound& o = box.at(slot);
  o.frames_outstanding = 2;
  auto f = box.frame_done(outbox::token(slot, o.generation, 4, true));
  EXPECT_EQ(f.slot, slot);
  EXPECT_EQ(f.target, 4u);
  EXPECT_TRUE(f.last);
  EXPECT_EQ(o.frames_outstanding, 1u);
  f = box.frame_done(outbox::token(slot, o.generation, 3, false));
  EXPECT_EQ(f.target, 3u);
  EXPECT_FALSE(f.last);
  EXPECT_EQ(o.frames_outstanding, 0u);
  // Nothing outstanding, another generation, a foreign token: ignored.
  EXPECT_EQ(box.frame_done(outbox::token(slot, o.generation, 0, true)).slot, outbox::no_slot);
  o.frames_outstanding = 1;
  EXPECT_EQ(box.frame_done(outbox::token(slot, o.generation + 1, 0, true)).slot, outbox::no_slot);
  EXPECT_EQ(box.frame_done(42).slot, outbox::no_slot);
  EXPECT_EQ(o.frames_outstanding, 1u);
}

TEST_F(OutboxTest, ReleasedSlotIsReusedWithANewGeneration) {
  const std::uint32_t slot = box.open(slice_of(1));
  outbound& o = box.at(slot);
  const std::uint32_t generation = o.generation;
  o.stamping = false;
  EXPECT_FALSE(outbox::finished(o));  // a target still pending
  ASSERT_TRUE(box.settle(o, 0, delivery_state::delivered));
  auto record = o.record;
  ASSERT_TRUE(outbox::finished(o));
  box.release(slot);
  EXPECT_EQ(record->delivered(), 1u);  // release publishes what was claimed
  EXPECT_FALSE(box.at(slot).active);
  EXPECT_EQ(box.open(slice_of(2)), slot);
  EXPECT_EQ(box.at(slot).generation, generation + 1);
  // A response naming the old generation finds nothing; the current one finds the slot.
  EXPECT_EQ(box.find(delivery_key{slot, generation % 62, 0, true}), nullptr);
  EXPECT_EQ(box.find(delivery_key{slot, (generation + 1) % 62, 1, true}), &box.at(slot));
  EXPECT_EQ(box.find(delivery_key{slot, (generation + 1) % 62, 2, true}), nullptr);  // no such target
  box.publish_claims();  // a slot released with claims in the batch is not counted twice
  EXPECT_EQ(record->delivered(), 1u);
}

TEST_F(OutboxTest, ErrorsOnlySlicesTrackWhichTargetsWereWritten) {
  const std::uint32_t slot =
      box.open(slice_of(3, tmpl(msrp::report_mode::unset, msrp::report_mode::partial)));
  EXPECT_EQ(box.at(slot).written, std::vector<bool>(3, false));
  const std::uint32_t plain = box.open(slice_of(3));
  EXPECT_TRUE(box.at(plain).written.empty());  // only errors_only pays for the bitmap
}

}  // namespace
}  // namespace herald::conference
