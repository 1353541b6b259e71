// message/external-body (access-type=URL) codec: MIME parameter parsing and phantom headers (RFC 2046
// §5.2.3).
#include "herald/cpim/external_body.hpp"

#include <cstring>

#include "grammar.hpp"
#include "herald/core/date.hpp"
#include "herald/cpim/message.hpp"

namespace herald::cpim {

using namespace detail;

namespace {

using ext = external_body_error;

external_body_error check_url(std::string_view url) {
  if (url.empty()) return ext::bad_url;
  for (char ch : url) {
    auto c = static_cast<unsigned char>(ch);
    // RFC 2017 §3 would let a long URL wrap with whitespace; we refuse it rather than reassemble it.
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '<' || c == '>') return ext::bad_url;
  }
  return ext::ok;
}

// type "/" subtype, then optionally parameters we pass through unexamined (but free of CTLs).
bool valid_media_type(std::string_view v) {
  std::size_t i = 0;
  while (i < v.size() && is_mime_tokenchar(static_cast<unsigned char>(v[i]))) ++i;
  if (i == 0 || i >= v.size() || v[i] != '/') return false;
  std::size_t s = ++i;
  while (i < v.size() && is_mime_tokenchar(static_cast<unsigned char>(v[i]))) ++i;
  if (i == s) return false;
  std::size_t rest = i;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  if (rest != v.size() && (i == v.size() || v[i] != ';')) return false;
  for (; i < v.size(); ++i)
    if (is_ctl(static_cast<unsigned char>(v[i])) && v[i] != '\t') return false;
  return true;
}

bool valid_content_id(std::string_view id) {
  if (id.empty()) return false;
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>') return false;
  }
  return true;
}

std::size_t skip_ows(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

struct param_seen {
  bool access_type = false, url = false, expiration = false, size = false, permission = false;
};

}  // namespace

std::string_view to_string(external_body_error e) {
  switch (e) {
    case ext::ok:
      return "ok";
    case ext::buffer_too_small:
      return "buffer_too_small";
    case ext::not_external_body:
      return "not_external_body";
    case ext::bad_parameter_syntax:
      return "bad_parameter_syntax";
    case ext::unterminated_quoted_string:
      return "unterminated_quoted_string";
    case ext::duplicate_parameter:
      return "duplicate_parameter";
    case ext::missing_access_type:
      return "missing_access_type";
    case ext::unsupported_access_type:
      return "unsupported_access_type";
    case ext::missing_url:
      return "missing_url";
    case ext::bad_url:
      return "bad_url";
    case ext::bad_size:
      return "bad_size";
    case ext::size_overflow:
      return "size_overflow";
    case ext::bad_expiration:
      return "bad_expiration";
    case ext::unsupported_permission:
      return "unsupported_permission";
    case ext::missing_phantom_blank_line:
      return "missing_phantom_blank_line";
    case ext::bad_phantom_header:
      return "bad_phantom_header";
    case ext::bad_content_type:
      return "bad_content_type";
    case ext::bad_content_id:
      return "bad_content_id";
  }
  return "unknown";
}

std::size_t external_body_bytes(const external_body& spec) {
  return 64 + spec.url.size() + 16 + rfc1123_length + 4 + 8 + 20 + 16 + 16 + spec.content_type.size() + 2 +
         14 + spec.content_id.size() + 3 + 2;
}

result<external_body_parts, external_body_error> build_external_body(const external_body& spec,
                                                                     std::span<char> out) {
  if (auto e = check_url(spec.url); e != ext::ok) return e;
  if (!spec.content_type.empty() && !valid_media_type(spec.content_type)) return ext::bad_content_type;
  if (!spec.content_id.empty() && !valid_content_id(spec.content_id)) return ext::bad_content_id;
  if (out.size() < external_body_bytes(spec)) return ext::buffer_too_small;

  char* p = out.data();
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  char* outer = p;
  put("message/external-body; access-type=URL; URL=\"");
  put(spec.url);
  put("\"");
  if (spec.has_expiration) {
    char date[rfc1123_length];
    format_rfc1123(spec.expiration, date);
    put("; expiration=\"");
    put({date, sizeof(date)});
    put("\"");
  }
  if (spec.has_size) {
    char digits[20];
    std::size_t n = 0;
    std::uint64_t v = spec.size;
    do {
      digits[sizeof(digits) - 1 - n++] = char('0' + v % 10);
      v /= 10;
    } while (v != 0);
    put("; size=");
    put({digits + sizeof(digits) - n, n});
  }
  if (spec.permission_read) put("; permission=R");
  std::string_view outer_value(outer, std::size_t(p - outer));

  char* phantom = p;
  if (!spec.content_type.empty()) {
    put("Content-Type: ");
    put(spec.content_type);
    put("\r\n");
  }
  if (!spec.content_id.empty()) {
    put("Content-ID: <");
    put(spec.content_id);
    put(">\r\n");
  }
  put("\r\n");
  return external_body_parts{outer_value, std::string_view(phantom, std::size_t(p - phantom))};
}

result<external_body, external_body_error> parse_external_body(std::string_view v, std::string_view phantom) {
  external_body out;
  // RFC 2045 §5.1: type "/" subtype *(";" parameter); names and the type itself compare case-insensitively.
  std::size_t i = skip_ows(v, 0);
  std::size_t t = i;
  while (i < v.size() && v[i] != ';' && v[i] != ' ' && v[i] != '\t') ++i;
  if (!iequals(v.substr(t, i - t), "message/external-body")) return ext::not_external_body;

  param_seen seen;
  while (true) {
    i = skip_ows(v, i);
    if (i == v.size()) break;
    if (v[i] != ';') return ext::bad_parameter_syntax;
    i = skip_ows(v, i + 1);
    if (i == v.size()) break;  // a trailing ';' is common in the wild and harmless
    std::size_t n = i;
    while (i < v.size() && is_mime_tokenchar(static_cast<unsigned char>(v[i]))) ++i;
    if (i == n) return ext::bad_parameter_syntax;
    std::string_view name = v.substr(n, i - n);
    i = skip_ows(v, i);
    if (i >= v.size() || v[i] != '=') return ext::bad_parameter_syntax;
    i = skip_ows(v, i + 1);
    std::string_view value;
    bool escaped = false;
    if (i < v.size() && v[i] == '"') {
      // RFC 822 quoted-string: quoted-pair is "\" CHAR; CR/LF are not allowed unescaped.
      std::size_t s = ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\') {
          escaped = true;
          if (++i >= v.size()) break;
        } else if (v[i] == '\r' || v[i] == '\n') {
          return ext::bad_parameter_syntax;
        }
        ++i;
      }
      if (i >= v.size()) return ext::unterminated_quoted_string;
      value = v.substr(s, i - s);
      ++i;
    } else {
      std::size_t s = i;
      while (i < v.size() && is_mime_tokenchar(static_cast<unsigned char>(v[i]))) ++i;
      if (i == s) return ext::bad_parameter_syntax;
      value = v.substr(s, i - s);
    }

    auto once = [](bool& flag) {
      bool dup = flag;
      flag = true;
      return dup;
    };
    if (iequals(name, "access-type")) {
      if (once(seen.access_type)) return ext::duplicate_parameter;
      if (!iequals(value, "URL")) return ext::unsupported_access_type;
    } else if (iequals(name, "URL")) {
      if (once(seen.url)) return ext::duplicate_parameter;
      // Escapes would force a copy to unescape; no legitimate URL needs them (RFC 3986 has no '"' or '\').
      if (escaped) return ext::bad_url;
      if (auto e = check_url(value); e != ext::ok) return e;
      out.url = value;
    } else if (iequals(name, "expiration")) {
      if (once(seen.expiration)) return ext::duplicate_parameter;
      if (escaped) return ext::bad_expiration;
      auto r = parse_rfc1123(value);
      if (!r) return ext::bad_expiration;
      out.expiration = *r;
      out.has_expiration = true;
    } else if (iequals(name, "size")) {
      if (once(seen.size)) return ext::duplicate_parameter;
      if (value.empty() || escaped) return ext::bad_size;
      std::uint64_t x = 0;
      for (char c : value) {
        if (!is_digit(static_cast<unsigned char>(c))) return ext::bad_size;
        auto d = std::uint64_t(c - '0');
        if (x > (UINT64_MAX - d) / 10) return ext::size_overflow;
        x = x * 10 + d;
      }
      out.size = x;
      out.has_size = true;
    } else if (iequals(name, "permission")) {
      if (once(seen.permission)) return ext::duplicate_parameter;
      if (!iequals(value, "R")) return ext::unsupported_permission;
      out.permission_read = true;
    }
    // Other parameters (name, site, directory, mode...) belong to other access types: ignored.
  }
  if (!seen.access_type) return ext::missing_access_type;
  if (!seen.url) return ext::missing_url;

  // Phantom headers: the MIME header of the referenced content, ended by an empty line (RFC 2046 §5.2.3).
  std::size_t pos = 0;
  while (true) {
    std::string_view name, value, line;
    mime_scan s = scan_mime_header(phantom, pos, name, value, line);
    if (s == mime_scan::end_of_headers) break;
    if (s == mime_scan::need_more) return ext::missing_phantom_blank_line;
    if (s != mime_scan::header) return ext::bad_phantom_header;
    if (iequals(name, "Content-Type")) {
      if (!valid_media_type(value)) return ext::bad_content_type;
      out.content_type = value;
    } else if (iequals(name, "Content-ID")) {
      if (value.size() < 3 || value.front() != '<' || value.back() != '>') return ext::bad_content_id;
      std::string_view id = value.substr(1, value.size() - 2);
      if (!valid_content_id(id)) return ext::bad_content_id;
      out.content_id = id;
    }
  }
  return out;
}

}  // namespace herald::cpim
