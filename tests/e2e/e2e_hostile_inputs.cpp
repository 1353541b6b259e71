// Issue #6's hostile-input table: bad API and MSRP bytes answered exactly, the daemon serving after each.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "herald/client/daemon_process.hpp"
#include "herald/client/http_client.hpp"
#include "herald/client/msrp_peer.hpp"

namespace herald::e2e {

using namespace herald::client;
using namespace std::string_literals;

namespace {

// What is left of the connection a case arrived on once it has been answered.
enum class fate { kept, closed };

constexpr std::string_view kToken = "hostile-test-token-0123456789";
constexpr std::string_view kCanary = "sip:canary@example.com";
constexpr std::string_view kVictim = "sip:victim@example.com";

// Small limits so that each edge is one short request away: a 9,000-byte API body is 413
// (--max-request-body), a 3,000-byte message is 413 from the API and over MSRP while MSRP chunks stop at
// 64 KiB (--max-message-size), and an unfinished HTTP head or MSRP message is cut off after 1 s.
const std::vector<std::string> kDaemonArgs = {"--shards",           "2",  "--max-request-body", "8k",
                                              "--max-message-size", "2k", "--header-timeout",   "1s",
                                              "--drain-timeout",    "0s"};

// ---------------------------------------------------------------------------------------------------
// The shared daemon: one conference, a canary bound on its own connection, and a victim session bound on
// an "owner" connection (the target of the binding and From-Path rows).

struct hostile_daemon {
  bool ready = false;
  std::string token_dir, token_file;
  daemon_process daemon;
  std::string conference_id;
  std::string canary_path, victim_path;
  std::unique_ptr<msrp_peer> canary, owner;
  std::uint64_t sequence = 0;

  std::uint16_t control() const { return daemon.control_port(); }

  bool start() {
    char dir[] = "/tmp/herald-hostile-XXXXXX";
    if (!::mkdtemp(dir)) return false;
    token_dir = dir;
    token_file = token_dir + "/token";
    std::ofstream(token_file) << kToken << "\n";
    std::vector<std::string> args = kDaemonArgs;
    args.insert(args.end(), {"--token-file", token_file});
    if (!daemon.start(args)) return false;
    http_reply c = http_request(control(), "POST", "/v1/conferences",
                                R"({"uri":"sip:hostile@example.com","display_name":"Hostile"})", kToken);
    if (c.status != 201) return false;
    conference_id = json_field(c.body, "id");
    http_reply b = http_request(control(), "POST", "/v1/conferences/" + conference_id + "/participants:batch",
                                R"({"participants":[{"address":")" + std::string(kCanary) +
                                    R"("},{"address":")" + std::string(kVictim) + R"("}]})",
                                kToken);
    if (b.status != 201) return false;
    std::size_t second = b.body.find("},{");
    canary_path = json_field(std::string_view(b.body).substr(0, second), "path");
    victim_path = json_field(std::string_view(b.body).substr(second), "path");
    canary = std::make_unique<msrp_peer>();
    canary->tag = "canary";
    owner = std::make_unique<msrp_peer>();
    owner->tag = "owner";
    if (canary->connect(daemon.msrp_port()) != 0 || owner->connect(daemon.msrp_port()) != 0) return false;
    if (canary->bind({canary_path}) != std::vector<int>{200}) return false;
    if (owner->bind({victim_path}) != std::vector<int>{200}) return false;
    ready = true;
    return true;
  }

  // Expands the placeholders rows use for values only known at run time (paths, conference id, token).
  std::string expand(std::string raw) const {
    const std::pair<std::string, std::string> subs[] = {
        {"{victim}", victim_path},
        {"{victim_from}", owner->own_path(victim_path)},
        {"{nosuch}", "msrp://127.0.0.1:" + std::to_string(daemon.msrp_port()) + "/nosuchsession00000000;tcp"},
        {"{peer}", "msrp://127.0.0.1:9/hostile;tcp"},
        {"{conf}", conference_id},
        {"{auth}", "Authorization: Bearer " + std::string(kToken) + "\r\n"},
    };
    for (const auto& [key, value] : subs)
      for (std::size_t at = raw.find(key); at != std::string::npos; at = raw.find(key, at + value.size()))
        raw.replace(at, key.size(), value);
    return raw;
  }

  // The liveness check run after every row: /healthz on a fresh connection, and a system message that
  // reaches the canary over MSRP (which proves the API thread, the engine and a shard all still work).
  void expect_still_serving() {
    http_reply h = http_request(control(), "GET", "/healthz", "", kToken, 10000);
    EXPECT_EQ(h.status, 200) << "GET /healthz after the case: " << h.body;
    std::string marker = "still-serving-" + std::to_string(++sequence);
    http_reply m = http_request(control(), "POST", "/v1/conferences/" + conference_id + "/messages",
                                R"({"to":[")" + std::string(kCanary) +
                                    R"("],"content_type":"text/plain","body":")" + marker + R"("})",
                                kToken, 10000);
    EXPECT_EQ(m.status, 202) << "system message after the case: " << m.body;
    auto arrived = [&] {
      for (const auto& s : canary->sends)
        if (s.body.find(marker) != std::string::npos) return true;
      return false;
    };
    EXPECT_TRUE(canary->pump_until(arrived, 10000)) << "the canary did not receive " << marker;
    canary->sends.clear();
    owner->pump_once(0);
  }

  void stop() {
    canary.reset();
    owner.reset();
    EXPECT_EQ(daemon.stop(), 0) << "heraldd did not exit cleanly after the table:\n" << daemon.log();
    std::remove(token_file.c_str());
    ::rmdir(token_dir.c_str());
  }
};

hostile_daemon& shared() {
  static hostile_daemon d;
  return d;
}

class daemon_environment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_TRUE(shared().start()) << "heraldd did not come up:\n" << shared().daemon.log();
  }
  void TearDown() override { shared().stop(); }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new daemon_environment);

class HostileInput : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(shared().ready) << "no daemon to attack"; }
  // Every row, whatever its outcome, ends by checking that the daemon still serves.
  void TearDown() override {
    if (shared().ready) shared().expect_still_serving();
  }
  hostile_daemon& d() { return shared(); }
};

// ---------------------------------------------------------------------------------------------------
// Control API rows: raw bytes over a raw socket, so that malformed HTTP can be sent at all.

struct http_answer {
  int status = 0;
  std::string code;  // the JSON error code ("" for a success)
  bool operator==(const http_answer&) const = default;
};
std::ostream& operator<<(std::ostream& os, const http_answer& a) {
  return os << a.status << " " << a.code;
}

struct api_case {
  api_case(std::string n, std::string r, std::vector<http_answer> a, fate f = fate::kept,
           std::string has = "", bool half = false)
      : name(std::move(n)),
        raw(std::move(r)),
        answers(std::move(a)),
        after(f),
        body_has(std::move(has)),
        half_close(half) {}
  std::string name;
  std::string raw;                   // {auth} and {conf} expand to the bearer header and conference id
  std::vector<http_answer> answers;  // every response the bytes draw, in order
  fate after = fate::kept;
  std::string body_has;     // a substring of the first answer's body ("" when nothing more is checked)
  bool half_close = false;  // shut down our sending side after the bytes (FIN)
};
void PrintTo(const api_case& c, std::ostream* os) {
  *os << c.name;
}

std::string head(std::string_view method, std::string_view target, std::string_view fields = "") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: herald\r\n{auth}" +
         std::string(fields) + "\r\n";
}
std::string post(std::string_view target, std::string_view json) {
  return head("POST", target,
              "Content-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) + "\r\n") +
         std::string(json);
}
const std::string kConf = "/v1/conferences/{conf}";
const std::string kMessages = kConf + "/messages";
std::string to_canary(std::string_view fields) {
  return R"({"to":[")" + std::string(kCanary) + R"("],)" + std::string(fields) + "}";
}
std::string external(std::string_view fields) {
  return to_canary(R"("external":{)" + std::string(fields) + "}");
}

http_answer err(int status, std::string code) {
  return {status, std::move(code)};
}

const std::vector<api_case>& api_cases() {
  static const std::vector<api_case> rows = [] {
    std::string many_headers;
    for (int i = 0; i < 65; ++i) many_headers += "X-Field-" + std::to_string(i) + ": v\r\n";
    std::string nested = std::string(1500, '[') + std::string(1500, ']');
    return std::vector<api_case>{
        // HTTP/1.1 framing (RFC 9112): each refused before routing, answered, and the connection closed.
        {"RequestLineWithoutSpaces", "GARBAGE\r\n\r\n", {err(400, "bad_request_line")}, fate::closed},
        {"MethodWithParenthesis",
         "GE(T /healthz HTTP/1.1\r\nHost: h\r\n{auth}\r\n",
         {err(400, "bad_method")},
         fate::closed},
        {"AbsoluteFormTarget",
         head("GET", "http://evil.example.com/healthz"),
         {err(400, "bad_target")},
         fate::closed},
        {"BrokenPercentEscapeInTarget",
         head("GET", "/v1/conferences/%zz"),
         {err(400, "bad_target")},
         fate::closed},
        {"TwoSpacesBeforeVersion", head("GET", "/healthz "), {err(400, "bad_version")}, fate::closed},
        {"VersionNotDigits",
         "GET /healthz HTTP/1.x\r\nHost: h\r\n{auth}\r\n",
         {err(400, "bad_version")},
         fate::closed},
        {"Http2Version",
         "GET /healthz HTTP/2.0\r\nHost: h\r\n{auth}\r\n",
         {err(505, "unsupported_version")},
         fate::closed},
        {"BareLfLineEnds",
         "GET /healthz HTTP/1.1\nHost: h\n\n",
         {err(400, "bad_request_line")},
         fate::closed},
        {"BareLfBetweenHeaders",
         "GET /healthz HTTP/1.1\r\nHost: h\nX-A: b\r\n{auth}\r\n",
         {err(400, "bad_header")},
         fate::closed},
        {"CrInjectedIntoHeaderValue",
         head("GET", "/healthz", "X-Note: a\rInjected: yes\r\n"),
         {err(400, "bad_header")},
         fate::closed},
        {"NulInHeaderValue",
         head("GET", "/healthz", "X-Note: a\0b\r\n"s),
         {err(400, "bad_header")},
         fate::closed},
        {"ObsFoldedHeader",
         head("GET", "/healthz", "X-Note: a\r\n folded\r\n"),
         {err(400, "bad_header")},
         fate::closed},
        {"SpaceBeforeColon",
         head("GET", "/healthz", "X-Note : a\r\n"),
         {err(400, "bad_header")},
         fate::closed},
        {"MissingHost", "GET /healthz HTTP/1.1\r\n{auth}\r\n", {err(400, "bad_host")}, fate::closed},
        {"TwoHosts", head("GET", "/healthz", "Host: other\r\n"), {err(400, "bad_host")}, fate::closed},
        {"DuplicateAuthorization", head("GET", "/healthz", "{auth}"), {err(400, "bad_header")}, fate::closed},
        {"HeadOver8KiB",
         head("GET", "/healthz", "X-Pad: " + std::string(9000, 'a') + "\r\n"),
         {err(431, "header_too_large")},
         fate::closed},
        {"SixtyFiveHeaderFields",
         head("GET", "/healthz", many_headers),
         {err(431, "too_many_headers")},
         fate::closed},
        {"NegativeContentLength",
         head("POST", "/v1/conferences", "Content-Length: -1\r\n") + "{}",
         {err(400, "bad_content_length")},
         fate::closed},
        {"ContentLengthOverflowing64Bits",
         head("POST", "/v1/conferences", "Content-Length: 99999999999999999999999\r\n") + "{}",
         {err(400, "bad_content_length")},
         fate::closed},
        {"ConflictingContentLengths",
         head("POST", "/v1/conferences", "Content-Length: 2\r\nContent-Length: 3\r\n") + "{}",
         {err(400, "bad_content_length")},
         fate::closed},
        {"ContentLengthOfATerabyte",
         head("POST", "/v1/conferences", "Content-Length: 1000000000000\r\n"),
         {err(413, "body_too_large")},
         fate::closed},
        {"BodyOver8KiB",
         post(kMessages,
              to_canary(R"("content_type":"text/plain","body":")" + std::string(9000, 'x') + "\"")),
         {err(413, "body_too_large")},
         fate::closed},
        // Bodies are framed by Content-Length only (http_request.hpp): chunked is 501, both at once 400.
        {"ChunkedTransferEncoding",
         head("POST", "/v1/conferences", "Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n",
         {err(501, "unsupported_transfer_encoding")},
         fate::closed},
        {"ChunkedAndContentLength",
         head("POST", "/v1/conferences", "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n") + "{}",
         {err(400, "content_length_with_transfer_encoding")},
         fate::closed},
        {"UnknownExpectation",
         head("GET", "/healthz", "Expect: 200-ok\r\n"),
         {err(417, "expectation_failed")},
         fate::closed},
        // RFC 9112 §8: a body cut short by the client's close is incomplete; nothing is answered.
        {"BodyShorterThanContentLengthThenFin",
         head("POST", "/v1/conferences", "Content-Length: 100\r\n") + R"({"uri":)",
         {},
         fate::closed,
         "",
         true},
        // Bytes past Content-Length are the next request (here garbage, so 400 after the 200).
        {"BytesAfterTheBodyStartTheNextRequest",
         head("GET", "/healthz", "Content-Length: 0\r\n") + "SMUGGLED\r\n\r\n",
         {{200, ""}, err(400, "bad_request_line")},
         fate::closed},
        {"HeadNeverFinished",
         "GET /healthz HTTP/1.1\r\nHost: h\r\n",
         {err(408, "request_timeout")},
         fate::closed},

        // Bearer token (RFC 6750): refused with 401, the connection kept for a corrected request.
        {"NoAuthorization",
         "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
         {err(401, "unauthorized")},
         fate::kept,
         "missing_credentials"},
        // Liveness is the one answer without the token, and it says nothing but ok (or draining).
        {"HealthzWithoutToken",
         "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n",
         {{200, ""}},
         fate::kept,
         R"({"status":"ok"})"},
        {"WrongToken",
         "GET /v1/conferences HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer not-the-token\r\n\r\n",
         {err(401, "unauthorized")},
         fate::kept,
         "invalid_token"},
        {"BasicInsteadOfBearer",
         "GET /metrics HTTP/1.1\r\nHost: h\r\nAuthorization: Basic aGVyYWxkOmhlcmFsZA==\r\n\r\n",
         {err(401, "unauthorized")},
         fate::kept,
         "malformed_credentials"},
        {"TokenWithTrailingGarbage",
         "GET /metrics HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + std::string(kToken) +
             " extra\r\n\r\n",
         {err(401, "unauthorized")},
         fate::kept,
         "malformed_credentials"},

        // Routing.
        {"PutOnConferences",
         head("PUT", "/v1/conferences", "Content-Length: 0\r\n"),
         {err(405, "method_not_allowed")}},
        {"UnknownMethod", head("BREW", "/v1/conferences"), {err(501, "not_implemented")}},
        {"PostToHealthz",
         head("POST", "/healthz", "Content-Length: 0\r\n"),
         {err(405, "method_not_allowed")}},
        {"UnknownPath", head("GET", "/v1/secrets"), {err(404, "not_found")}},
        {"TrailingSlash", head("GET", "/v1/conferences/"), {err(404, "not_found")}},
        {"DotDotSegments", head("GET", "/v1/conferences/../../etc/passwd"), {err(404, "not_found")}},
        {"PercentEncodedTraversal",
         head("GET", "/v1/conferences/%2e%2e%2fetc%2fpasswd"),
         {err(404, "not_found")}},
        {"IdOf65Characters", head("GET", "/v1/conferences/" + std::string(65, 'c')), {err(404, "not_found")}},
        {"MessageIdWithDots", head("GET", "/v1/messages/..%2f..%2fmetrics"), {err(404, "not_found")}},
        {"UnknownConference",
         post("/v1/conferences/cNoSuchConference/messages", R"({"content_type":"text/plain","body":"x"})"),
         {err(404, "no_such_conference")}},
        {"UnknownMessage", head("GET", "/v1/messages/mNoSuchMessage0000"), {err(404, "no_such_message")}},

        // JSON syntax (400 malformed_json: simdjson refuses it whole).
        {"NotJson", post("/v1/conferences", "{uri: sip:x}"), {err(400, "malformed_json")}},
        {"EmptyJsonBody", post("/v1/conferences", ""), {err(400, "malformed_json")}},
        {"TrailingBytesAfterJson",
         post("/v1/conferences", R"({"uri":"sip:a@example.com"} x)"),
         {err(400, "malformed_json")}},
        {"InvalidUtf8InString",
         post("/v1/conferences", "{\"uri\":\"sip:\xff\xfe@example.com\"}"),
         {err(400, "malformed_json")}},
        {"Nested1500Deep", post("/v1/conferences", nested), {err(400, "malformed_json")}},
        {"IntegerBeyond64Bits",
         post(kMessages, external(R"("url":"https://cdn.example.com/a","content_type":"video/mp4",)"
                                  R"("size":100000000000000000000000)")),
         {err(400, "malformed_json")}},

        // JSON shape (400): types and member names are checked before any value.
        {"DuplicateKey",
         post("/v1/conferences", R"({"uri":"sip:a@example.com","uri":"sip:b@example.com"})"),
         {err(400, "duplicate_field")},
         fate::kept,
         R"("field":"uri")"},
        {"UnknownField",
         post("/v1/conferences", R"({"uri":"sip:a@example.com","admin":true})"),
         {err(400, "unknown_field")},
         fate::kept,
         R"("field":"admin")"},
        {"UriIsANumber",
         post("/v1/conferences", R"({"uri":12345})"),
         {err(400, "wrong_type")},
         fate::kept,
         R"("field":"uri")"},
        {"ArrayInsteadOfObject",
         post("/v1/conferences", R"(["sip:a@example.com"])"),
         {err(400, "wrong_type")}},
        {"ToIsAStringNotAnArray",
         post(kMessages, R"({"to":"sip:canary@example.com","content_type":"text/plain","body":"x"})"),
         {err(400, "wrong_type")},
         fate::kept,
         R"("field":"to")"},
        {"SizeIsAFraction",
         post(kMessages,
              external(R"("url":"https://cdn.example.com/a","content_type":"video/mp4","size":1.5)")),
         {err(400, "wrong_type")},
         fate::kept,
         R"("field":"external.size")"},
        {"BodyAndBase64Together",
         post(kMessages, to_canary(R"("content_type":"text/plain","body":"x","body_base64":"eA==")")),
         {err(400, "conflicting_fields")}},

        // Values that would reach an MSRP or CPIM header (422): CR/LF/NUL, oversize, bad grammar.
        {"NulInAddress",
         post(kConf + "/participants", R"({"address":"sip:a\u0000b@example.com"})"),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"address")"},
        {"PercentEncodedNulInAddress",
         post(kConf + "/participants", R"({"address":"sip:a%00b@example.com"})"),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"address")"},
        {"CrLfInDisplayName",
         post(kConf + "/participants", R"({"address":"sip:n@example.com","display_name":"Eve\r\nTo: x"})"),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"display_name")"},
        {"LineSeparatorInDisplayName",
         post(kConf + "/participants", R"({"address":"sip:n@example.com","display_name":"Eve\u2028x"})"),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"display_name")"},
        {"AddressOf257Bytes",
         post(kConf + "/participants", R"({"address":"sip:)" + std::string(253, 'a') + R"("})"),
         {err(422, "invalid_value")},
         fate::kept,
         "too long"},
        {"DisplayNameOf129Bytes",
         post("/v1/conferences",
              R"({"uri":"sip:long@example.com","display_name":")" + std::string(129, 'n') + R"("})"),
         {err(422, "invalid_value")},
         fate::kept,
         "too long"},
        {"CrLfInExternalUrl",
         post(kMessages,
              external(R"("url":"https://cdn.example.com/a\r\nX-Evil: 1","content_type":"video/mp4")")),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"external.url")"},
        {"QuoteInExternalUrl",
         post(kMessages, external(R"("url":"https://cdn.example.com/a\"b","content_type":"video/mp4")")),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"external.url")"},
        {"JavascriptUrl",
         post(kMessages, external(R"j("url":"javascript:alert(1)","content_type":"video/mp4")j")),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"external.url")"},
        // The request body must be JSON, said so by its Content-Type (RFC 8259 §11); anything else is
        // refused before it is read as JSON.
        {"XmlRequestBody",
         head("POST", "/v1/conferences", "Content-Type: text/xml\r\nContent-Length: 23\r\n") +
             R"({"uri":"sip:x@b.c.com"})",
         {err(415, "unsupported_media_type")},
         fate::kept,
         "text/xml"},
        {"RequestBodyWithoutContentType",
         head("POST", "/v1/conferences", "Content-Length: 23\r\n") + R"({"uri":"sip:x@b.c.com"})",
         {err(415, "unsupported_media_type")}},
        {"JsonWithCharsetIsJson",
         head("POST", kConf + "/participants",
              "Content-Type: Application/JSON; charset=utf-8\r\nContent-Length: 32\r\n") +
             R"({"address":"sip:cs@example.com"})",
         {{201, ""}}},
        {"NulInContentType",
         post(kMessages, to_canary(R"("content_type":"text/plain\u0000","body":"x")")),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"content_type")"},
        {"LfInContentType",
         post(kMessages, to_canary(R"("content_type":"text/plain\nX-Evil: 1","body":"x")")),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"content_type")"},
        {"NegativeExternalSize",
         post(kMessages,
              external(R"("url":"https://cdn.example.com/a","content_type":"video/mp4","size":-5)")),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"external.size")"},
        {"ExpirationNotADate",
         post(kMessages, external(R"("url":"https://cdn.example.com/a","content_type":"video/mp4",)"
                                  R"("expiration":"tomorrow")")),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"external.expiration")"},
        {"Base64Garbage",
         post(kMessages, to_canary(R"("content_type":"application/octet-stream","body_base64":"@@@@")")),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"body_base64")"},
        {"EmptyRecipientList",
         post(kMessages, R"({"to":[],"content_type":"text/plain","body":"x"})"),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"to")"},
        {"UnknownRecipient",
         post(kMessages, R"({"to":["sip:nobody@example.com"],"content_type":"text/plain","body":"x"})"),
         {err(422, "unknown_recipients")},
         fate::kept,
         "sip:nobody@example.com"},
        {"EmptyBatch",
         post(kConf + "/participants:batch", R"({"participants":[]})"),
         {err(422, "invalid_value")},
         fate::kept,
         R"("field":"participants")"},
        {"MessageOver2KiB",
         post(kMessages,
              to_canary(R"("content_type":"text/plain","body":")" + std::string(3000, 'x') + "\"")),
         {err(413, "body_too_large")}},
        {"DuplicateParticipant",
         post(kConf + "/participants", R"({"address":"sip:canary@example.com"})"),
         {err(409, "duplicate_address")}},
    };
  }();
  return rows;
}

// Reads HTTP/1.1 responses (every one of heraldd's carries Content-Length) from one raw connection.
class raw_http {
 public:
  explicit raw_http(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~raw_http() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return fd_ >= 0; }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the server may already have refused and closed
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void half_close() { ::shutdown(fd_, SHUT_WR); }

  // Reads until `count` responses in total have arrived, or EOF, or the timeout.
  void read_answers(std::size_t count, int timeout_ms) {
    read_until([&] { return answers.size() >= count; }, timeout_ms);
  }
  // True if the server closed the connection within the timeout.
  bool wait_eof(int timeout_ms) {
    read_until([] { return false; }, timeout_ms);
    return eof;
  }

  std::vector<http_answer> answers;
  std::vector<std::string> bodies;
  bool eof = false;

 private:
  template <typename Pred>
  void read_until(Pred done, int timeout_ms) {
    std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    while (!done() && !eof) {
      std::uint64_t now = now_ms();
      if (now >= deadline) return;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(deadline - now)) <= 0) continue;
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof = true;  // FIN or reset: either way the server is done with this connection
        return;
      }
      in_.append(buf, static_cast<std::size_t>(n));
      parse();
    }
  }
  void parse() {
    while (true) {
      std::size_t end = in_.find("\r\n\r\n");
      if (end == std::string::npos || in_.size() < 12) return;
      std::string_view head(in_.data(), end);
      std::size_t length = 0;
      if (auto at = head.find("Content-Length: "); at != std::string_view::npos)
        length = std::strtoul(in_.c_str() + at + 16, nullptr, 10);
      if (in_.size() < end + 4 + length) return;
      int status = std::atoi(in_.c_str() + 9);
      std::string body = in_.substr(end + 4, length);
      if (status >= 200) {  // 100 Continue is not an answer
        answers.push_back({status, json_field(body, "code")});
        bodies.push_back(body);
      }
      in_.erase(0, end + 4 + length);
    }
  }

  int fd_ = -1;
  std::string in_;
};

class ApiHostile : public HostileInput, public ::testing::WithParamInterface<api_case> {};

TEST_P(ApiHostile, AnsweredExactlyAndTheDaemonKeepsServing) {
  const api_case& c = GetParam();
  raw_http conn(d().control());
  ASSERT_TRUE(conn.connected());
  conn.send(d().expand(c.raw));
  if (c.half_close) conn.half_close();
  // 5 s covers the one row that waits for the 1 s head timeout.
  conn.read_answers(c.answers.size(), 5000);
  if (c.after == fate::closed) {
    EXPECT_TRUE(conn.wait_eof(5000)) << "the connection should have been closed";
  } else {
    EXPECT_FALSE(conn.eof) << "the connection should have been kept";
    conn.send(d().expand("GET /healthz HTTP/1.1\r\nHost: h\r\n{auth}\r\n"));
    conn.read_answers(c.answers.size() + 1, 5000);
    ASSERT_EQ(conn.answers.size(), c.answers.size() + 1) << "no answer on the kept connection";
    EXPECT_EQ(conn.answers.back(), (http_answer{200, ""})) << "a valid request after the case";
    conn.answers.pop_back();
  }
  EXPECT_EQ(conn.answers, c.answers);
  if (!c.body_has.empty() && !conn.bodies.empty()) {
    EXPECT_NE(conn.bodies.front().find(c.body_has), std::string::npos) << conn.bodies.front();
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ApiHostile, ::testing::ValuesIn(api_cases()),
                         [](const ::testing::TestParamInfo<api_case>& i) { return i.param.name; });

// ---------------------------------------------------------------------------------------------------
// MSRP rows (RFC 4975): raw bytes on a fresh connection, or on the owner connection where the victim
// session is bound. {nosuch} is a session that does not exist, so a request accepted by mistake would draw
// 481 rather than the expected status.

enum class via { fresh, owner };

struct msrp_case {
  msrp_case(std::string n, via v, std::string r, std::string t, int s, fate f = fate::kept,
            bool may_be_silent = false)
      : name(std::move(n)),
        conn(v),
        raw(std::move(r)),
        tid(std::move(t)),
        status(s),
        after(f),
        silent_ok(may_be_silent) {}
  std::string name;
  via conn = via::fresh;
  std::string raw;  // {victim} {victim_from} {nosuch} {peer} expand at run time
  std::string tid;  // the transaction whose response is looked for
  int status = 0;   // 0: no response at all
  fate after = fate::kept;
  // The answer (status) may also be missing: which limit a huge message hits first (the parser's chunk
  // limit, answered, or the connection's input limit, not) depends on how the kernel split its bytes.
  bool silent_ok = false;
};
void PrintTo(const msrp_case& c, std::ostream* os) {
  *os << c.name;
}

// A request: start line, the given header lines (each ending CRLF) and the end-line.
std::string msrp(std::string_view tid, std::string_view method, std::string_view headers,
                 std::string_view flag = "$") {
  return "MSRP " + std::string(tid) + " " + std::string(method) + "\r\n" + std::string(headers) + "-------" +
         std::string(tid) + std::string(flag) + "\r\n";
}
std::string paths(std::string_view to = "{nosuch}", std::string_view from = "{peer}") {
  return "To-Path: " + std::string(to) + "\r\nFrom-Path: " + std::string(from) + "\r\n";
}
// A SEND with one chunk of data; byte_range "" means 1-N/N.
std::string send_with_body(std::string_view tid, std::string_view body, std::string_view extra = "",
                           std::string_view byte_range = "", std::string_view to = "{nosuch}",
                           std::string_view from = "{peer}") {
  std::string range = byte_range.empty()
                          ? "1-" + std::to_string(body.size()) + "/" + std::to_string(body.size())
                          : std::string(byte_range);
  return msrp(tid, "SEND",
              paths(to, from) + "Message-ID: hm" + std::string(tid) + "\r\nByte-Range: " + range + "\r\n" +
                  std::string(extra) + "\r\n" + std::string(body) + "\r\n");
}

const std::vector<msrp_case>& msrp_cases() {
  static const std::vector<msrp_case> rows = [] {
    std::string many_headers;
    for (int i = 0; i < 33; ++i) many_headers += "X-Field-" + std::to_string(i) + ": v\r\n";
    const std::string bodiless = "Message-ID: bind1\r\nByte-Range: 1-0/0\r\n";
    return std::vector<msrp_case>{
        // Framing that cannot be trusted (RFC 4975 §9 ident, start line): no way to find the end-line,
        // so the connection goes and nothing is answered.
        {"TransactionIdOf3Chars", via::fresh, msrp("abc", "SEND", paths()), "abc", 0, fate::closed},
        {"TransactionIdOf33Chars", via::fresh, msrp(std::string(33, 't'), "SEND", paths()),
         std::string(33, 't'), 0, fate::closed},
        {"TransactionIdWithBang", via::fresh, msrp("ab!cd123", "SEND", paths()), "ab!cd123", 0, fate::closed},
        {"LowercaseMsrpKeyword", via::fresh, "msrp lower123 SEND\r\n" + paths() + "-------lower123$\r\n",
         "lower123", 0, fate::closed},
        {"BinaryGarbage", via::fresh, "\x00\xff\xfe\x01garbage\x7f\x80\r\n\r\n"s, "", 0, fate::closed},
        {"HttpRequestOnMsrpPort", via::fresh, "GET / HTTP/1.1\r\nHost: herald\r\n\r\n", "", 0, fate::closed},
        {"MegabyteLineWithoutCrlf", via::fresh, "MSRP long1234 SEND\r\nTo-Path: " + std::string(1 << 20, 'a'),
         "long1234", 0, fate::closed},
        // A 1 MiB chunk is far past the 64 KiB chunk limit plus what a connection may buffer: it is cut off,
        // answered 413 if the parser saw the chunk limit pass before the input limit closed the connection.
        {"MebibyteChunk", via::fresh,
         send_with_body("huge1234", std::string(1 << 20, 'x'), "Content-Type: text/plain\r\n"), "huge1234",
         413, fate::closed, true},
        // A bodiless request whose end-line names another transaction (§7.1): its tid and paths were read,
        // so it is answered, but where it ends cannot be trusted, so the connection goes too.
        {"EndLineWithForeignTid", via::fresh, "MSRP ftid1234 SEND\r\n" + paths() + "-------other999$\r\n",
         "ftid1234", 400, fate::closed},

        // Methods and sessions (§7.3).
        {"UnknownMethod", via::fresh, msrp("meth1234", "FROBNICATE", paths()), "meth1234", 501},
        // "send" is not a method (1*UPALPHA): the start line is bad, nothing after it was read, so nobody
        // can be answered and the connection closes rather than leave the peer waiting.
        {"LowercaseMethod", via::fresh, msrp("lcme1234", "send", paths()), "lcme1234", 0, fate::closed},
        {"UnknownSession", via::fresh, msrp("sess1234", "SEND", paths() + bodiless), "sess1234", 481},
        // §7.1.1: a SEND without Message-ID is 400 whatever the session, unknown or the sender's own.
        {"SendWithoutMessageIdToAnUnknownSession", via::fresh, msrp("nomi1234", "SEND", paths()), "nomi1234",
         400},
        {"SendWithoutMessageIdToItsOwnSession", via::owner,
         msrp("nomo1234", "SEND", paths("{victim}", "{victim_from}") + "Byte-Range: 1-0/0\r\n"), "nomo1234",
         400},
        // Header names match in any case (RFC 5234 §2.3): a lower-case request is answered like any other.
        {"LowerCaseHeaderNamesWithAShortMessageId", via::fresh,
         msrp("lchn1234", "SEND", "to-path: {nosuch}\r\nfrom-path: {peer}\r\nmessage-id: m1\r\n"), "lchn1234",
         400},
        {"LowerCaseHeaderNamesWithABadByteRange", via::fresh,
         msrp("lchb1234", "SEND",
              "to-path: {nosuch}\r\nfrom-path: {peer}\r\nmessage-id: msg00001\r\nbyte-range: 1-x/0\r\n"),
         "lchb1234", 400},
        {"LowerCaseHeaderNamesValid", via::fresh,
         msrp("lchv1234", "SEND", "to-path: {nosuch}\r\nfrom-path: {peer}\r\nmessage-id: msg00001\r\n"),
         "lchv1234", 481},
        {"FromPathNotTheBoundPeer", via::owner,
         msrp("spof1234", "SEND", paths("{victim}", "msrp://127.0.0.1:9/impostor;tcp") + bodiless),
         "spof1234", 403},
        {"SessionBoundToAnotherConnection", via::fresh,
         msrp("bind1234", "SEND", paths("{victim}", "{peer}") + bodiless), "bind1234", 506},

        // To-Path and From-Path (§7.1: the first two headers, in that order). Without both read there is no
        // address to answer to: the connection closes (counted in herald_malformed_closed_total), never
        // silence.
        {"MissingToPath", via::fresh,
         msrp("mtop1234", "SEND", "Message-ID: msg00001\r\nFrom-Path: {peer}\r\n"), "mtop1234", 0,
         fate::closed},
        {"FromPathWithoutToPath", via::fresh, msrp("ofro1234", "SEND", "From-Path: {peer}\r\n"), "ofro1234",
         0, fate::closed},
        {"MissingFromPath", via::fresh,
         msrp("mfro1234", "SEND", "To-Path: {nosuch}\r\nMessage-ID: msg00001\r\n"), "mfro1234", 0,
         fate::closed},
        {"FromPathBeforeToPath", via::fresh,
         msrp("order123", "SEND", "From-Path: {peer}\r\nTo-Path: {nosuch}\r\n"), "order123", 0, fate::closed},
        {"ToPathRepeatedAfterFromPath", via::fresh,
         msrp("twot1234", "SEND", paths() + "To-Path: {nosuch}\r\n"), "twot1234", 400},
        {"ToPathNotAnMsrpUri", via::fresh, msrp("touri123", "SEND", paths("http://127.0.0.1/x", "{peer}")),
         "touri123", 0, fate::closed},
        {"FromPathNotAnMsrpUri", via::fresh, msrp("frur1234", "SEND", paths("{nosuch}", "sip:x@example.com")),
         "frur1234", 0, fate::closed},

        // Header syntax (§9): 400 Unintelligible, the message skipped, the connection kept.
        {"ByteRangeGarbage", via::fresh,
         send_with_body("brga1234", "hello", "Content-Type: text/plain\r\n", "9-x/5"), "brga1234", 400},
        {"ByteRangeStartingAtZero", via::fresh,
         send_with_body("brzr1234", "hello", "Content-Type: text/plain\r\n", "0-4/5"), "brzr1234", 400},
        {"ByteRangeEndBeyondTotal", via::fresh,
         send_with_body("brto1234", "hello", "Content-Type: text/plain\r\n", "1-9/5"), "brto1234", 400},
        {"ByteRangeOverflowing64Bits", via::fresh,
         send_with_body("brov1234", "hello", "Content-Type: text/plain\r\n", "1-99999999999999999999999/*"),
         "brov1234", 400},
        // §7.1.1: with a known range-end the chunk carries exactly end - start + 1 bytes.
        {"ByteRangeLongerThanBody", via::fresh,
         send_with_body("brln1234", "hello", "Content-Type: text/plain\r\n", "1-10/10"), "brln1234", 400},
        {"HeaderBlockOver16KiB", via::fresh,
         msrp("hbig1234", "SEND", paths() + "X-Pad: " + std::string(17000, 'p') + "\r\n"), "hbig1234", 400},
        {"ThirtyThreeHeaderFields", via::fresh, msrp("hmny1234", "SEND", paths() + many_headers), "hmny1234",
         400},
        {"NulInHeaderValue", via::fresh, msrp("hnul1234", "SEND", paths() + "Message-ID: a\0b\r\n"s),
         "hnul1234", 400},
        {"BareCrInHeaderValue", via::fresh, msrp("hcrr1234", "SEND", paths() + "Message-ID: a\rb\r\n"),
         "hcrr1234", 400},
        {"BareLfInHeaderValue", via::fresh, msrp("hlfd1234", "SEND", paths() + "Message-ID: a\nb\r\n"),
         "hlfd1234", 400},
        {"MessageIdWithSpace", via::fresh, msrp("mids1234", "SEND", paths() + "Message-ID: a b\r\n"),
         "mids1234", 400},
        {"DuplicateMessageId", via::fresh,
         msrp("dmid1234", "SEND", paths() + "Message-ID: msg00001\r\nMessage-ID: msg00002\r\n"), "dmid1234",
         400},
        {"FailureReportMaybe", via::fresh, msrp("frep1234", "SEND", paths() + "Failure-Report: maybe\r\n"),
         "frep1234", 400},
        {"BodyWithoutContentType", via::fresh, send_with_body("noct1234", "hello"), "noct1234", 400},
        // §7.3: 415 is the answer for a media type the recipient does not understand.
        {"UnparseableContentType", via::fresh, send_with_body("bdct1234", "hello", "Content-Type: text\r\n"),
         "bdct1234", 415},
        // An end-line with a bad flag: answered (its paths were read), then closed (its end is unknown).
        {"BadContinuationFlag", via::fresh, msrp("flag1234", "SEND", paths(), "!"), "flag1234", 400,
         fate::closed},
        // §7.1: only this transaction's end-line ends the data; another one inside the body is data.
        {"ForeignEndLineInsideBodyIsData", via::fresh,
         send_with_body("body1234", "before\r\n-------other999$\r\nafter", "Content-Type: text/plain\r\n"),
         "body1234", 481},

        // Sizes (§7.3: 413 asks the sender to stop sending the message).
        {"MessageOverMaxMessageSize", via::owner,
         send_with_body("msiz1234", std::string(3000, 'm'), "Content-Type: text/plain\r\n", "", "{victim}",
                        "{victim_from}"),
         "msiz1234", 413},
        {"ChunkOver64KiB", via::fresh,
         send_with_body("chnk1234", std::string(65600, 'c'), "Content-Type: text/plain\r\n"), "chnk1234",
         413},
        {"MalformedCpimFromParticipant", via::owner,
         send_with_body("cpim1234", "this is not a CPIM message", "Content-Type: message/cpim\r\n", "",
                        "{victim}", "{victim_from}"),
         "cpim1234", 400},

        // §7.1.2: REPORTs are never answered, malformed or not; responses are matched or dropped silently.
        {"Report", via::fresh,
         msrp("rept1234", "REPORT", paths() + "Message-ID: msg00001\r\nStatus: 000 200 OK\r\n"), "rept1234",
         0},
        {"MalformedReport", via::fresh,
         msrp("rpbd1234", "REPORT", paths() + "Message-ID: msg00001\r\nStatus: garbage\r\n"), "rpbd1234", 0},
        {"ResponseToUnknownTransaction", via::fresh, msrp("zzzz9999", "200 OK", paths()), "zzzz9999", 0},
        {"ResponseWithABody", via::fresh,
         msrp("rsbd1234", "200 OK", paths() + "Content-Type: text/plain\r\n\r\nhello\r\n"), "rsbd1234", 0},
        {"ResponseWithTwoDigitStatus", via::fresh, msrp("rs2d1234", "99 OK", paths()), "rs2d1234", 0},
    };
  }();
  return rows;
}

class MsrpHostile : public HostileInput, public ::testing::WithParamInterface<msrp_case> {
 protected:
  // Pumps p until it has a response to tid; its status, or 0.
  static int wait_response(msrp_peer& p, const std::string& tid, int timeout_ms) {
    int status = 0;
    p.pump_until(
        [&] {
          for (const auto& r : p.responses)
            if (r.transaction_id == tid) status = r.status;
          return status != 0;
        },
        timeout_ms);
    return status;
  }
};

TEST_P(MsrpHostile, AnsweredExactlyAndTheDaemonKeepsServing) {
  const msrp_case& c = GetParam();
  std::unique_ptr<msrp_peer> fresh;
  msrp_peer* p = d().owner.get();
  if (c.conn == via::fresh) {
    fresh = std::make_unique<msrp_peer>();
    fresh->tag = "hostile";
    ASSERT_EQ(fresh->connect(d().daemon.msrp_port()), 0);
    p = fresh.get();
  }
  ASSERT_TRUE(p->connected()) << "the owner connection was lost by an earlier row";
  p->responses.clear();
  p->send_raw(d().expand(c.raw));
  if (c.after == fate::kept) {
    // A request after the case is answered in order, so any answer to the case has arrived by then.
    std::string probe = "probe" + std::to_string(++d().sequence);
    p->send_raw(d().expand(msrp(probe, "SEND", paths() + "Message-ID: probe001\r\nByte-Range: 1-0/0\r\n")));
    EXPECT_EQ(wait_response(*p, probe, 10000), 481) << "the connection did not survive the case";
  } else {
    EXPECT_TRUE(p->pump_until([&] { return p->eof; }, 5000)) << "the connection should have been closed";
  }
  std::vector<int> answers;
  for (const auto& r : p->responses)
    if (r.transaction_id == c.tid) answers.push_back(r.status);
  if (c.silent_ok && answers.empty()) return;
  EXPECT_EQ(answers, c.status == 0 ? std::vector<int>{} : std::vector<int>{c.status});
}

INSTANTIATE_TEST_SUITE_P(Table, MsrpHostile, ::testing::ValuesIn(msrp_cases()),
                         [](const ::testing::TestParamInfo<msrp_case>& i) { return i.param.name; });

}  // namespace
}  // namespace herald::e2e
