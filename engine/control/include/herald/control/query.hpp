// Request-target query strings (RFC 3986 §3.4): name=value pairs, values percent-decoded, every name
// checked against what the route accepts, so a typo or a bad number is a 400 instead of a default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace herald::control {

enum class query_error : std::uint8_t {
  ok = 0,
  unknown_parameter,  // a name the route does not take
  duplicate_parameter,
  bad_encoding,  // '%' not followed by two hex digits
  bad_number,    // not a decimal count, or above the route's maximum
};

std::string_view to_string(query_error e);

// One parameter a route takes; parse_query fills value and present.
struct query_field {
  std::string_view name;
  std::string value;  // percent-decoded; '+' is kept ('tel:+1...' must survive)
  bool present = false;
};

// Fills `fields` from `query` (without the '?'). On error `bad` names the offending parameter.
query_error parse_query(std::string_view query, std::span<query_field> fields, std::string& bad);

// A decimal count 0..max (no sign, no spaces): offsets and limits.
bool parse_count(std::string_view text, std::size_t max, std::size_t& out);

}  // namespace herald::control
