// Fuzzes the JSON request decoders and field validators directly, without HTTP framing in the way.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "herald/control/json_writer.hpp"
#include "herald/control/requests.hpp"
#include "herald/control/validate.hpp"

using namespace herald::control;

namespace {

// A field accepted by a validator must never carry a byte that could break an MSRP/CPIM header line.
void require_no_line_break(std::string_view v) {
  for (char c : v)
    if (c == '\r' || c == '\n' || c == '\0') std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::unique_ptr<char[]> copy(new char[size + 1]);
  std::memcpy(copy.get(), data, size);
  std::string_view in(copy.get(), size);

  create_conference_request c;
  if (decode_create_conference(in, c).ok()) {
    require_no_line_break(c.uri);
    if (c.display_name) require_no_line_break(*c.display_name);
  }
  add_participant_request p;
  if (decode_add_participant(in, p).ok()) require_no_line_break(p.address);
  add_participants_batch_request b;
  if (decode_add_participants_batch(in, b).ok())
    for (const auto& e : b.participants) require_no_line_break(e.address);
  send_message_request s;
  decode_error err = decode_send_message(in, s);
  if (err.ok()) {
    require_no_line_break(s.content_type);
    for (const auto& t : s.to) require_no_line_break(t);
    if (s.kind == body_kind::external) {
      require_no_line_break(s.external.url);
      require_no_line_break(s.external.content_type);
      if (s.external.url.find('"') != std::string::npos) std::abort();
    }
    if (s.subject) require_no_line_break(*s.subject);
  } else {
    std::string out;
    write_decode_error(out, err, true);
  }

  if (validate_address(in) == value_error::ok) require_no_line_break(in);
  if (validate_text(in, 1 << 20) == value_error::ok) require_no_line_break(in);
  if (validate_content_type(in) == value_error::ok) require_no_line_break(in);
  if (validate_url(in) == value_error::ok) require_no_line_break(in);
  (void)parse_http_date(in, true);
  std::string decoded;
  (void)decode_base64(in, decoded);
  std::string json;
  append_json_string(json, in);
  return 0;
}
