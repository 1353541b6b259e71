// Parser behaviour on valid input: RFC 4975 examples, body framing, and incremental feeding at every split.
#include "herald/msrp/parser.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <sstream>
#include <string>

#include "vectors.hpp"

namespace herald::msrp {
namespace {

using test::crlf;

// Every field of a parse, views rendered as (offset into base, contents) so parses of copies compare equal.
std::string describe(const parse_result& r, const message& m, const char* base) {
  std::ostringstream o;
  auto view = [&](std::string_view name, std::string_view v) {
    o << name << '=';
    if (v.data() == nullptr)
      o << "null";
    else
      o << (v.data() - base) << ':' << v;
    o << '\n';
  };
  o << "status=" << int(r.status) << " error=" << to_string(r.error) << " consumed=" << r.consumed << '\n';
  if (r.status != parse_status::complete) return o.str();
  o << "kind=" << int(m.kind) << " method=" << int(m.method) << " code=" << m.status_code << '\n';
  view("method_name", m.method_name);
  view("tid", m.transaction_id);
  view("comment", m.comment);
  view("to", m.to_path);
  view("from", m.from_path);
  view("mid", m.message_id);
  if (m.byte_range)
    o << "range=" << m.byte_range->start << '-' << m.byte_range->end << (m.byte_range->end_unknown ? "*" : "")
      << '/' << m.byte_range->total << (m.byte_range->total_unknown ? "*" : "") << '\n';
  o << "sr=" << int(m.success_report) << " fr=" << int(m.failure_report) << '\n';
  if (m.status)
    o << "st=" << m.status->name_space << ' ' << m.status->code << ' ' << m.status->reason << '\n';
  view("ct", m.content_type);
  view("cid", m.content_id);
  view("cdesc", m.content_description);
  view("cdisp", m.content_disposition);
  for (const header_field& h : m.extension_headers()) {
    view("ext.name", h.name);
    view("ext.value", h.value);
  }
  o << "has_body=" << m.has_body << " flag=" << static_cast<char>(m.flag) << '\n';
  view("body", m.body);
  return o.str();
}

// An exact-size heap copy, so ASan reports any read past the parser's span.
std::unique_ptr<char[]> exact_copy(std::string_view s) {
  auto p = std::make_unique<char[]>(s.size() == 0 ? 1 : s.size());
  if (!s.empty()) std::memcpy(p.get(), s.data(), s.size());
  return p;
}

parse_result parse_exact(std::string_view s, message& m, std::string& desc, const limits& lim = {}) {
  auto buf = exact_copy(s);
  parse_result r = parse({buf.get(), s.size()}, m, lim);
  desc = describe(r, m, buf.get());
  return r;
}

TEST(MsrpParser, Rfc4975Section4Send_CorrectedByteRange_ParsesEveryField) {
  std::string in = test::rfc4975_s4_send_corrected();
  message m;
  parse_result r = parse(in, m);
  ASSERT_EQ(r.status, parse_status::complete) << to_string(r.error);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(m.kind, message_kind::request);
  EXPECT_EQ(m.method, request_method::send);
  EXPECT_EQ(m.method_name, "SEND");
  EXPECT_EQ(m.transaction_id, "a786hjs2");
  EXPECT_EQ(m.to_path, "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
  EXPECT_EQ(m.from_path, "msrp://atlanta.example.com:7654/jshA7weztas;tcp");
  EXPECT_EQ(m.message_id, "87652491");
  ASSERT_TRUE(m.byte_range.has_value());
  EXPECT_EQ(*m.byte_range, (byte_range{1, 23, false, 23, false}));
  EXPECT_EQ(m.content_type, "text/plain");
  EXPECT_TRUE(m.has_body);
  EXPECT_EQ(m.body, "Hey Bob, are you there?");
  EXPECT_EQ(m.flag, continuation::complete);
}

TEST(MsrpParser, Rfc4975Section4Send_AsPublished_ByteRangeMismatchIsDetected) {
  std::string in = test::rfc4975_s4_send_as_published();
  message m;
  parse_result r = parse(in, m);
  EXPECT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error, error_code::byte_range_mismatch);
}

TEST(MsrpParser, Rfc4975Section4Send_AsPublished_ParsesWhenLengthCheckDisabled) {
  std::string in = test::rfc4975_s4_send_as_published();
  message m;
  limits lim;
  lim.check_byte_range_length = false;
  parse_result r = parse(in, m, lim);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(m.body.size(), 23u);
  EXPECT_EQ(check_byte_range_length(m), error_code::byte_range_mismatch);
}

TEST(MsrpParser, Rfc4975Section4Response_ParsesCodeCommentAndPaths) {
  std::string in = test::rfc4975_s4_response();
  message m;
  parse_result r = parse(in, m);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(m.kind, message_kind::response);
  EXPECT_EQ(m.status_code, 200);
  EXPECT_EQ(m.comment, "OK");
  EXPECT_EQ(m.transaction_id, "a786hjs2");
  EXPECT_EQ(m.to_path, "msrp://atlanta.example.com:7654/jshA7weztas;tcp");
  EXPECT_FALSE(m.has_body);
}

TEST(MsrpParser, ReportWithStatusHeader_ParsesNamespaceCodeAndReason) {
  const auto& v = test::valid_vectors();
  auto it = std::find_if(v.begin(), v.end(), [](const auto& x) { return x.name == "report_200"; });
  ASSERT_NE(it, v.end());
  message m;
  ASSERT_EQ(parse(it->bytes, m).status, parse_status::complete);
  EXPECT_EQ(m.method, request_method::report);
  ASSERT_TRUE(m.status.has_value());
  EXPECT_EQ(m.status->name_space, 0);
  EXPECT_EQ(m.status->code, 200);
  EXPECT_EQ(m.status->reason, "OK");
  EXPECT_FALSE(m.has_body);
}

TEST(MsrpParser, UnknownMethod_IsReportedWithItsNameNotAsError) {
  std::string in = crlf({"MSRP nick0001 NICKNAME", "To-Path: msrp://b.example.com/s2;tcp",
                         "From-Path: msrp://a.example.com/s1;tcp", "-------nick0001$"});
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  EXPECT_EQ(m.method, request_method::unknown);
  EXPECT_EQ(m.method_name, "NICKNAME");
}

TEST(MsrpParser, BodyContainingForeignEndLines_EndsOnlyAtOwnTransactionId) {
  std::string in =
      crlf({"MSRP tidA1234 SEND", "To-Path: msrp://b.example.com/s2;tcp",
            "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: tidA1234", "Content-Type: text/plain", "",
            "x", "-------othertid$", "-------tidA1234y", "z", "-------tidA1234$"});
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  EXPECT_EQ(m.body, "x\r\n-------othertid$\r\n-------tidA1234y\r\nz");
}

TEST(MsrpParser, OwnEndLineWithoutTrailingCrlf_IsStillBodyData) {
  std::string in = crlf({"MSRP tidA1234 SEND", "To-Path: msrp://b.example.com/s2;tcp",
                         "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: tidA1234",
                         "Content-Type: text/plain", "", "-------tidA1234$x", "-------tidA1234+"});
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  EXPECT_EQ(m.body, "-------tidA1234$x");
  EXPECT_EQ(m.flag, continuation::more);
}

TEST(MsrpParser, BinaryBodyWithNulAndBareCr_IsKeptByteExact) {
  std::string body("\0\r\x01\xff\r\n--\0", 9);
  std::string in = crlf({"MSRP bin00001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
                         "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: bin00001",
                         "Content-Type: application/octet-stream", ""}) +
                   body + "\r\n-------bin00001$\r\n";
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  EXPECT_EQ(m.body, body);
}

TEST(MsrpParser, BodilessSend_EndLineFollowsHeadersDirectly) {
  std::string in =
      crlf({"MSRP keep0001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
            "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: keep0001", "-------keep0001$"});
  message m;
  parse_result r = parse(in, m);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_FALSE(m.has_body);
  EXPECT_TRUE(m.body.empty());
}

TEST(MsrpParser, EmptyBodyAfterBlankLine_IsPresentButEmpty) {
  std::string in = crlf({"MSRP empt0001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
                         "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: empt0001",
                         "Content-Type: text/plain", "", "", "-------empt0001$"});
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  EXPECT_TRUE(m.has_body);
  EXPECT_EQ(m.body.size(), 0u);
}

TEST(MsrpParser, ContinuationFlags_MoreAndAbortAreReported) {
  for (char f : {'+', '#', '$'}) {
    std::string in = crlf({"MSRP flag0001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
                           "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: flag0001",
                           "Content-Type: text/plain", "", "ab", std::string("-------flag0001") + f});
    message m;
    ASSERT_EQ(parse(in, m).status, parse_status::complete) << f;
    EXPECT_EQ(static_cast<char>(m.flag), f);
  }
}

TEST(MsrpParser, ExtensionAndMimeHeaders_AreKeptInOrder) {
  std::string in =
      crlf({"MSRP ext00001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
            "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: ext00001", "X-One: 1", "Content-ID: <c@x>",
            "X-Two: two words", "Content-Description: d", "Content-Disposition: render", "-------ext00001$"});
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  ASSERT_EQ(m.extension_headers().size(), 2u);
  EXPECT_EQ(m.extension_headers()[0], (header_field{"X-One", "1"}));
  EXPECT_EQ(m.extension_headers()[1], (header_field{"X-Two", "two words"}));
  EXPECT_EQ(m.content_id, "<c@x>");
  EXPECT_EQ(m.content_description, "d");
  EXPECT_EQ(m.content_disposition, "render");
}

TEST(MsrpParser, HeaderNames_MatchCaseInsensitively) {
  std::string in = crlf({"MSRP case0001 SEND", "to-path: msrp://b.example.com/s2;tcp",
                         "FROM-PATH: msrp://a.example.com/s1;tcp", "message-id: abcd", "byte-range: 1-2/2",
                         "content-type: text/plain", "", "hi", "-------case0001$"});
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  EXPECT_EQ(m.message_id, "abcd");
  EXPECT_EQ(m.content_type, "text/plain");
  EXPECT_EQ(m.body, "hi");
}

TEST(MsrpParser, ByteRangeStarForms_SetUnknownFlags) {
  std::string in = crlf({"MSRP star0001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
                         "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: star0001",
                         "Byte-Range: 7-*/*", "Content-Type: text/plain", "", "abc", "-------star0001+"});
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  EXPECT_EQ(m.byte_range->start, 7u);
  EXPECT_TRUE(m.byte_range->end_unknown);
  EXPECT_TRUE(m.byte_range->total_unknown);
}

TEST(MsrpParser, ByteRangeAtUint64Max_ParsesWithoutOverflow) {
  std::string in = crlf({"MSRP big00001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
                         "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: big00001",
                         "Byte-Range: 18446744073709551615-*/18446744073709551615", "-------big00001$"});
  message m;
  ASSERT_EQ(parse(in, m).status, parse_status::complete);
  EXPECT_EQ(m.byte_range->start, 18446744073709551615ull);
}

TEST(MsrpParser, PipelinedMessages_ConsumedStopsAtFirstEndLine) {
  std::string first = test::rfc4975_s4_send_corrected();
  std::string both = first + test::rfc4975_s4_response();
  message m;
  parse_result r = parse(both, m);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, first.size());
  ASSERT_EQ(parse(std::string_view(both).substr(r.consumed), m).status, parse_status::complete);
  EXPECT_EQ(m.kind, message_kind::response);
}

TEST(MsrpParser, BodyOverLimit_FailsBeforeEndLineArrives) {
  std::string head = crlf({"MSRP lim00001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
                           "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: lim00001",
                           "Content-Type: text/plain", ""});
  limits lim;
  lim.max_body_bytes = 64;
  message m;
  EXPECT_EQ(parse(head + std::string(64, 'a'), m, lim).status, parse_status::need_more);  // "\r\n" may follow
  parse_result r = parse(head + std::string(67, 'a'), m, lim);
  EXPECT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error, error_code::body_too_large);
  EXPECT_EQ(status_for(r.error), 413);
}

TEST(MsrpParser, BodyExactlyAtLimit_IsAccepted) {
  std::string in = crlf({"MSRP lim00001 SEND", "To-Path: msrp://b.example.com/s2;tcp",
                         "From-Path: msrp://a.example.com/s1;tcp", "Message-ID: lim00001",
                         "Content-Type: text/plain", "", std::string(64, 'a'), "-------lim00001$"});
  limits lim;
  lim.max_body_bytes = 64;
  message m;
  ASSERT_EQ(parse(in, m, lim).status, parse_status::complete);
  EXPECT_EQ(m.body.size(), 64u);
}

// Feeding any proper prefix reports need_more, and the whole vector gives the same result as always.
TEST(MsrpParser, EveryValidVector_SplitAtEveryOffset_NeedsMoreThenSameResult) {
  for (const auto& v : test::valid_vectors()) {
    message ref;
    std::string ref_desc;
    parse_result whole = parse_exact(v.bytes, ref, ref_desc);
    ASSERT_EQ(whole.status, parse_status::complete) << v.name << ": " << to_string(whole.error);
    ASSERT_EQ(whole.consumed, v.bytes.size()) << v.name;
    for (std::size_t k = 0; k < v.bytes.size(); ++k) {
      message m;
      std::string desc;
      parse_result r = parse_exact(std::string_view(v.bytes).substr(0, k), m, desc);
      ASSERT_EQ(r.status, parse_status::need_more) << v.name << " prefix " << k << ": " << to_string(r.error);
      // The resumable parser, fed the prefix first and then the whole (in a new buffer), agrees too.
      parser p;
      auto pre = exact_copy(std::string_view(v.bytes).substr(0, k));
      ASSERT_EQ(p.feed({pre.get(), k}, m).status, parse_status::need_more) << v.name << " " << k;
      auto full = exact_copy(v.bytes);
      parse_result r2 = p.feed({full.get(), v.bytes.size()}, m);
      ASSERT_EQ(describe(r2, m, full.get()), ref_desc) << v.name << " split at " << k;
    }
  }
}

TEST(MsrpParser, EveryValidVector_FedByteByByte_MatchesWholeParse) {
  for (const auto& v : test::valid_vectors()) {
    message ref;
    std::string ref_desc;
    ASSERT_EQ(parse_exact(v.bytes, ref, ref_desc).status, parse_status::complete) << v.name;
    parser p;
    message m;
    for (std::size_t k = 1; k <= v.bytes.size(); ++k) {
      auto buf = exact_copy(std::string_view(v.bytes).substr(0, k));  // the buffer moves every time
      parse_result r = p.feed({buf.get(), k}, m);
      if (k < v.bytes.size()) {
        ASSERT_EQ(r.status, parse_status::need_more) << v.name << " at " << k;
      } else {
        EXPECT_EQ(describe(r, m, buf.get()), ref_desc) << v.name;
      }
    }
  }
}

TEST(MsrpParser, ResumableParser_AfterCompleteResetsForNextMessage) {
  std::string a = test::rfc4975_s4_send_corrected();
  std::string b = test::rfc4975_s4_response();
  parser p;
  message m;
  ASSERT_EQ(p.feed(std::string_view(a).substr(0, a.size() - 3), m).status, parse_status::need_more);
  ASSERT_EQ(p.feed(a, m).status, parse_status::complete);
  ASSERT_EQ(p.feed(b, m).status, parse_status::complete);
  EXPECT_EQ(m.kind, message_kind::response);
}

TEST(MsrpParser, PathCache_RepeatedPathsStillParseAndNewBadPathIsRejected) {
  parser p;
  message m;
  std::string good = test::rfc4975_s4_send_corrected();
  ASSERT_EQ(p.feed(good, m).status, parse_status::complete);
  ASSERT_EQ(p.feed(good, m).status, parse_status::complete);  // served from the cache
  EXPECT_EQ(m.to_path, "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
  std::string bad = good;
  bad.replace(bad.find("msrp://biloxi"), 4, "http");
  parse_result r = p.feed(bad, m);
  EXPECT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error, error_code::bad_uri);
  p.reset();
  std::string bad_from = good;
  bad_from.replace(bad_from.find(";tcp\r\nMessage-ID"), 4, "");  // From-Path loses its transport
  r = p.feed(bad_from, m);
  EXPECT_EQ(r.error, error_code::bad_uri);
}

}  // namespace
}  // namespace herald::msrp
