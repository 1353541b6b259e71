// Control API errors per endpoint (400/401/404/405/409/413/422), /metrics and /healthz, over real HTTP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "conference_fixture.hpp"

namespace herald::e2e {

using namespace herald::client;
namespace {

class ControlApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(f.start({"--shards", "2", "--max-request-body", "4k"})) << f.daemon.log();
    ASSERT_TRUE(f.create(2));
  }
  void TearDown() override { EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log(); }
  http_reply call(std::string_view method, const std::string& target, std::string_view body = "") {
    return http_request(f.daemon.control_port(), method, target, body);
  }
  std::string conf() { return "/v1/conferences/" + f.conference_id; }
  conference_fixture f;
};

struct bad_request {
  const char* what;
  const char* method;
  std::string target;  // "{c}" stands for the fixture's conference path
  std::string body;
  int status;
};

TEST_F(ControlApi, EachEndpointRejectsBadInputWithItsStatus) {
  const std::string c = "{c}";
  const std::vector<bad_request> table = {
      {"create: malformed JSON", "POST", "/v1/conferences", R"({"uri":)", 400},
      {"create: missing uri", "POST", "/v1/conferences", R"({"display_name":"x"})", 400},
      {"create: CR/LF in display name", "POST", "/v1/conferences",
       R"({"uri":"sip:a@b.c","display_name":"a\r\nFrom: x"})", 422},
      {"get: unknown conference", "GET", "/v1/conferences/cNoSuchConf1", "", 404},
      {"delete: unknown conference", "DELETE", "/v1/conferences/cNoSuchConf1", "", 404},
      {"add: malformed JSON", "POST", c + "/participants", "{", 400},
      {"add: missing address", "POST", c + "/participants", R"({"display_name":"x"})", 400},
      {"add: unknown conference", "POST", "/v1/conferences/cNoSuchConf1/participants",
       R"({"address":"sip:n@example.com"})", 404},
      {"add: duplicate address", "POST", c + "/participants", R"({"address":"sip:u0@example.com"})", 409},
      {"add: CR/LF in address", "POST", c + "/participants", R"({"address":"sip:x@example.com\r\nTo: y"})",
       422},
      {"add: CR/LF in display name", "POST", c + "/participants",
       R"({"address":"sip:z@example.com","display_name":"z\nq"})", 422},
      {"batch: malformed JSON", "POST", c + "/participants:batch", R"({"participants":[)", 400},
      {"batch: duplicate inside", "POST", c + "/participants:batch",
       R"({"participants":[{"address":"sip:d@example.com"},{"address":"sip:d@example.com"}]})", 409},
      {"remove: unknown participant", "DELETE", c + "/participants/pNoSuchPart1", "", 404},
      {"send: malformed JSON", "POST", c + "/messages", R"({"content_type":)", 400},
      {"send: no body", "POST", c + "/messages", R"({"content_type":"text/plain"})", 400},
      {"send: unknown conference", "POST", "/v1/conferences/cNoSuchConf1/messages",
       R"({"content_type":"text/plain","body":"x"})", 404},
      {"send: request body too large", "POST", c + "/messages",
       R"({"content_type":"text/plain","body":")" + std::string(8000, 'x') + R"("})", 413},
      {"status: unknown message", "GET", "/v1/messages/mNoSuchMessage", "", 404},
      {"status: wrong method", "DELETE", "/v1/messages/mNoSuchMessage", "", 405},
      {"conferences: wrong method", "PUT", "/v1/conferences", "", 405},
      {"metrics: wrong method", "POST", "/metrics", "", 405},
  };
  for (const bad_request& t : table) {
    std::string target = t.target;
    if (target.rfind(c, 0) == 0) target = conf() + target.substr(c.size());
    http_reply r = call(t.method, target, t.body);
    EXPECT_EQ(r.status, t.status) << t.what << ": " << r.body;
    if (r.status != 405 && r.status != 413) {
      EXPECT_NE(r.body.find("\"error\""), std::string::npos) << t.what << ": " << r.body;
    }
  }
}

TEST_F(ControlApi, NotFoundMessagesNameWhatWasNotFound) {
  // The conference, not the participant address the body carried.
  http_reply r = call("POST", "/v1/conferences/cNOPE/participants", R"({"address":"sip:z@example.com"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json_field(r.body, "code"), "no_such_conference");
  EXPECT_EQ(json_field(r.body, "message"), "no conference with id 'cNOPE'") << r.body;
  r = call("DELETE", conf() + "/participants/pNoSuchPart1");
  EXPECT_EQ(json_field(r.body, "message"),
            "no participant with id 'pNoSuchPart1' in conference '" + f.conference_id + "'")
      << r.body;
  r = call("GET", conf() + "/participants/pNoSuchPart1");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json_field(r.body, "code"), "no_such_participant") << r.body;
  r = call("POST", conf() + "/participants", R"({"address":"sip:u1@example.com"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(json_field(r.body, "message").find("'sip:u1@example.com' is already a participant"),
            std::string::npos)
      << r.body;
  r = call("POST", conf() + "/messages",
           R"({"to":["sip:nobody@example.com"],"content_type":"text/plain","body":"x"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("sip:nobody@example.com"), std::string::npos) << r.body;
}

TEST_F(ControlApi, OneParticipantIsLookedUpById) {
  const participant_handle& p = f.participants[1];
  http_reply r = call("GET", conf() + "/participants/" + p.id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_field(r.body, "address"), p.address);
  EXPECT_EQ(json_field(r.body, "path"), p.path);
}

TEST_F(ControlApi, ConferencesAreListedPagedAndFoundByUri) {
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(
        call("POST", "/v1/conferences", R"({"uri":"sip:c)" + std::to_string(i) + R"(@example.com"})").status,
        201);
  http_reply all = call("GET", "/v1/conferences");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(json_int(all.body, "total"), 4) << all.body;
  EXPECT_NE(all.body.find(f.conference_id), std::string::npos) << all.body;
  http_reply page = call("GET", "/v1/conferences?offset=1&limit=2");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(json_int(page.body, "limit"), 2);
  EXPECT_EQ(page.body.find(f.conference_id), std::string::npos) << "creation order: the fixture's is first";
  EXPECT_NE(page.body.find("sip:c0@example.com"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("sip:c1@example.com"), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("sip:c2@example.com"), std::string::npos) << page.body;
  // ?uri= is the front end's lookup by Request-URI, percent-encoded or not.
  http_reply found = call("GET", "/v1/conferences?uri=sip%3Ateam%40example.com");
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(json_field(found.body, "id"), f.conference_id);
  EXPECT_EQ(json_int(found.body, "participant_count"), 2);
  EXPECT_EQ(call("GET", "/v1/conferences?uri=sip:c2@example.com").status, 200);
  http_reply missing = call("GET", "/v1/conferences?uri=sip:none@example.com");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json_field(missing.body, "message"), "no conference with uri 'sip:none@example.com'");
}

TEST_F(ControlApi, SecondConferenceWithTheSameUriIs409) {
  http_reply r = call("POST", "/v1/conferences", R"({"uri":"sip:team@example.com"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json_field(r.body, "code"), "duplicate_uri") << r.body;
  EXPECT_EQ(json_int(call("GET", "/v1/conferences").body, "total"), 1);
  // Once deleted, the URI is free again.
  ASSERT_EQ(call("DELETE", conf()).status, 204);
  EXPECT_EQ(call("POST", "/v1/conferences", R"({"uri":"sip:team@example.com"})").status, 201);
}

TEST_F(ControlApi, BadQueryParametersAre400NotDefaults) {
  for (const std::string& target :
       {conf() + "?offset=abc", conf() + "?limit=x", conf() + "?limit=0", conf() + "?limit=1001",
        conf() + "?offset=-1", conf() + "?ofset=1", conf() + "?limit=1&limit=2",
        std::string("/v1/conferences?offset=%zz"), std::string("/v1/conferences?uri=sip:a@b&limit=1")}) {
    http_reply r = call("GET", target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << target;
  }
  EXPECT_EQ(call("GET", conf() + "?offset=1&limit=1000").status, 200);
}

TEST_F(ControlApi, MetricsHasDeliveryTotalsAndPerShardSeries) {
  http_reply r = call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("herald_deliveries_total"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("{shard=\"0\"}"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("{shard=\"1\"}"), std::string::npos) << r.body;
}

TEST_F(ControlApi, RequestBodyAtTheLimitIsServed_OneByteMoreIs413) {
  // --max-request-body 4k: JSON padded with whitespace to exactly 4096 bytes, then 4097.
  std::string json = R"({"uri":"sip:edge@example.com"})";
  std::string at = json + std::string(4096 - json.size(), ' ');
  EXPECT_EQ(call("POST", "/v1/conferences", at).status, 201);
  std::string over = R"({"uri":"sip:edge2@example.com"})";
  over += std::string(4097 - over.size(), ' ');
  EXPECT_EQ(call("POST", "/v1/conferences", over).status, 413);
}

TEST_F(ControlApi, Healthz200) {
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

// A bearer token in a private temporary file, removed with its directory at the end of the test.
struct token_file {
  std::string dir = "/tmp/herald-token-XXXXXX";
  std::string path;
  token_file() {
    if (!mkdtemp(dir.data())) return;
    path = dir + "/token";
    std::ofstream(path) << "s3cret-token-value\n";
  }
  ~token_file() {
    if (!path.empty()) std::remove(path.c_str());
    ::rmdir(dir.c_str());
  }
};

TEST(ControlApiToken, WithoutOrWithWrongBearerToken_401_WithTheRightOne_200) {
  token_file token;
  ASSERT_FALSE(token.path.empty());
  conference_fixture f;
  ASSERT_TRUE(f.start({"--shards", "1", "--token-file", token.path})) << f.daemon.log();
  std::uint16_t port = f.daemon.control_port();
  EXPECT_EQ(http_request(port, "GET", "/metrics").status, 401);
  EXPECT_EQ(http_request(port, "GET", "/v1/health").status, 401);
  EXPECT_EQ(http_request(port, "POST", "/v1/conferences", R"({"uri":"sip:a@b.c"})").status, 401);
  EXPECT_EQ(http_request(port, "GET", "/metrics", "", "wrong-token").status, 401);
  EXPECT_EQ(http_request(port, "GET", "/healthz", "", "s3cret-token-value").status, 200);
  EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log();
}

// Everything the server sends on a raw connection until it closes (or the deadline passes).
std::string read_until_close(int fd, int timeout_ms) {
  std::string got;
  std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  char buf[4096];
  while (now_ms() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return got;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got + "<still open>";
}

TEST(ControlApiToken, RequestWithoutTokenIsRefusedBeforeItsBodyArrives) {
  token_file token;
  ASSERT_FALSE(token.path.empty());
  conference_fixture f;
  ASSERT_TRUE(f.start({"--shards", "1", "--token-file", token.path, "--header-timeout", "30s"}))
      << f.daemon.log();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(f.daemon.control_port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  // A head announcing 1 MiB, then a few body bytes and silence: the 401 must not wait for the rest
  // (nor for the 30 s request timeout).
  std::string head =
      "POST /v1/conferences HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048576\r\n\r\n{\"uri\":";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string reply = read_until_close(fd, 5000);
  ::close(fd);
  EXPECT_EQ(reply.substr(0, 12), "HTTP/1.1 401") << reply;
  EXPECT_EQ(reply.find("<still open>"), std::string::npos) << reply;
  // With the token the same head is accepted and waits for its body (answered once it arrives).
  EXPECT_EQ(http_request(f.daemon.control_port(), "POST", "/v1/conferences", R"({"uri":"sip:a@b.c"})",
                         "s3cret-token-value")
                .status,
            201);
  EXPECT_EQ(f.daemon.stop(), 0) << f.daemon.log();
}

}  // namespace
}  // namespace herald::e2e
