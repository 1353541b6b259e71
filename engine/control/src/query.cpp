// Query-string parsing: exact names, percent-decoded values, strict counts.
#include "herald/control/query.hpp"

#include "herald/core/ascii.hpp"

namespace herald::control {

std::string_view to_string(query_error e) {
  switch (e) {
    case query_error::ok:
      return "ok";
    case query_error::unknown_parameter:
      return "unknown_parameter";
    case query_error::duplicate_parameter:
      return "duplicate_parameter";
    case query_error::bad_encoding:
      return "bad_encoding";
    case query_error::bad_number:
      return "bad_number";
  }
  return "unknown";
}

namespace {
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = ascii::hex_value(in[i + 1]);
    const int lo = ascii::hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}
}  // namespace

query_error parse_query(std::string_view query, std::span<query_field> fields, std::string& bad) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    query_field* field = nullptr;
    for (query_field& f : fields)
      if (f.name == name) field = &f;
    bad.assign(name);
    if (!field) return query_error::unknown_parameter;
    if (field->present) return query_error::duplicate_parameter;
    if (!percent_decode(raw, field->value)) return query_error::bad_encoding;
    field->present = true;
  }
  bad.clear();
  return query_error::ok;
}

bool parse_count(std::string_view text, std::size_t max, std::size_t& out) {
  std::uint64_t v = 0;
  if (!ascii::parse_u64(text, v) || v > max) return false;
  out = static_cast<std::size_t>(v);
  return true;
}

}  // namespace herald::control
