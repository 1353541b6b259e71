// After a parse error: what the parser had read (so the caller can answer without parsing again) and
// parser::skip, which finds the failed message's end-line so the next message can be read, at every split.
#include <gtest/gtest.h>

#include <string>

#include "herald/msrp/parser.hpp"
#include "vectors.hpp"

namespace herald::msrp {
namespace {

using test::crlf;

constexpr std::string_view to = "To-Path: msrp://b.example.com:8888/s2;tcp";
constexpr std::string_view from = "From-Path: msrp://a.example.com:7777/s1;tcp";
const std::string next_message = crlf(
    {"MSRP next0001 SEND", std::string(to), std::string(from), "Message-ID: next0001", "-------next0001$"});

struct read_case {
  const char* name;
  std::string input;
  error_code error;
  bool tid, to_path, from_path;  // which were read before the error
  message_kind kind = message_kind::request;
};

std::vector<read_case> read_cases() {
  return {
      {"bad_byte_range_after_paths",
       crlf({"MSRP abcd1234 SEND", to, from, "Message-ID: abcd1234", "Byte-Range: x", "-------abcd1234$"}),
       error_code::bad_byte_range, true, true, true},
      {"lower_case_names_bad_message_id",
       crlf({"MSRP abcd1234 SEND", "to-path: msrp://b.example.com:8888/s2;tcp",
             "from-path: msrp://a.example.com:7777/s1;tcp", "message-id: m1", "-------abcd1234$"}),
       error_code::bad_message_id, true, true, true},
      {"missing_message_id", crlf({"MSRP abcd1234 SEND", to, from, "-------abcd1234$"}),
       error_code::missing_message_id, true, true, true},
      {"nul_in_a_later_header",
       crlf({"MSRP abcd1234 SEND", to, from, std::string_view("X-A: a\0b", 8), "-------abcd1234$"}),
       error_code::control_character_in_header, true, true, true},
      {"to_path_not_msrp",
       crlf({"MSRP abcd1234 SEND", "To-Path: sip:x@example.com", from, "-------abcd1234$"}),
       error_code::bad_uri, true, false, false},
      {"from_path_not_msrp",
       crlf({"MSRP abcd1234 SEND", to, "From-Path: sip:x@example.com", "-------abcd1234$"}),
       error_code::bad_uri, true, true, false},
      {"nul_in_to_path",
       crlf({"MSRP abcd1234 SEND", std::string_view("To-Path: msrp://b.example.com/\0;tcp", 34), from,
             "-------abcd1234$"}),
       error_code::control_character_in_header, true, false, false},
      {"bad_tid", crlf({"MSRP a/b SEND", to, from, "-------a/b$"}), error_code::bad_transaction_id, false,
       false, false},
      {"bad_status_code_response", crlf({"MSRP abcd1234 2000 OK", to, from, "-------abcd1234$"}),
       error_code::bad_status_code, true, false, false, message_kind::response},
  };
}

TEST(MsrpErrorRecovery, ErrorReportsWhatWasReadBeforeIt) {
  for (const read_case& c : read_cases()) {
    message m;
    parse_result r = parse(c.input, m);
    ASSERT_EQ(r.status, parse_status::error) << c.name;
    EXPECT_EQ(r.error, c.error) << c.name << ": " << to_string(r.error);
    EXPECT_EQ(!m.transaction_id.empty(), c.tid) << c.name;
    if (c.tid) {
      EXPECT_EQ(m.kind, c.kind) << c.name;
    }
    EXPECT_EQ(!m.to_path.empty(), c.to_path) << c.name;
    EXPECT_EQ(!m.from_path.empty(), c.from_path) << c.name;
    if (c.from_path) {
      EXPECT_EQ(m.from_path, "msrp://a.example.com:7777/s1;tcp") << c.name;
    }
  }
}

TEST(MsrpErrorRecovery, ErrorPastTheHeaderLimitStillReportsThePaths) {
  // The fast need_more path must not answer header_block_too_large with stale fields: the error comes
  // from a full parse of the current bytes.
  std::string in = crlf({"MSRP abcd1234 SEND", to, from}) + "X-Big: " + std::string(17 * 1024, 'x');
  parser p;
  message m;
  ASSERT_EQ(p.feed(std::string_view(in).substr(0, 200), m).status, parse_status::need_more);
  const std::string moved = in;  // the buffer may move between calls
  parse_result r = p.feed(moved, m);
  ASSERT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error, error_code::header_block_too_large);
  EXPECT_EQ(m.from_path.data(), moved.data() + moved.find("msrp://a.example.com"));
  EXPECT_TRUE(p.can_skip());
}

// Feeds `in` to a parser as a connection would, `chunk` bytes arriving at a time: skips what fails,
// returns the transaction ids of the messages that parsed, and how the errors went.
struct replay {
  std::vector<std::string> parsed;
  std::vector<error_code> errors;
  bool framing_lost = false;
};
replay feed_in_chunks(const std::string& in, std::size_t chunk) {
  replay out;
  parser p;
  message m;
  std::string buffered;
  bool skipping = false;
  for (std::size_t at = 0; at < in.size() && !out.framing_lost;) {
    const std::size_t n = std::min(chunk, in.size() - at);
    buffered.append(in, at, n);
    at += n;
    while (!buffered.empty()) {
      parse_result r = skipping ? p.skip(buffered) : p.feed(buffered, m);
      if (skipping) {
        buffered.erase(0, r.consumed);
        if (r.status == parse_status::need_more) break;
        skipping = false;
        p.reset();
        if (r.status == parse_status::error) {
          out.framing_lost = true;
          break;
        }
        continue;
      }
      if (r.status == parse_status::need_more) break;
      if (r.status == parse_status::error) {
        out.errors.push_back(r.error);
        if (!p.can_skip()) {
          out.framing_lost = true;
          break;
        }
        skipping = true;
        continue;
      }
      out.parsed.emplace_back(m.transaction_id);
      buffered.erase(0, r.consumed);
      p.reset();
    }
  }
  return out;
}

TEST(MsrpErrorRecovery, SkipFindsTheEndLineAtEverySplit) {
  const std::string body_with_lookalikes = "x\r\n-------abcd1234!\r\n-------abcd12345$\r\ny";
  const std::string bad[] = {
      crlf({"MSRP abcd1234 SEND", to, from, "Byte-Range: x", "-------abcd1234$"}),
      crlf({"MSRP abcd1234 SEND", to, from, "Message-ID: abcd1234", "Content-Type: text/plain",
            "Byte-Range: 1-2/9", "", body_with_lookalikes, "-------abcd1234$"}),
      crlf({"MSRP abcd1234 SEND", "To-Path: sip:x@example.com", from, "-------abcd1234+"}),
      crlf({"MSRP abcd1234 SEND", to, from, std::string_view("X-A: a\0b", 8), "-------abcd1234#"}),
      crlf({"MSRP abcd1234 200 OK", to, from, "Content-Type: text/plain", "", "body", "-------abcd1234$"}),
  };
  for (const std::string& b : bad) {
    const std::string in = b + next_message;
    for (std::size_t chunk = 1; chunk <= in.size(); ++chunk) {
      replay r = feed_in_chunks(in, chunk);
      ASSERT_FALSE(r.framing_lost) << b << " chunk " << chunk;
      ASSERT_EQ(r.errors.size(), 1u) << b << " chunk " << chunk;
      ASSERT_EQ(r.parsed, std::vector<std::string>{"next0001"}) << b << " chunk " << chunk;
    }
  }
}

TEST(MsrpErrorRecovery, AnErrorInTheEndLineItselfLosesFraming) {
  const std::string in =
      crlf({"MSRP abcd1234 SEND", to, from, "Message-ID: abcd1234", "-------abcd1234!"}) + next_message;
  message m;
  parser p;
  parse_result r = p.feed(in, m);
  ASSERT_EQ(r.error, error_code::bad_end_line);
  EXPECT_FALSE(p.can_skip());
  EXPECT_EQ(p.skip(in).error, error_code::framing_lost);
}

TEST(MsrpErrorRecovery, NoTransactionIdMeansNothingToSkipTo) {
  message m;
  parser p;
  ASSERT_EQ(p.feed("HELLO\r\n\r\n", m).status, parse_status::error);
  EXPECT_FALSE(p.can_skip());
}

TEST(MsrpErrorRecovery, SkipGivesUpAfterItsBudget) {
  limits lim;
  lim.max_header_bytes = 1024;
  lim.max_body_bytes = 1024;
  parser p(lim);
  message m;
  const std::string head = crlf({"MSRP abcd1234 SEND", to, from, "Byte-Range: x", ""});
  ASSERT_EQ(p.feed(head, m).status, parse_status::error);
  ASSERT_TRUE(p.can_skip());
  // Garbage without the end-line, fed as it arrives: dropped as it goes, until the budget is spent.
  std::string pending = head;
  parse_result r;
  for (int i = 0; i < 10; ++i) {
    pending += std::string(1024, 'z');
    r = p.skip(pending);
    if (r.status != parse_status::need_more) break;
    EXPECT_LT(pending.size() - r.consumed, 64u);  // only a possible start of the end-line is kept
    pending.erase(0, r.consumed);
  }
  EXPECT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error, error_code::framing_lost);
}

}  // namespace
}  // namespace herald::msrp
