// Parser behaviour on malformed input: each case must fail with its own error_code, and errors map to
// statuses.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>

#include "herald/msrp/parser.hpp"
#include "vectors.hpp"

namespace herald::msrp {
namespace {

using test::crlf;

constexpr std::string_view to = "To-Path: msrp://b.example.com:8888/s2;tcp";
constexpr std::string_view from = "From-Path: msrp://a.example.com:7777/s1;tcp";

// A SEND with the given extra header lines and no body.
std::string send_with(std::initializer_list<std::string_view> headers) {
  std::string s = crlf({"MSRP abcd1234 SEND", to, from});
  for (std::string_view h : headers) {
    s += h;
    s += "\r\n";
  }
  return s + "-------abcd1234$\r\n";
}

std::string start_line(std::string_view line) {
  return crlf({line, to, from, "-------abcd1234$"});
}

struct malformed_case {
  std::string name;
  std::string input;
  error_code expected;
  limits lim{};
};

limits small_body() {
  limits l;
  l.max_body_bytes = 8;
  return l;
}
limits few_headers() {
  limits l;
  l.max_headers = 4;
  return l;
}

std::vector<malformed_case> cases() {
  std::vector<malformed_case> c = {
      {"lowercase_msrp", start_line("msrp abcd1234 SEND"), error_code::bad_start_line},
      {"no_space_after_msrp", start_line("MSRPabcd1234 SEND"), error_code::bad_start_line},
      {"no_space_before_method", start_line("MSRP abcd1234SEND"), error_code::bad_start_line},
      {"empty_method", start_line("MSRP abcd1234 "), error_code::bad_start_line},
      {"mixed_case_method", start_line("MSRP abcd1234 Send"), error_code::bad_start_line},
      {"method_with_trailing_text", start_line("MSRP abcd1234 SEND now"), error_code::bad_start_line},
      {"http_request_line", crlf({"GET / HTTP/1.1", "Host: x", ""}), error_code::bad_start_line},
      {"tid_too_short", start_line("MSRP abc SEND"), error_code::bad_transaction_id},
      {"tid_too_long", start_line("MSRP " + std::string(33, 'a') + " SEND"), error_code::bad_transaction_id},
      {"tid_first_char_not_alnum", start_line("MSRP .abcd SEND"), error_code::bad_transaction_id},
      {"tid_bad_char", start_line("MSRP ab/cd SEND"), error_code::bad_transaction_id},
      {"tid_empty", start_line("MSRP  SEND"), error_code::bad_transaction_id},
      {"status_two_digits", start_line("MSRP abcd1234 20 OK"), error_code::bad_status_code},
      {"status_four_digits", start_line("MSRP abcd1234 2000 OK"), error_code::bad_status_code},
      {"status_below_100", start_line("MSRP abcd1234 099 Odd"), error_code::bad_status_code},
      {"status_not_numeric", start_line("MSRP abcd1234 2x0"), error_code::bad_status_code},
      {"comment_with_control", start_line("MSRP abcd1234 200 O\x01K"),
       error_code::control_character_in_header},
      {"from_path_before_to_path", crlf({"MSRP abcd1234 SEND", from, to, "-------abcd1234$"}),
       error_code::bad_header_order},
      {"first_header_not_to_path",
       crlf({"MSRP abcd1234 SEND", "Message-ID: abcd", to, from, "-------abcd1234$"}),
       error_code::missing_to_path},
      {"no_headers_at_all", crlf({"MSRP abcd1234 SEND", "-------abcd1234$"}), error_code::missing_to_path},
      {"only_to_path", crlf({"MSRP abcd1234 SEND", to, "-------abcd1234$"}), error_code::missing_from_path},
      {"second_header_not_from_path",
       crlf({"MSRP abcd1234 SEND", to, "Message-ID: abcd", from, "-------abcd1234$"}),
       error_code::missing_from_path},
      {"to_path_twice_at_start", crlf({"MSRP abcd1234 SEND", to, to, from, "-------abcd1234$"}),
       error_code::bad_header_order},
      {"to_path_repeated_later", send_with({to}), error_code::bad_header_order},
      {"from_path_repeated_later", send_with({from}), error_code::bad_header_order},
      {"header_without_colon", send_with({"Message-ID abcd"}), error_code::bad_header_syntax},
      {"header_without_space_after_colon", send_with({"Message-ID:abcd"}), error_code::bad_header_syntax},
      {"header_name_starts_with_digit", send_with({"1X: y"}), error_code::bad_header_syntax},
      {"header_name_with_space", send_with({"Bad Name: x"}), error_code::bad_header_syntax},
      {"header_empty_name", send_with({": x"}), error_code::bad_header_syntax},
      {"nul_in_header_value", send_with({std::string_view("X-A: a\0b", 8)}),
       error_code::control_character_in_header},
      {"bare_cr_in_header_value", send_with({"X-A: a\rb"}), error_code::control_character_in_header},
      {"del_in_header_value", send_with({"X-A: a\x7f"}), error_code::control_character_in_header},
      {"bare_lf_line_ending", std::string("MSRP abcd1234 SEND\r\n") + std::string(to) + "\n",
       error_code::control_character_in_header},
      {"to_path_http_uri",
       crlf({"MSRP abcd1234 SEND", "To-Path: http://b.example.com/s2;tcp", from, "-------abcd1234$"}),
       error_code::bad_uri},
      {"to_path_missing_transport",
       crlf({"MSRP abcd1234 SEND", "To-Path: msrp://b.example.com/s2", from, "-------abcd1234$"}),
       error_code::bad_uri},
      {"to_path_port_too_big",
       crlf({"MSRP abcd1234 SEND", "To-Path: msrp://b.example.com:65536/s;tcp", from, "-------abcd1234$"}),
       error_code::bad_uri},
      {"from_path_double_space",
       crlf({"MSRP abcd1234 SEND", to, "From-Path: msrp://a.example.com/s1;tcp  msrp://c.example.com/s;tcp",
             "Message-ID: abcd1234", "-------abcd1234$"}),
       error_code::bad_uri},
      {"to_path_empty", crlf({"MSRP abcd1234 SEND", "To-Path: ", from, "-------abcd1234$"}),
       error_code::bad_uri},
      {"message_id_too_short", send_with({"Message-ID: ab"}), error_code::bad_message_id},
      {"byte_range_garbage", send_with({"Byte-Range: abc"}), error_code::bad_byte_range},
      {"byte_range_start_zero", send_with({"Byte-Range: 0-5/5"}), error_code::bad_byte_range},
      {"byte_range_zero_dash", send_with({"Byte-Range: 0-*/*"}), error_code::bad_byte_range},
      {"byte_range_overflow", send_with({"Byte-Range: 1-18446744073709551616/*"}),
       error_code::bad_byte_range},
      {"byte_range_end_before_start", send_with({"Byte-Range: 5-3/10"}), error_code::bad_byte_range},
      {"byte_range_end_past_total", send_with({"Byte-Range: 1-10/5"}), error_code::bad_byte_range},
      {"byte_range_empty_end", send_with({"Byte-Range: 1-/5"}), error_code::bad_byte_range},
      {"byte_range_star_start", send_with({"Byte-Range: *-5/5"}), error_code::bad_byte_range},
      {"byte_range_missing_total", send_with({"Byte-Range: 1-5"}), error_code::bad_byte_range},
      {"byte_range_trailing_space", send_with({"Byte-Range: 1-0/0 "}), error_code::bad_byte_range},
      {"byte_range_duplicate", send_with({"Byte-Range: 1-0/0", "Byte-Range: 1-0/0"}),
       error_code::duplicate_header},
      {"byte_range_length_mismatch",
       crlf({"MSRP abcd1234 SEND", to, from, "Message-ID: abcd1234", "Byte-Range: 1-5/5",
             "Content-Type: text/plain", "", "abc", "-------abcd1234$"}),
       error_code::byte_range_mismatch},
      {"success_report_partial", send_with({"Success-Report: partial"}), error_code::bad_report_value},
      {"failure_report_maybe", send_with({"Failure-Report: maybe"}), error_code::bad_report_value},
      {"status_header_without_namespace", send_with({"Status: 200 OK"}), error_code::bad_status_header},
      {"status_header_long_code", send_with({"Status: 000 2000"}), error_code::bad_status_header},
      {"content_type_no_slash", send_with({"Content-Type: textplain"}), error_code::bad_content_type},
      {"content_type_empty", send_with({"Content-Type: "}), error_code::bad_content_type},
      {"body_without_content_type",
       crlf({"MSRP abcd1234 SEND", to, from, "Message-ID: abcd1234", "", "data", "-------abcd1234$"}),
       error_code::missing_content_type},
      // RFC 4975 §7.1.1 and §7.1.2: a SEND or REPORT without Message-ID, bodiless or not.
      {"send_without_message_id", crlf({"MSRP abcd1234 SEND", to, from, "-------abcd1234$"}),
       error_code::missing_message_id},
      {"send_with_body_without_message_id",
       crlf({"MSRP abcd1234 SEND", to, from, "Content-Type: text/plain", "", "data", "-------abcd1234$"}),
       error_code::missing_message_id},
      {"report_without_message_id",
       crlf({"MSRP abcd1234 REPORT", to, from, "Status: 000 200 OK", "-------abcd1234$"}),
       error_code::missing_message_id},
      {"end_line_wrong_tid", crlf({"MSRP abcd1234 SEND", to, from, "-------abcd9999$"}),
       error_code::bad_end_line},
      {"end_line_bad_flag", crlf({"MSRP abcd1234 SEND", to, from, "-------abcd1234!"}),
       error_code::bad_end_line},
      {"end_line_trailing_text", crlf({"MSRP abcd1234 SEND", to, from, "-------abcd1234$$"}),
       error_code::bad_end_line},
      {"response_with_body",
       crlf({"MSRP abcd1234 200 OK", to, from, "Content-Type: text/plain", "", "x", "-------abcd1234$"}),
       error_code::unexpected_body},
      {"header_block_too_large", send_with({"X-Big: " + std::string(17 * 1024, 'x')}),
       error_code::header_block_too_large},
      {"header_line_never_ends",
       "MSRP abcd1234 SEND\r\n" + std::string(to) + "\r\nX-Big: " + std::string(17 * 1024, 'x'),
       error_code::header_block_too_large},
      {"body_too_large",
       crlf({"MSRP abcd1234 SEND", to, from, "Message-ID: abcd1234", "Content-Type: text/plain", "",
             "0123456789", "-------abcd1234$"}),
       error_code::body_too_large, small_body()},
      {"too_many_headers_by_limit", send_with({"X-A: 1", "X-B: 2", "X-C: 3"}), error_code::too_many_headers,
       few_headers()},
  };
  std::string many;
  for (int i = 0; i < 40; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  many.resize(many.size() - 2);
  c.push_back({"too_many_headers_default", send_with({many}), error_code::too_many_headers});
  return c;
}

TEST(MsrpMalformed, EachCase_FailsWithItsSpecificError) {
  auto all = cases();
  ASSERT_GE(all.size(), 40u);
  for (const auto& tc : all) {
    // Exact-size heap copy: ASan flags any read past the end.
    auto buf = std::make_unique<char[]>(tc.input.size());
    std::memcpy(buf.get(), tc.input.data(), tc.input.size());
    message m;
    parse_result r = parse({buf.get(), tc.input.size()}, m, tc.lim);
    EXPECT_EQ(r.status, parse_status::error) << tc.name;
    EXPECT_EQ(r.error, tc.expected) << tc.name << ": got " << to_string(r.error);
  }
}

TEST(MsrpMalformed, EveryErrorCode_IsCoveredByTheTable) {
  std::set<error_code> seen;
  for (const auto& tc : cases()) seen.insert(tc.expected);
  for (int e = 1; e <= static_cast<int>(error_code::bad_end_line); ++e)
    EXPECT_TRUE(seen.count(static_cast<error_code>(e))) << to_string(static_cast<error_code>(e));
}

TEST(MsrpMalformed, PrefixesOfMalformedInput_NeverCrashAndNeverComplete) {
  for (const auto& tc : cases()) {
    for (std::size_t k = 0; k < tc.input.size() && k < 4096; ++k) {
      auto buf = std::make_unique<char[]>(k + 1);
      std::memcpy(buf.get(), tc.input.data(), k);
      message m;
      parse_result r = parse({buf.get(), k}, m, tc.lim);
      EXPECT_NE(r.status, parse_status::complete) << tc.name << " at " << k;
    }
  }
}

TEST(MsrpStatus, ErrorsMapToRfc4975StatusCodes) {
  EXPECT_EQ(status_for(error_code::ok), 200);
  EXPECT_EQ(status_for(error_code::bad_start_line), 400);
  EXPECT_EQ(status_for(error_code::bad_uri), 400);
  EXPECT_EQ(status_for(error_code::byte_range_mismatch), 400);
  EXPECT_EQ(status_for(error_code::body_too_large), 413);
  EXPECT_EQ(status_for(error_code::bad_content_type), 415);
  EXPECT_EQ(status_method_not_understood, 501);
  EXPECT_EQ(status_comment(481), "Session-does-not-exist");
}

TEST(MsrpStatus, EveryErrorCode_HasADistinctName) {
  std::set<std::string_view> names;
  for (int e = 0; e <= static_cast<int>(error_code::framing_lost); ++e) {
    std::string_view n = to_string(static_cast<error_code>(e));
    EXPECT_NE(n, "unknown_error");
    names.insert(n);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(error_code::framing_lost) + 1);
}

}  // namespace
}  // namespace herald::msrp
