// MSRP encoder: Byte-Range formatting, end-lines, body_guard, transaction ids and request/response stamping.
#include "herald/msrp/encoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "herald/msrp/parser.hpp"

namespace herald::msrp {
namespace {

std::string range_text(const byte_range& r) {
  char buf[max_byte_range_chars];
  return {buf, format_byte_range(buf, r)};
}

TEST(MsrpEncoder, FormatByteRange_WritesKnownAndStarForms) {
  EXPECT_EQ(range_text({1, 23, false, 23, false}), "1-23/23");
  EXPECT_EQ(range_text({1, 0, true, 0, true}), "1-*/*");
  EXPECT_EQ(range_text({26, 0, true, 100, false}), "26-*/100");
  EXPECT_EQ(range_text({1, 0, false, 0, false}), "1-0/0");
}

TEST(MsrpEncoder, FormatByteRange_WorstCaseFitsTheDocumentedConstant) {
  constexpr std::uint64_t m = ~std::uint64_t{0};
  std::string s = range_text({m, m, false, m, false});
  EXPECT_EQ(s, "18446744073709551615-18446744073709551615/18446744073709551615");
  EXPECT_EQ(s.size(), max_byte_range_chars);
}

TEST(MsrpEncoder, EndLine_IncludesTheCrlfThatEndsTheBody) {
  char buf[max_end_line_chars];
  std::size_t n = encode_end_line(buf, "a786hjs2", continuation::complete);
  EXPECT_EQ(std::string(buf, n), "\r\n-------a786hjs2$\r\n");
  n = encode_end_line(buf, std::string(32, 'x'), continuation::more);
  EXPECT_EQ(n, max_end_line_chars);
  EXPECT_EQ(buf[n - 3], '+');
}

TEST(MsrpEncoder, BodilessEndLine_HasNoLeadingCrlf) {
  char buf[max_end_line_chars];
  std::size_t n = encode_bodiless_end_line(buf, "abcd", continuation::abort);
  EXPECT_EQ(std::string(buf, n), "-------abcd#\r\n");
}

TEST(MsrpBodyGuard, OrdinaryBody_StoresNothingAndEveryTidIsSafe) {
  std::string body = "Hello -- world ------ six dashes only\r\n";
  body_guard g(body);
  EXPECT_EQ(g.candidate_count(), 0u);
  EXPECT_TRUE(g.safe("abcd"));
  EXPECT_TRUE(g.safe("anything1234"));
}

TEST(MsrpBodyGuard, DashesFollowedByTid_MakeThatTidUnsafe) {
  body_guard g("text -------abcd more");
  EXPECT_FALSE(g.safe("abcd"));
  EXPECT_TRUE(g.safe("abc1"));
  EXPECT_TRUE(g.safe("abcde"));  // "-------abcd " cannot become "-------abcde"
}

TEST(MsrpBodyGuard, LongerRun_MakesEveryPrefixTidUnsafe) {
  // "+" is an ident-char *and* a flag: "-------abcd+" ends a chunk whose tid is "abcd".
  body_guard g("-------abcdXY+");
  EXPECT_FALSE(g.safe("abcd"));
  EXPECT_FALSE(g.safe("abcdX"));
  EXPECT_FALSE(g.safe("abcdXY"));
  EXPECT_FALSE(g.safe("abcdXY+"));
  EXPECT_TRUE(g.safe("abce"));
  EXPECT_TRUE(g.safe("bcdX"));
}

TEST(MsrpBodyGuard, OccurrenceWithoutPrecedingCrlf_IsStillRecorded) {
  // A chunk boundary can fall right before the dashes, so CRLF-less occurrences count (slicing safety).
  body_guard g("xx-------tid12345$yy");
  EXPECT_FALSE(g.safe("tid12345"));
}

TEST(MsrpBodyGuard, LongDashRun_RecordsTheTidAfterTheLastSevenDashes) {
  body_guard g("------------------zz99");
  EXPECT_FALSE(g.safe("zz99"));
  EXPECT_EQ(g.candidate_count(), 1u);
}

TEST(MsrpBodyGuard, ManyCandidates_OverflowTheInlineStorage) {
  std::string body;
  for (int i = 0; i < 20; ++i) body += "\r\n-------tid" + std::to_string(1000 + i) + "$\r\n";
  body_guard g(body);
  EXPECT_EQ(g.candidate_count(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(g.safe("tid" + std::to_string(1000 + i))) << i;
  EXPECT_TRUE(g.safe("tid2000"));
}

TEST(MsrpBodyGuard, EverySliceOfAGuardedBody_ParsesWithTheChosenTid) {
  // The guard scanned the whole body; every chunk (slice) framed with a safe tid must parse back exactly.
  std::string body = "a\r\n-------abcd$\r\nb-------abcdE+\r\n--------abcdEF#\r\n-------";
  body_guard g(body);
  for (std::string_view tid : {"abcd", "abcdE", "abcdEF"}) EXPECT_FALSE(g.safe(tid)) << tid;
  std::string tid = "abcdEFG";
  ASSERT_TRUE(g.safe(tid));
  for (std::size_t from = 0; from < body.size(); ++from) {
    for (std::size_t len = 0; from + len <= body.size(); ++len) {
      std::string frame = "MSRP " + tid +
                          " SEND\r\nTo-Path: msrp://b.example.com/s;tcp\r\n"
                          "From-Path: msrp://a.example.com/s;tcp\r\nMessage-ID: mid1\r\n"
                          "Content-Type: text/plain\r\n\r\n" +
                          body.substr(from, len) + "\r\n-------" + tid + "+\r\n";
      message m;
      ASSERT_EQ(parse(frame, m).status, parse_status::complete);
      ASSERT_EQ(m.body, body.substr(from, len)) << from << "+" << len;
    }
  }
}

TEST(MsrpTransactionId, Generated_IsAValidIdent) {
  fast_rng rng(42);
  for (std::size_t n = min_transaction_id_chars; n <= max_transaction_id_chars; ++n) {
    char buf[max_transaction_id_chars];
    make_transaction_id(rng, buf, n);
    EXPECT_TRUE(is_valid_ident({buf, n})) << std::string(buf, n);
  }
}

// The body holds the first `count` ids a same-seeded generator would draw, so those draws are unsafe.
std::string body_with_first_ids(std::uint64_t seed, int count, std::size_t n) {
  fast_rng twin(seed);
  std::string body;
  for (int i = 0; i < count; ++i) {
    char buf[max_transaction_id_chars];
    make_transaction_id(twin, buf, n);
    body += "x\r\n-------" + std::string(buf, n) + "$\r\n";
  }
  return body;
}

TEST(MsrpTransactionId, SafePick_SkipsIdsTheBodyContains) {
  std::string body = body_with_first_ids(7, 3, 8);
  body_guard g(body);
  fast_rng rng(7);
  char buf[8];
  ASSERT_TRUE(make_safe_transaction_id(rng, g, buf, 8, 4));
  EXPECT_TRUE(g.safe({buf, 8}));
  EXPECT_EQ(body.find(std::string(buf, 8)), std::string::npos);
}

TEST(MsrpTransactionId, SafePick_GivesUpAfterMaxAttempts) {
  std::string body = body_with_first_ids(7, 3, 8);
  body_guard g(body);
  fast_rng rng(7);
  char buf[8];
  EXPECT_FALSE(make_safe_transaction_id(rng, g, buf, 8, 3));
}

request_header sample_header() {
  request_header h;
  h.transaction_id = "a786hjs2";
  h.to_path = "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp";
  h.from_path = "msrp://atlanta.example.com:7654/jshA7weztas;tcp";
  h.message_id = "87652491";
  h.byte_range = byte_range{1, 23, false, 23, false};
  h.content_type = "text/plain";
  return h;
}

TEST(MsrpEncoder, RequestHeader_MatchesRfc4975Section4Layout) {
  char buf[512];
  auto r = encode_request_header(buf, sample_header());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(std::string(buf, *r),
            "MSRP a786hjs2 SEND\r\n"
            "To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
            "From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
            "Message-ID: 87652491\r\n"
            "Byte-Range: 1-23/23\r\n"
            "Content-Type: text/plain\r\n"
            "\r\n");
  EXPECT_EQ(request_header_size(sample_header()), *r);
}

TEST(MsrpEncoder, ReportHeader_WritesStatusAndReportsAndNoBlankLine) {
  request_header h;
  h.method = "REPORT";
  h.transaction_id = "dkei38sd";
  h.to_path = "msrp://a.example.com/s1;tcp";
  h.from_path = "msrp://b.example.com/s2;tcp";
  h.message_id = "12339sdqwer";
  h.success_report = report_mode::no;
  h.failure_report = report_mode::partial;
  h.status = status_field{0, 200, "OK"};
  header_field extra[] = {{"X-Ext", "v"}};
  h.extra_headers = extra;
  char buf[512];
  auto r = encode_request_header(buf, h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, *r),
            "MSRP dkei38sd REPORT\r\n"
            "To-Path: msrp://a.example.com/s1;tcp\r\n"
            "From-Path: msrp://b.example.com/s2;tcp\r\n"
            "Message-ID: 12339sdqwer\r\n"
            "Success-Report: no\r\n"
            "Failure-Report: partial\r\n"
            "Status: 000 200 OK\r\n"
            "X-Ext: v\r\n");
  EXPECT_EQ(request_header_size(h), *r);
}

TEST(MsrpEncoder, RequestHeader_EverySmallerBufferReportsTooSmall) {
  request_header h = sample_header();
  std::size_t need = request_header_size(h);
  std::vector<char> buf(need);
  for (std::size_t n = 0; n < need; ++n) {
    auto r = encode_request_header({buf.data(), n}, h);
    EXPECT_EQ(r.error(), encode_error::buffer_too_small) << n;
  }
  EXPECT_TRUE(encode_request_header({buf.data(), need}, h).ok());
}

TEST(MsrpEncoder, RequestHeader_RejectsInvalidFields) {
  char buf[512];
  struct bad {
    const char* name;
    void (*mutate)(request_header&);
    encode_error expected;
  };
  const bad table[] = {
      {"short tid", [](request_header& h) { h.transaction_id = "abc"; }, encode_error::bad_transaction_id},
      {"lower method", [](request_header& h) { h.method = "send"; }, encode_error::bad_method},
      {"empty to", [](request_header& h) { h.to_path = ""; }, encode_error::bad_header},
      {"crlf in from", [](request_header& h) { h.from_path = "a\r\nX: y"; }, encode_error::bad_header},
      {"partial success", [](request_header& h) { h.success_report = report_mode::partial; },
       encode_error::bad_header},
      {"range start 0",
       [](request_header& h) {
         h.byte_range = byte_range{0, 1, false, 1, false};
       },
       encode_error::bad_byte_range},
      {"status code",
       [](request_header& h) {
         h.status = status_field{0, 42, ""};
       },
       encode_error::bad_status_code},
      {"bad message id", [](request_header& h) { h.message_id = "a b"; }, encode_error::bad_header},
  };
  for (const auto& b : table) {
    request_header h = sample_header();
    b.mutate(h);
    EXPECT_EQ(encode_request_header(buf, h).error(), b.expected) << b.name;
  }
}

TEST(MsrpEncoder, Response_IsCompleteWithEndLine) {
  char buf[256];
  auto r = encode_response(buf, "a786hjs2", 200, "OK", "msrp://atlanta.example.com:7654/jshA7weztas;tcp",
                           "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, *r),
            "MSRP a786hjs2 200 OK\r\n"
            "To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
            "From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
            "-------a786hjs2$\r\n");
  message m;
  ASSERT_EQ(parse({buf, *r}, m).status, parse_status::complete);
  EXPECT_EQ(m.status_code, 200);
}

TEST(MsrpEncoder, Response_RejectsBadStatusAndSmallBuffer) {
  char buf[256];
  EXPECT_EQ(
      encode_response(buf, "abcd", 20, "", "msrp://a.example.com;tcp", "msrp://b.example.com;tcp").error(),
      encode_error::bad_status_code);
  EXPECT_EQ(
      encode_response({buf, 20}, "abcd", 200, "OK", "msrp://a.example.com;tcp", "msrp://b.example.com;tcp")
          .error(),
      encode_error::buffer_too_small);
}

}  // namespace
}  // namespace herald::msrp
