// A tiny JSON writer appending to a std::string: responses of the control API (RFC 8259).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::control {

// Appends s as a JSON string literal: '"' '\\' and C0 controls escaped (RFC 8259 §7), valid UTF-8
// passed through unchanged, each invalid UTF-8 byte replaced by U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

// Commas are placed automatically; nesting deeper than 64 levels is not supported.
class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);
  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view(s)); }
  json_writer& value(std::int64_t n);
  json_writer& value(std::uint64_t n);
  json_writer& value(int n) { return value(static_cast<std::int64_t>(n)); }
  json_writer& value(bool b);
  json_writer& null();
  // Appends an already-serialised JSON value verbatim.
  json_writer& raw(std::string_view json);

 private:
  void before_value();
  std::string& out_;
  std::uint64_t has_items_ = 0;  // bit d: the container at depth d already holds an item
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace herald::control
