// JSON request decoding for every endpoint: valid bodies, 400s for shape, 422s for unsafe values, batch size.
#include "herald/control/requests.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <string>

#include "exact_bytes.hpp"

namespace herald::control {
namespace {

using testing_support::exact;

struct bad_case {
  const char* name;
  std::string json;
  api_error want;
  const char* field;
};

void PrintTo(const bad_case& c, std::ostream* os) {
  *os << c.name;
}

template <typename Decode>
void expect_rejected(const bad_case& c, Decode decode) {
  exact in(c.json);
  decode_error err = decode(in.view());
  EXPECT_EQ(err.code, c.want) << c.name << ": got " << to_string(err.code) << " (" << err.message << ")";
  EXPECT_EQ(err.field, c.field) << c.name;
  EXPECT_FALSE(err.message.empty()) << c.name;
}

// ---- POST /v1/conferences ----

TEST(CreateConference, DecodesUriAndDisplayName) {
  create_conference_request r;
  exact in(R"({"uri":"sip:team@example.com","display_name":"Team \u00e9"})");
  ASSERT_TRUE(decode_create_conference(in.view(), r).ok());
  EXPECT_EQ(r.uri, "sip:team@example.com");
  ASSERT_TRUE(r.display_name.has_value());
  EXPECT_EQ(*r.display_name, "Team \xc3\xa9");
}

TEST(CreateConference, DisplayNameIsOptional) {
  create_conference_request r;
  exact in(R"({"uri":"sip:team@example.com"})");
  ASSERT_TRUE(decode_create_conference(in.view(), r).ok());
  EXPECT_FALSE(r.display_name.has_value());
  exact with_null(R"({"uri":"sip:team@example.com","display_name":null})");
  ASSERT_TRUE(decode_create_conference(with_null.view(), r).ok());
  EXPECT_FALSE(r.display_name.has_value());
}

class CreateConferenceBad : public ::testing::TestWithParam<bad_case> {};
TEST_P(CreateConferenceBad, IsRejected) {
  expect_rejected(GetParam(), [](std::string_view j) {
    create_conference_request r;
    return decode_create_conference(j, r);
  });
}
INSTANTIATE_TEST_SUITE_P(
    Table, CreateConferenceBad,
    ::testing::Values(
        bad_case{"empty_body", "", api_error::malformed_json, ""},
        bad_case{"not_json", "uri=sip:x", api_error::malformed_json, ""},
        bad_case{"truncated", R"({"uri":"sip:a@b")", api_error::malformed_json, ""},
        bad_case{"trailing_garbage", R"({"uri":"sip:a@b"} x)", api_error::malformed_json, ""},
        bad_case{"invalid_utf8", "{\"uri\":\"sip:a@b\",\"display_name\":\"\xff\"}", api_error::malformed_json,
                 ""},
        bad_case{"array_root", R"(["sip:a@b"])", api_error::wrong_type, ""},
        bad_case{"missing_uri", R"({"display_name":"T"})", api_error::missing_field, "uri"},
        bad_case{"null_uri", R"({"uri":null})", api_error::missing_field, "uri"},
        bad_case{"uri_number", R"({"uri":5})", api_error::wrong_type, "uri"},
        bad_case{"display_name_object", R"({"uri":"sip:a@b","display_name":{}})", api_error::wrong_type,
                 "display_name"},
        bad_case{"unknown_field", R"({"uri":"sip:a@b","name":"T"})", api_error::unknown_field, "name"},
        bad_case{"duplicate_uri", R"({"uri":"sip:a@b","uri":"sip:c@d"})", api_error::duplicate_field, "uri"},
        bad_case{"uri_crlf", R"({"uri":"sip:a@b\r\nTo: x"})", api_error::invalid_value, "uri"},
        bad_case{"uri_nul", R"({"uri":"sip:a@b\u0000"})", api_error::invalid_value, "uri"},
        bad_case{"uri_scheme", R"({"uri":"https://example.com"})", api_error::invalid_value, "uri"},
        bad_case{"uri_space", R"({"uri":"sip:a b@c"})", api_error::invalid_value, "uri"},
        bad_case{"uri_oversize", "{\"uri\":\"sip:" + std::string(300, 'a') + "\"}", api_error::invalid_value,
                 "uri"},
        bad_case{"display_name_lf", R"({"uri":"sip:a@b","display_name":"T\nX"})", api_error::invalid_value,
                 "display_name"},
        bad_case{"display_name_oversize",
                 "{\"uri\":\"sip:a@b\",\"display_name\":\"" + std::string(129, 'n') + "\"}",
                 api_error::invalid_value, "display_name"}),
    [](const ::testing::TestParamInfo<bad_case>& p) { return std::string(p.param.name); });

// ---- POST /v1/conferences/{id}/participants ----

TEST(AddParticipant, DecodesAddressAndDisplayName) {
  add_participant_request r;
  exact in(R"({"address":"sip:alice@example.com","display_name":"Alice"})");
  ASSERT_TRUE(decode_add_participant(in.view(), r).ok());
  EXPECT_EQ(r.address, "sip:alice@example.com");
  EXPECT_EQ(r.display_name.value_or(""), "Alice");
}

class AddParticipantBad : public ::testing::TestWithParam<bad_case> {};
TEST_P(AddParticipantBad, IsRejected) {
  expect_rejected(GetParam(), [](std::string_view j) {
    add_participant_request r;
    return decode_add_participant(j, r);
  });
}
INSTANTIATE_TEST_SUITE_P(
    Table, AddParticipantBad,
    ::testing::Values(
        bad_case{"not_object", R"("sip:a@b")", api_error::wrong_type, ""},
        bad_case{"missing_address", R"({})", api_error::missing_field, "address"},
        bad_case{"address_array", R"({"address":["sip:a@b"]})", api_error::wrong_type, "address"},
        bad_case{"display_name_bool", R"({"address":"sip:a@b","display_name":true})", api_error::wrong_type,
                 "display_name"},
        bad_case{"unknown_field", R"({"address":"sip:a@b","role":"x"})", api_error::unknown_field, "role"},
        bad_case{"address_injection", R"({"address":"sip:a@b\r\nTo: x"})", api_error::invalid_value,
                 "address"},
        bad_case{"address_angle", R"({"address":"<sip:a@b>"})", api_error::invalid_value, "address"},
        bad_case{"address_quote", R"({"address":"sip:\"a\"@b"})", api_error::invalid_value, "address"},
        bad_case{"address_empty", R"({"address":""})", api_error::invalid_value, "address"},
        bad_case{"display_name_nul", R"({"address":"sip:a@b","display_name":"A\u0000"})",
                 api_error::invalid_value, "display_name"},
        bad_case{"display_name_c1", R"({"address":"sip:a@b","display_name":"A\u0085B"})",
                 api_error::invalid_value, "display_name"}),
    [](const ::testing::TestParamInfo<bad_case>& p) { return std::string(p.param.name); });

// ---- POST /v1/conferences/{id}/participants/{pid}:remove ----

TEST(RemoveParticipant, ByeDefaultsToTrueAndAnEmptyBodyIsAllowed) {
  remove_participant_request r;
  r.bye = false;
  ASSERT_TRUE(decode_remove_participant("", r).ok());
  EXPECT_TRUE(r.bye);
  ASSERT_TRUE(decode_remove_participant("{}", r).ok());
  EXPECT_TRUE(r.bye);
  exact in(R"({"bye":false})");
  ASSERT_TRUE(decode_remove_participant(in.view(), r).ok());
  EXPECT_FALSE(r.bye);
}

class RemoveParticipantBad : public ::testing::TestWithParam<bad_case> {};
TEST_P(RemoveParticipantBad, IsRejected) {
  expect_rejected(GetParam(), [](std::string_view j) {
    remove_participant_request r;
    return decode_remove_participant(j, r);
  });
}
INSTANTIATE_TEST_SUITE_P(
    Table, RemoveParticipantBad,
    ::testing::Values(bad_case{"not_object", R"([false])", api_error::wrong_type, ""},
                      bad_case{"bye_string", R"({"bye":"false"})", api_error::wrong_type, "bye"},
                      bad_case{"unknown_field", R"({"bye":false,"reason":"x"})", api_error::unknown_field,
                               "reason"}),
    [](const ::testing::TestParamInfo<bad_case>& p) { return std::string(p.param.name); });

// ---- POST /v1/conferences/{id}/participants:batch ----

TEST(AddParticipantsBatch, DecodesWrappedList) {
  add_participants_batch_request r;
  exact in(R"({"participants":[{"address":"sip:a@x"},{"address":"tel:+15550100","display_name":"B"}]})");
  ASSERT_TRUE(decode_add_participants_batch(in.view(), r).ok());
  ASSERT_EQ(r.participants.size(), 2u);
  EXPECT_EQ(r.participants[1].address, "tel:+15550100");
  EXPECT_EQ(r.participants[1].display_name.value_or(""), "B");
}

TEST(AddParticipantsBatch, DecodesBareArray) {
  add_participants_batch_request r;
  exact in(R"([{"address":"sip:a@x"}])");
  ASSERT_TRUE(decode_add_participants_batch(in.view(), r).ok());
  ASSERT_EQ(r.participants.size(), 1u);
}

std::string batch_json(std::size_t n) {
  std::string j = "{\"participants\":[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) j += ',';
    j += "{\"address\":\"sip:user" + std::to_string(i) + "@example.com\",\"display_name\":\"User " +
         std::to_string(i) + "\"}";
  }
  return j + "]}";
}

TEST(AddParticipantsBatch, HundredThousandEntriesDecodeQuickly) {
  const std::string json = batch_json(100'000);
  add_participants_batch_request r;
  auto t0 = std::chrono::steady_clock::now();
  decode_error err = decode_add_participants_batch(json, r);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(err.ok()) << err.message;
  ASSERT_EQ(r.participants.size(), 100'000u);
  EXPECT_EQ(r.participants[99'999].address, "sip:user99999@example.com");
  std::printf("[ measured ] 100k-entry batch (%zu bytes) decoded in %lld ms\n", json.size(),
              static_cast<long long>(ms));
  // Generous even under ASan/UBSan on a shared 2-core machine; an optimised build takes ~30 ms.
  EXPECT_LT(ms, 1000);
}

TEST(AddParticipantsBatch, LimitIsInclusive) {
  decode_limits lim;
  lim.max_batch = 3;
  add_participants_batch_request r;
  EXPECT_TRUE(decode_add_participants_batch(batch_json(3), r, lim).ok());
  decode_error err = decode_add_participants_batch(batch_json(4), r, lim);
  EXPECT_EQ(err.code, api_error::too_many_items);
  EXPECT_EQ(err.field, "participants");
}

TEST(AddParticipantsBatch, ErrorNamesTheFailingEntry) {
  add_participants_batch_request r;
  r.participants.resize(7);
  exact in(R"({"participants":[{"address":"sip:a@x"},{"address":"sip:b@x"},{"address":"sip:c@x\r\n"}]})");
  decode_error err = decode_add_participants_batch(in.view(), r);
  EXPECT_EQ(err.code, api_error::invalid_value);
  EXPECT_EQ(err.field, "participants[2].address");
  EXPECT_EQ(r.participants.size(), 7u);  // out is untouched on failure
}

class BatchBad : public ::testing::TestWithParam<bad_case> {};
TEST_P(BatchBad, IsRejected) {
  expect_rejected(GetParam(), [](std::string_view j) {
    add_participants_batch_request r;
    return decode_add_participants_batch(j, r);
  });
}
INSTANTIATE_TEST_SUITE_P(
    Table, BatchBad,
    ::testing::Values(
        bad_case{"string_root", R"("x")", api_error::wrong_type, ""},
        bad_case{"missing_participants", R"({})", api_error::missing_field, "participants"},
        bad_case{"participants_object", R"({"participants":{}})", api_error::wrong_type, "participants"},
        bad_case{"unknown_field", R"({"participants":[],"x":1})", api_error::unknown_field, "x"},
        bad_case{"empty_list", R"({"participants":[]})", api_error::invalid_value, "participants"},
        bad_case{"empty_bare_list", R"([])", api_error::invalid_value, ""},
        bad_case{"entry_not_object", R"([{"address":"sip:a@b"},"sip:c@d"])", api_error::wrong_type, "[1]"},
        bad_case{"entry_missing_address", R"({"participants":[{"display_name":"A"}]})",
                 api_error::missing_field, "participants[0].address"},
        bad_case{"entry_bad_address", R"([{"address":"sip:a@b"},{"address":"sip:x\u0000"}])",
                 api_error::invalid_value, "[1].address"}),
    [](const ::testing::TestParamInfo<bad_case>& p) { return std::string(p.param.name); });

// ---- POST /v1/conferences/{id}/messages ----

TEST(SendMessage, DecodesTextBodyWithDefaults) {
  send_message_request r;
  exact in(R"({"content_type":"text/plain","body":"hi\u0000there \u00e9"})");
  ASSERT_TRUE(decode_send_message(in.view(), r).ok());
  EXPECT_TRUE(r.to.empty());
  EXPECT_EQ(r.kind, body_kind::text);
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(r.body, std::string("hi\0there \xc3\xa9", 11));
  EXPECT_FALSE(r.success_report);
  EXPECT_FALSE(r.failure_report.has_value());  // no header: RFC 4975's default, yes
  EXPECT_FALSE(r.subject.has_value());
}

TEST(SendMessage, DecodesRecipientsReportsAndSubject) {
  send_message_request r;
  exact in(R"({"to":["sip:alice@example.com","tel:+15550100"],"content_type":"text/plain; charset=utf-8",
               "body":"x","success_report":true,"failure_report":"partial","subject":"Hello"})");
  ASSERT_TRUE(decode_send_message(in.view(), r).ok());
  ASSERT_EQ(r.to.size(), 2u);
  EXPECT_EQ(r.to[1], "tel:+15550100");
  EXPECT_TRUE(r.success_report);
  EXPECT_EQ(r.failure_report, failure_report_mode::partial);
  EXPECT_EQ(r.subject.value_or(""), "Hello");
}

TEST(SendMessage, DecodesBase64BodyBinarySafe) {
  send_message_request r;
  exact in(R"({"content_type":"application/octet-stream","body_base64":"AP8A/w=="})");
  ASSERT_TRUE(decode_send_message(in.view(), r).ok());
  EXPECT_EQ(r.kind, body_kind::binary);
  EXPECT_EQ(r.body, std::string("\x00\xff\x00\xff", 4));
}

TEST(SendMessage, DecodesExternalBody) {
  send_message_request r;
  exact in(R"({"external":{"url":"https://cdn.example.com/v.mp4","content_type":"video/mp4","size":123,
               "expiration":"Fri, 01 Jan 2027 00:00:00 GMT"}})");
  decode_error err = decode_send_message(in.view(), r);
  ASSERT_TRUE(err.ok()) << err.message;
  EXPECT_EQ(r.kind, body_kind::external);
  EXPECT_EQ(r.content_type, "message/external-body");
  EXPECT_EQ(r.external.url, "https://cdn.example.com/v.mp4");
  EXPECT_EQ(r.external.content_type, "video/mp4");
  EXPECT_EQ(r.external.size.value_or(0), 123u);
  EXPECT_EQ(r.external.expiration.value_or(""), "Fri, 01 Jan 2027 00:00:00 GMT");
  EXPECT_EQ(r.external.expiration_unix.value_or(0), 1798761600);
}

TEST(SendMessage, ExternalSizeAndExpirationAreOptional) {
  send_message_request r;
  exact in(
      R"({"content_type":"message/external-body","external":{"url":"http://e.com/x","content_type":"image/png"}})");
  ASSERT_TRUE(decode_send_message(in.view(), r).ok());
  EXPECT_FALSE(r.external.size.has_value());
  EXPECT_FALSE(r.external.expiration.has_value());
}

TEST(SendMessage, RecipientLimitIsInclusive) {
  decode_limits lim;
  lim.max_recipients = 2;
  send_message_request r;
  EXPECT_TRUE(
      decode_send_message(R"({"to":["sip:a@b","sip:c@d"],"content_type":"text/plain","body":""})", r, lim)
          .ok());
  decode_error err = decode_send_message(
      R"({"to":["sip:a@b","sip:c@d","sip:e@f"],"content_type":"text/plain","body":""})", r, lim);
  EXPECT_EQ(err.code, api_error::too_many_items);
}

const std::string kText = R"("content_type":"text/plain","body":"x")";

class SendMessageBad : public ::testing::TestWithParam<bad_case> {};
TEST_P(SendMessageBad, IsRejected) {
  expect_rejected(GetParam(), [](std::string_view j) {
    send_message_request r;
    return decode_send_message(j, r);
  });
}
INSTANTIATE_TEST_SUITE_P(
    Table, SendMessageBad,
    ::testing::Values(
        bad_case{"no_body_kind", R"({"content_type":"text/plain"})", api_error::missing_field, ""},
        bad_case{"body_and_base64", R"({"content_type":"text/plain","body":"x","body_base64":"eA=="})",
                 api_error::conflicting_fields, ""},
        bad_case{
            "body_and_external",
            R"({"content_type":"text/plain","body":"x","external":{"url":"https://e/x","content_type":"a/b"}})",
            api_error::conflicting_fields, ""},
        bad_case{"missing_content_type", R"({"body":"x"})", api_error::missing_field, "content_type"},
        bad_case{"content_type_number", R"({"content_type":1,"body":"x"})", api_error::wrong_type,
                 "content_type"},
        bad_case{"body_number", R"({"content_type":"text/plain","body":1})", api_error::wrong_type, "body"},
        bad_case{"base64_null_means_absent", R"({"content_type":"text/plain","body_base64":null})",
                 api_error::missing_field, ""},
        bad_case{"to_string", "{\"to\":\"sip:a@b\"," + kText + "}", api_error::wrong_type, "to"},
        bad_case{"to_entry_number", "{\"to\":[\"sip:a@b\",7]," + kText + "}", api_error::wrong_type, "to[1]"},
        bad_case{"success_report_string", "{\"success_report\":\"yes\"," + kText + "}", api_error::wrong_type,
                 "success_report"},
        bad_case{"failure_report_bool", "{\"failure_report\":true," + kText + "}", api_error::wrong_type,
                 "failure_report"},
        bad_case{"subject_number", "{\"subject\":1," + kText + "}", api_error::wrong_type, "subject"},
        bad_case{"unknown_field", "{\"succes_report\":true," + kText + "}", api_error::unknown_field,
                 "succes_report"},
        bad_case{"duplicate_body", R"({"content_type":"text/plain","body":"x","body":"y"})",
                 api_error::duplicate_field, "body"},
        bad_case{"external_not_object", R"({"external":"https://e/x"})", api_error::wrong_type, "external"},
        bad_case{"external_missing_url", R"({"external":{"content_type":"video/mp4"}})",
                 api_error::missing_field, "external.url"},
        bad_case{"external_missing_type", R"({"external":{"url":"https://e/x"}})", api_error::missing_field,
                 "external.content_type"},
        bad_case{"external_unknown", R"({"external":{"url":"https://e/x","content_type":"a/b","sha":"x"}})",
                 api_error::unknown_field, "external.sha"},
        bad_case{"external_size_string",
                 R"({"external":{"url":"https://e/x","content_type":"a/b","size":"1"}})",
                 api_error::wrong_type, "external.size"},
        bad_case{"external_size_float",
                 R"({"external":{"url":"https://e/x","content_type":"a/b","size":1.5}})",
                 api_error::wrong_type, "external.size"},
        bad_case{"external_expiration_number",
                 R"({"external":{"url":"https://e/x","content_type":"a/b","expiration":1}})",
                 api_error::wrong_type, "external.expiration"},
        // 422: well-typed but unsafe or malformed values.
        bad_case{"to_empty", "{\"to\":[]," + kText + "}", api_error::invalid_value, "to"},
        bad_case{"to_injection", "{\"to\":[\"sip:a@b\",\"sip:a@b\\r\\nTo: x\"]," + kText + "}",
                 api_error::invalid_value, "to[1]"},
        bad_case{"to_nul", "{\"to\":[\"sip:a\\u0000@b\"]," + kText + "}", api_error::invalid_value, "to[0]"},
        bad_case{"to_oversize", "{\"to\":[\"sip:" + std::string(253, 'a') + "\"]," + kText + "}",
                 api_error::invalid_value, "to[0]"},
        bad_case{"content_type_crlf", R"({"content_type":"text/plain\r\nX-Evil: 1","body":"x"})",
                 api_error::invalid_value, "content_type"},
        bad_case{"content_type_no_subtype", R"({"content_type":"text","body":"x"})", api_error::invalid_value,
                 "content_type"},
        bad_case{"content_type_oversize",
                 "{\"content_type\":\"a/" + std::string(127, 'b') + "\",\"body\":\"x\"}",
                 api_error::invalid_value, "content_type"},
        bad_case{"base64_bad_char", R"({"content_type":"a/b","body_base64":"Zm9v!A=="})",
                 api_error::invalid_value, "body_base64"},
        bad_case{"base64_bad_length", R"({"content_type":"a/b","body_base64":"Zm9vY"})",
                 api_error::invalid_value, "body_base64"},
        bad_case{"base64_bad_padding", R"({"content_type":"a/b","body_base64":"Zg==Zg=="})",
                 api_error::invalid_value, "body_base64"},
        bad_case{"base64_whitespace", R"({"content_type":"a/b","body_base64":"Zm9v\nYmFy"})",
                 api_error::invalid_value, "body_base64"},
        bad_case{"failure_report_value", "{\"failure_report\":\"maybe\"," + kText + "}",
                 api_error::invalid_value, "failure_report"},
        bad_case{"subject_crlf", "{\"subject\":\"Hi\\r\\nFrom: x\"," + kText + "}", api_error::invalid_value,
                 "subject"},
        bad_case{"external_outer_type",
                 R"({"content_type":"text/plain","external":{"url":"https://e/x","content_type":"a/b"}})",
                 api_error::invalid_value, "content_type"},
        bad_case{"url_scheme", R"({"external":{"url":"file:///etc/passwd","content_type":"a/b"}})",
                 api_error::invalid_value, "external.url"},
        bad_case{"url_quote", R"({"external":{"url":"https://e/x\"; y=\"z","content_type":"a/b"}})",
                 api_error::invalid_value, "external.url"},
        bad_case{"url_space", R"({"external":{"url":"https://e/a b","content_type":"a/b"}})",
                 api_error::invalid_value, "external.url"},
        bad_case{"url_crlf", R"({"external":{"url":"https://e/a\r\nb","content_type":"a/b"}})",
                 api_error::invalid_value, "external.url"},
        bad_case{
            "url_oversize",
            "{\"external\":{\"url\":\"https://e/" + std::string(2100, 'a') + "\",\"content_type\":\"a/b\"}}",
            api_error::invalid_value, "external.url"},
        bad_case{"external_type_injection",
                 R"({"external":{"url":"https://e/x","content_type":"a/b\nX: y"}})", api_error::invalid_value,
                 "external.content_type"},
        bad_case{"external_size_negative",
                 R"({"external":{"url":"https://e/x","content_type":"a/b","size":-1}})",
                 api_error::invalid_value, "external.size"},
        bad_case{
            "expiration_format",
            R"({"external":{"url":"https://e/x","content_type":"a/b","expiration":"2027-01-01T00:00:00Z"}})",
            api_error::invalid_value, "external.expiration"},
        bad_case{
            "expiration_not_gmt",
            R"({"external":{"url":"https://e/x","content_type":"a/b","expiration":"Fri, 01 Jan 2027 00:00:00 PST"}})",
            api_error::invalid_value, "external.expiration"},
        bad_case{
            "expiration_day_range",
            R"({"external":{"url":"https://e/x","content_type":"a/b","expiration":"Fri, 32 Jan 2027 00:00:00 GMT"}})",
            api_error::invalid_value, "external.expiration"}),
    [](const ::testing::TestParamInfo<bad_case>& p) { return std::string(p.param.name); });

TEST(DecodeError, MapsToStatusAndJsonBody) {
  EXPECT_EQ(status_for(api_error::malformed_json), 400);
  EXPECT_EQ(status_for(api_error::missing_field), 400);
  EXPECT_EQ(status_for(api_error::invalid_value), 422);
  EXPECT_EQ(status_for(api_error::too_many_items), 422);
  send_message_request r;
  decode_error err = decode_send_message(R"({"to":["sip:\"x"],"content_type":"a/b","body":""})", r);
  std::string out;
  write_decode_error(out, err, true);
  EXPECT_EQ(out.rfind("HTTP/1.1 422 Unprocessable Content\r\n", 0), 0u);
  std::string_view body(out);
  body.remove_prefix(out.find("\r\n\r\n") + 4);
  simdjson::dom::parser p;
  simdjson::dom::element e;
  ASSERT_EQ(p.parse(body.data(), body.size()).get(e), simdjson::SUCCESS);
  std::string_view code, field;
  ASSERT_EQ(e["error"]["code"].get(code), simdjson::SUCCESS);
  ASSERT_EQ(e["error"]["field"].get(field), simdjson::SUCCESS);
  EXPECT_EQ(code, "invalid_value");
  EXPECT_EQ(field, "to[0]");
}

}  // namespace
}  // namespace herald::control
