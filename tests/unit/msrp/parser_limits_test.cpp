// Parser options: response path validation can be skipped; requests are always checked.
#include <gtest/gtest.h>

#include "herald/msrp/parser.hpp"

namespace herald::msrp {
namespace {

constexpr std::string_view kResponseBadPath =
    "MSRP a786hjs2 200 OK\r\nTo-Path: not-a-uri\r\nFrom-Path: msrp://b.example.com:7654/jshA7we;tcp\r\n"
    "-------a786hjs2$\r\n";
constexpr std::string_view kRequestBadPath =
    "MSRP a786hjs2 SEND\r\nTo-Path: not-a-uri\r\nFrom-Path: msrp://b.example.com:7654/jshA7we;tcp\r\n"
    "Message-ID: 87652491\r\n-------a786hjs2$\r\n";

TEST(ParserLimits, ResponsePathsAreValidatedByDefault) {
  message m;
  parse_result r = parse(kResponseBadPath, m);
  EXPECT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error, error_code::bad_uri);
}

TEST(ParserLimits, ResponsePathsCanBeSkipped) {
  limits lim;
  lim.validate_response_paths = false;
  message m;
  parse_result r = parse(kResponseBadPath, m, lim);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(m.status_code, 200);
  EXPECT_EQ(m.transaction_id, "a786hjs2");
  EXPECT_EQ(r.consumed, kResponseBadPath.size());
}

TEST(ParserLimits, RequestPathsAreValidatedEvenWhenResponsesAreNot) {
  limits lim;
  lim.validate_response_paths = false;
  message m;
  parse_result r = parse(kRequestBadPath, m, lim);
  EXPECT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error, error_code::bad_uri);
}

}  // namespace
}  // namespace herald::msrp
