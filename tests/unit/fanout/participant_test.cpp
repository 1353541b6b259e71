// Participant pass-through: From replaced by the authenticated sender, To stamped, everything else untouched.
#include <gtest/gtest.h>

#include <string>

#include "fanout_helpers.hpp"
#include "herald/cpim/parser.hpp"
#include "herald/fanout/frame_template.hpp"

namespace herald::fanout {
namespace {

constexpr std::string_view kFromParticipant =
    "From: \"Spoofed Admin\" <sip:admin@example.com>\r\n"
    "To: <sip:conf-7@example.com>\r\n"
    "NS: imdn <urn:ietf:params:imdn>\r\n"
    "imdn.Message-ID: 34jk324j\r\n"
    "DateTime: 2006-04-04T12:16:49-05:00\r\n"
    "Subject:;lang=fr bonjour\r\n"
    "cc: <sip:carol@example.com>\r\n"
    "To: <sip:also-dropped@example.com>\r\n"
    "imdn.Disposition-Notification: positive-delivery, display\r\n"
    "\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-ID: <x1@example.com>\r\n"
    "\r\n"
    "Hi all -------abc\r\n";

TEST(ParticipantTemplate, FromReplacedToStampedRestByteForByte) {
  shared_buffer received = shared_buffer::copy_of(kFromParticipant);
  cpim::message parsed;
  ASSERT_EQ(cpim::parse_final(received.view(), parsed), cpim::parse_error::ok);
  template_spec spec;
  spec.body_storage = received;
  auto t = frame_template::from_participant(parsed, "sip:bob@example.com", "Bob", std::move(spec));
  ASSERT_TRUE(t.ok()) << to_string(t.error());
  // A second To after cc: the received bytes before the body are not the suffix sent on, so the
  // template built its shared tail (suffix + body) once.
  EXPECT_EQ(t->body(), parsed.body);

  recipient_bytes rb = std::move(recipient_bytes::make("msrp://10.0.0.1:7000/abc;tcp",
                                                       "msrp://herald:2855/x;tcp", "sip:dave@example.com", "")
                                     .value());
  recipient r(rb);
  fast_rng rng(2);
  auto frames = test::stamp_all(*t, r, rng);
  ASSERT_EQ(frames.size(), 1u);
  std::string_view cpim_bytes = frames[0].msg.body;
  EXPECT_EQ(cpim_bytes,
            "From: \"Bob\" <sip:bob@example.com>\r\n"
            "To: <sip:dave@example.com>\r\n"
            "NS: imdn <urn:ietf:params:imdn>\r\n"
            "imdn.Message-ID: 34jk324j\r\n"
            "DateTime: 2006-04-04T12:16:49-05:00\r\n"
            "Subject:;lang=fr bonjour\r\n"
            "cc: <sip:carol@example.com>\r\n"
            "imdn.Disposition-Notification: positive-delivery, display\r\n"
            "\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-ID: <x1@example.com>\r\n"
            "\r\n"
            "Hi all -------abc\r\n");
}

TEST(ParticipantTemplate, FromAndToFirstSendTheReceivedBytesWithoutACopy) {
  // The usual client layout: From and To lead the CPIM headers, so what follows To in the received
  // buffer is exactly the suffix every recipient gets, and the frames point into that buffer.
  constexpr std::string_view kUsual =
      "From: <sip:alice@example.com>\r\n"
      "To: <sip:conf@example.com>\r\n"
      "NS: imdn <urn:ietf:params:imdn>\r\n"
      "imdn.Message-ID: 7a8b9c\r\n"
      "\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "hello";
  shared_buffer received = shared_buffer::copy_of(kUsual);
  cpim::message parsed;
  ASSERT_EQ(cpim::parse_final(received.view(), parsed), cpim::parse_error::ok);
  template_spec spec;
  spec.body_storage = received;
  auto t = frame_template::from_participant(parsed, "sip:alice@example.com", "", std::move(spec));
  ASSERT_TRUE(t.ok()) << to_string(t.error());
  EXPECT_EQ(t->body().data(), parsed.body.data());
  EXPECT_EQ(received.use_count(), 2u);  // shared with the template, and never written
  EXPECT_EQ(received.view(), kUsual);
  recipient_bytes rb = std::move(
      recipient_bytes::make("msrp://a:1/b;tcp", "msrp://c:2/d;tcp", "sip:e@example.com", "").value());
  recipient r(rb);
  fast_rng rng(4);
  auto frames = test::stamp_all(*t, r, rng);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].msg.body,
            "From: <sip:alice@example.com>\r\n"
            "To: <sip:e@example.com>\r\n"
            "NS: imdn <urn:ietf:params:imdn>\r\n"
            "imdn.Message-ID: 7a8b9c\r\n"
            "\r\n"
            "Content-Type: text/plain\r\n"
            "\r\n"
            "hello");
}

TEST(ParticipantTemplate, OnlyOneToPerRecipient) {
  cpim::message parsed;
  ASSERT_EQ(cpim::parse_final(kFromParticipant, parsed), cpim::parse_error::ok);
  auto t = frame_template::from_participant(parsed, "sip:bob@example.com", "", template_spec{});
  ASSERT_TRUE(t.ok());
  recipient_bytes rb = std::move(
      recipient_bytes::make("msrp://a:1/b;tcp", "msrp://c:2/d;tcp", "sip:e@example.com", "Eve").value());
  recipient r(rb);
  fast_rng rng(2);
  auto frames = test::stamp_all(*t, r, rng);
  ASSERT_EQ(frames.size(), 1u);
  cpim::message back;
  ASSERT_EQ(cpim::parse_final(frames[0].msg.body, back), cpim::parse_error::ok);
  EXPECT_EQ(back.count(cpim::header_kind::to), 1u);
  EXPECT_EQ(back.find(cpim::header_kind::to)->addr.uri, "sip:e@example.com");
  EXPECT_EQ(back.from()->uri, "sip:bob@example.com");
  EXPECT_EQ(back.body, parsed.body);
}

// RCS clients put a Content-Length in the encapsulated headers; it frames the body recipients get too.
TEST(ParticipantTemplate, InnerContentLengthIsAccepted) {
  constexpr std::string_view kWithLength =
      "From: <sip:alice@example.com>\r\n"
      "To: <sip:conf@example.com>\r\n"
      "\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Length: 5\r\n"
      "\r\n"
      "hello";
  cpim::message parsed;
  ASSERT_EQ(cpim::parse_final(kWithLength, parsed), cpim::parse_error::ok);
  auto t = frame_template::from_participant(parsed, "sip:alice@example.com", "", template_spec{});
  ASSERT_TRUE(t.ok()) << to_string(t.error());
  recipient_bytes rb = std::move(
      recipient_bytes::make("msrp://a:1/b;tcp", "msrp://c:2/d;tcp", "sip:e@example.com", "").value());
  recipient r(rb);
  fast_rng rng(3);
  auto frames = test::stamp_all(*t, r, rng);
  ASSERT_EQ(frames.size(), 1u);
  cpim::message back;
  ASSERT_EQ(cpim::parse_final(frames[0].msg.body, back), cpim::parse_error::ok);
  EXPECT_EQ(back.body, "hello");
  EXPECT_EQ(back.find(cpim::header_kind::to)->addr.uri, "sip:e@example.com");
}

TEST(ParticipantTemplate, SenderAddressWithInjectionIsRejected) {
  cpim::message parsed;
  ASSERT_EQ(cpim::parse_final(kFromParticipant, parsed), cpim::parse_error::ok);
  EXPECT_EQ(frame_template::from_participant(parsed, "sip:bob@x\r\nTo: <sip:y>", "", template_spec{}).error(),
            fanout_error::bad_address);
}

}  // namespace
}  // namespace herald::fanout
