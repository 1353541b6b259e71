// Response writer, status mapping and the JSON writer's escaping.
#include "herald/control/http_response.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "herald/control/json_writer.hpp"

namespace herald::control {
namespace {

TEST(HttpResponse, WritesStatusLineFramingAndBody) {
  std::string out;
  write_response(out, 201, "application/json", "{}", true);
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            "Connection: keep-alive\r\n\r\n{}");
}

TEST(HttpResponse, CloseAndExtraHeadersAreWritten) {
  std::string out;
  header allow[] = {{"Allow", "GET, POST"}};
  write_response(out, 405, "", "", false, allow);
  EXPECT_EQ(out,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\nAllow: GET, "
            "POST\r\n\r\n");
}

TEST(HttpResponse, NoContentHasNoLengthOrBody) {
  std::string out;
  write_response(out, 204, "", "ignored", true);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpResponse, ReasonPhrasesMatchRfc9110) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(422), "Unprocessable Content");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

TEST(HttpResponse, ParserErrorsMapToOneStatusEach) {
  EXPECT_EQ(status_for(http_error::bad_header), 400);
  EXPECT_EQ(status_for(http_error::header_too_large), 431);
  EXPECT_EQ(status_for(http_error::too_many_headers), 431);
  EXPECT_EQ(status_for(http_error::body_too_large), 413);
  EXPECT_EQ(status_for(http_error::unsupported_transfer_encoding), 501);
  EXPECT_EQ(status_for(http_error::content_length_with_transfer_encoding), 400);
  EXPECT_EQ(status_for(http_error::unsupported_version), 505);
  EXPECT_EQ(status_for(http_error::expectation_failed), 417);
  EXPECT_EQ(status_for(http_error::request_timeout), 408);
}

TEST(HttpResponse, ErrorResponseClosesAndCarriesJsonCode) {
  std::string out;
  write_error_response(out, http_error::body_too_large);
  EXPECT_EQ(out.rfind("HTTP/1.1 413 Content Too Large\r\n", 0), 0u);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("{\"error\":{\"code\":\"body_too_large\",\"message\":\"Content Too Large\"}}"),
            std::string::npos);
}

TEST(HttpResponse, JsonErrorEscapesMessage) {
  std::string out;
  write_json_error(out, 400, "bad", "say \"hi\"\n", true);
  std::string_view body(out);
  body.remove_prefix(out.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, R"({"error":{"code":"bad","message":"say \"hi\"\n"}})");
}

struct escape_case {
  std::string in, want;
};

TEST(JsonString, EscapesPerRfc8259) {
  const escape_case cases[] = {
      {"plain", "\"plain\""},
      {"q\"b\\s/", R"("q\"b\\s/")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {std::string("\0\x01\x1f", 3), R"("\u0000\u0001\u001f")"},
      {"\x7f", "\"\x7f\""},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
      {"bad\xff", "\"bad\xef\xbf\xbd\""},
      {"\xc3", "\"\xef\xbf\xbd\""},
      {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},  // a surrogate is not UTF-8
  };
  for (const auto& c : cases) {
    std::string out;
    append_json_string(out, c.in);
    EXPECT_EQ(out, c.want) << c.in;
  }
}

TEST(JsonString, OutputOfArbitraryBytesIsValidJson) {
  std::string in;
  for (int i = 0; i < 256; ++i) in.push_back(static_cast<char>(i));
  std::string out;
  append_json_string(out, in);
  simdjson::dom::parser p;
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(out).get(e), simdjson::SUCCESS);
}

TEST(JsonWriter, PlacesCommasInNestedContainers) {
  std::string out;
  json_writer w(out);
  w.begin_object()
      .key("a")
      .value(1)
      .key("b")
      .begin_array()
      .value("x")
      .value(true)
      .null()
      .begin_object()
      .end_object();
  w.end_array()
      .key("c")
      .value(std::uint64_t{18446744073709551615ULL})
      .key("d")
      .value(std::int64_t{-5})
      .end_object();
  EXPECT_EQ(out, R"({"a":1,"b":["x",true,null,{}],"c":18446744073709551615,"d":-5})");
}

TEST(JsonWriter, RawValuesTakeCommasToo) {
  std::string out;
  json_writer w(out);
  w.begin_array().raw("{\"k\":1}").raw("2").end_array();
  EXPECT_EQ(out, R"([{"k":1},2])");
}

}  // namespace
}  // namespace herald::control
