// Valid MSRP wire vectors shared by the parser tests (RFC 4975 §4/§5.1/§10.1/§10.2 examples and edge cases).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace herald::msrp::test {

struct vector {
  std::string name;
  std::string bytes;
};

// Joins lines with CRLF and terminates the last one with CRLF too.
std::string crlf(std::initializer_list<std::string_view> lines);

// RFC 4975 §4, first SEND, byte-exact as published (Byte-Range 1-25/25 over a 23-byte body).
std::string rfc4975_s4_send_as_published();
// The same with the Byte-Range corrected to 1-23/23.
std::string rfc4975_s4_send_corrected();
// RFC 4975 §4, the 200 response to that SEND, byte-exact.
std::string rfc4975_s4_response();

// Every vector parses completely with default limits; the incremental tests walk all of them.
const std::vector<vector>& valid_vectors();

}  // namespace herald::msrp::test
