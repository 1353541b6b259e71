// Message/CPIM encoder: quoting, escaping and injection checks for header lines (RFC 3862 §3.3).
#include "herald/cpim/encoder.hpp"

#include <cstring>

#include "grammar.hpp"
#include "herald/core/date.hpp"

namespace herald::cpim {

using namespace detail;

namespace {

bool valid_name(std::string_view n) {
  return !n.empty() && name_run(n, 0) == n.size();
}

bool valid_value(std::string_view v) {
  for (char c : v)
    if (is_ctl(static_cast<unsigned char>(c))) return false;
  return true;
}

std::size_t write_address(char* p, std::string_view display_name, std::string_view uri) {
  char* start = p;
  if (!display_name.empty()) {
    *p++ = '"';
    for (char c : display_name) {
      if (c == '"' || c == '\\') *p++ = '\\';
      *p++ = c;
    }
    *p++ = '"';
    *p++ = ' ';
  }
  *p++ = '<';
  std::memcpy(p, uri.data(), uri.size());
  p += uri.size();
  *p++ = '>';
  return std::size_t(p - start);
}

}  // namespace

std::string_view to_string(encode_error e) {
  switch (e) {
    case encode_error::ok:
      return "ok";
    case encode_error::buffer_too_small:
      return "buffer_too_small";
    case encode_error::empty_uri:
      return "empty_uri";
    case encode_error::uri_control_character:
      return "uri_control_character";
    case encode_error::uri_whitespace:
      return "uri_whitespace";
    case encode_error::uri_angle_bracket:
      return "uri_angle_bracket";
    case encode_error::display_name_control_character:
      return "display_name_control_character";
    case encode_error::bad_header_name:
      return "bad_header_name";
    case encode_error::bad_header_value:
      return "bad_header_value";
    case encode_error::bad_lang:
      return "bad_lang";
  }
  return "unknown";
}

encode_error validate_uri(std::string_view uri) {
  if (uri.empty()) return encode_error::empty_uri;
  for (char ch : uri) {
    auto c = static_cast<unsigned char>(ch);
    if (is_ctl(c)) return encode_error::uri_control_character;
    if (c == ' ') return encode_error::uri_whitespace;
    if (c == '<' || c == '>' || c == '"') return encode_error::uri_angle_bracket;
  }
  return encode_error::ok;
}

encode_error validate_display_name(std::string_view display_name) {
  for (char c : display_name)
    if (is_ctl(static_cast<unsigned char>(c))) return encode_error::display_name_control_character;
  return encode_error::ok;
}

result<std::size_t, encode_error> format_address(std::span<char> out, std::string_view display_name,
                                                 std::string_view uri) {
  if (auto e = validate_uri(uri); e != encode_error::ok) return e;
  if (auto e = validate_display_name(display_name); e != encode_error::ok) return e;
  std::size_t need = uri.size() + 2;
  if (!display_name.empty()) {
    need += display_name.size() + 3;
    for (char c : display_name) need += (c == '"' || c == '\\');
  }
  if (out.size() < need) return encode_error::buffer_too_small;
  return write_address(out.data(), display_name, uri);
}

void writer::raw(std::string_view bytes) {
  if (!room(bytes.size())) return;
  if (!bytes.empty()) std::memcpy(cur_, bytes.data(), bytes.size());
  cur_ += bytes.size();
}

void writer::address_header(std::string_view name, std::string_view display_name, std::string_view uri) {
  if (error_ != encode_error::ok) return;
  if (!room(name.size() + 2)) return;
  char* mark = cur_;
  raw(name);
  raw(": ");
  auto r = format_address({cur_, std::size_t(end_ - cur_)}, display_name, uri);
  if (!r) {
    cur_ = mark;
    fail(r.error());
    return;
  }
  cur_ += *r;
  raw("\r\n");
}

void writer::datetime(std::int64_t epoch_seconds) {
  char buf[rfc3339_length];
  format_rfc3339(epoch_seconds, buf);
  raw("DateTime: ");
  raw({buf, sizeof(buf)});
  raw("\r\n");
}

void writer::subject(std::string_view text, std::string_view lang) {
  if (!valid_value(text)) return fail(encode_error::bad_header_value);
  for (char c : lang)
    if (!is_tokenchar(static_cast<unsigned char>(c))) return fail(encode_error::bad_lang);
  raw("Subject:");
  if (!lang.empty()) {
    raw(";lang=");
    raw(lang);
  }
  raw(" ");
  raw(text);
  raw("\r\n");
}

void writer::ns(std::string_view prefix, std::string_view uri) {
  if (!prefix.empty() && !valid_name(prefix)) return fail(encode_error::bad_header_name);
  if (auto e = validate_uri(uri); e != encode_error::ok) return fail(e);
  raw("NS: ");
  if (!prefix.empty()) {
    raw(prefix);
    raw(" ");
  }
  raw("<");
  raw(uri);
  raw(">\r\n");
}

void writer::require(std::string_view names) {
  // Validated by the same rule the parser applies: Header-name *( "," Header-name ).
  std::size_t i = 0;
  while (true) {
    std::size_t n = name_run(names, i);
    if (n == i) return fail(encode_error::bad_header_name);
    i = n;
    if (i < names.size() && names[i] == '.') {
      n = name_run(names, i + 1);
      if (n == i + 1) return fail(encode_error::bad_header_name);
      i = n;
    }
    if (i == names.size()) break;
    if (names[i] != ',') return fail(encode_error::bad_header_name);
    ++i;
  }
  raw("Require: ");
  raw(names);
  raw("\r\n");
}

void writer::header(std::string_view prefix, std::string_view name, std::string_view value) {
  if (!valid_name(name) || (!prefix.empty() && !valid_name(prefix)))
    return fail(encode_error::bad_header_name);
  if (!valid_value(value)) return fail(encode_error::bad_header_value);
  if (!prefix.empty()) {
    raw(prefix);
    raw(".");
  }
  raw(name);
  raw(": ");
  raw(value);
  raw("\r\n");
}

void writer::mime_header(std::string_view name, std::string_view value) {
  if (name.empty()) return fail(encode_error::bad_header_name);
  for (char c : name)
    if (!is_ftext(static_cast<unsigned char>(c))) return fail(encode_error::bad_header_name);
  if (!valid_value(value)) return fail(encode_error::bad_header_value);
  raw(name);
  raw(": ");
  raw(value);
  raw("\r\n");
}

result<std::size_t, encode_error> encode(const message& m, std::span<char> out) {
  writer w(out);
  for (const auto& h : m.cpim()) {
    if (h.kind == header_kind::from || h.kind == header_kind::to || h.kind == header_kind::cc) {
      // Display names stay in their wire (escaped) form, so the quoted case is copied, not re-escaped.
      w.raw(h.name);
      w.raw(":");
      w.raw(h.params);
      w.raw(" ");
      if (h.addr.quoted) {
        w.raw("\"");
        w.raw(h.addr.display_name);
        w.raw("\" ");
      } else if (!h.addr.display_name.empty()) {
        w.raw(h.addr.display_name);
        w.raw(" ");
      }
      w.raw("<");
      w.raw(h.addr.uri);
      w.raw(">\r\n");
      continue;
    }
    if (!h.prefix.empty()) {
      w.raw(h.prefix);
      w.raw(".");
    }
    w.raw(h.name);
    w.raw(":");
    w.raw(h.params);
    w.raw(" ");
    w.raw(h.value);
    w.raw("\r\n");
  }
  w.end_cpim_headers();
  for (const auto& h : m.mime()) {
    w.raw(h.name);
    w.raw(": ");
    w.raw(h.value);
    w.raw("\r\n");
  }
  w.end_mime_headers();
  if (!w.ok()) return w.error();
  return w.size();
}

}  // namespace herald::cpim
