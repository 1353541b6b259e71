// Message/CPIM parser: CPIM header block, encapsulated MIME header block, body (RFC 3862 §2-§3).
#include "herald/cpim/parser.hpp"

#include "grammar.hpp"
#include "herald/core/date.hpp"

namespace herald::cpim {

using namespace detail;

namespace {

parse_error from_scan(string_scan s) {
  switch (s) {
    case string_scan::ok:
      return parse_error::ok;
    case string_scan::unterminated:
      return parse_error::unterminated_quoted_string;
    case string_scan::bad_escape:
      return parse_error::bad_escape;
    case string_scan::bad_char:
      return parse_error::control_character;
  }
  return parse_error::bad_header_syntax;
}

// URI inside <>: RFC 3862 leaves it to RFC 3986, which has no whitespace, quotes or angle brackets.
bool valid_uri_char(unsigned char c) {
  return c > 0x20 && c != 0x7f && c != '<' && c != '>' && c != '"';
}

// `<URI>` exactly filling v; uri excludes the brackets.
bool parse_angle_uri(std::string_view v, std::string_view& uri) {
  if (v.size() < 3 || v.front() != '<' || v.back() != '>') return false;
  uri = v.substr(1, v.size() - 2);
  for (char c : uri)
    if (!valid_uri_char(static_cast<unsigned char>(c))) return false;
  return true;
}

// RFC 3862 §3.3: [ Formal-name ] "<" URI ">", Formal-name = 1*( Token SP ) / String.
parse_error parse_address(std::string_view v, address& a) {
  std::size_t i = 0;
  a = {};
  if (!v.empty() && v[0] == '"') {
    std::size_t end = 0;
    if (auto s = scan_cpim_string(v, 0, end); s != string_scan::ok) return from_scan(s);
    a.display_name = v.substr(1, end - 2);
    a.quoted = true;
    i = end;
    // Many clients write `"Name" <uri>`; the ABNF has no SP there, so accept it but do not require it.
    if (i < v.size() && v[i] == ' ') ++i;
  } else if (!v.empty() && v[0] != '<') {
    while (i < v.size() && v[i] != '<') {
      std::size_t t = i;
      while (i < v.size() && is_tokenchar(static_cast<unsigned char>(v[i]))) ++i;
      if (i == t || i >= v.size() || v[i] != ' ') return parse_error::bad_address;
      ++i;
    }
    a.display_name = v.substr(0, i - 1);
  }
  if (!parse_angle_uri(v.substr(i), a.uri)) return parse_error::bad_address;
  return parse_error::ok;
}

// RFC 3862 §3.3: Param-value = Token / Number / String (Number is a subset of Token).
parse_error parse_params(std::string_view line, std::size_t& i, header& h) {
  std::size_t start = i;
  while (i < line.size() && line[i] == ';') {
    std::size_t n = name_run(line, i + 1);
    if (n == i + 1) return parse_error::bad_parameter;
    std::string_view pname = line.substr(i + 1, n - i - 1);
    i = n;
    std::string_view pvalue;
    if (i < line.size() && line[i] == '=') {
      ++i;
      if (i < line.size() && line[i] == '"') {
        std::size_t end = 0;
        if (auto s = scan_cpim_string(line, i, end); s != string_scan::ok) return from_scan(s);
        pvalue = line.substr(i + 1, end - i - 2);
        i = end;
      } else {
        std::size_t t = i;
        while (i < line.size() && is_tokenchar(static_cast<unsigned char>(line[i]))) ++i;
        if (i == t) return parse_error::bad_parameter;
        pvalue = line.substr(t, i - t);
      }
    }
    if (pname == "lang") h.lang = pvalue;
  }
  h.params = line.substr(start, i - start);
  return parse_error::ok;
}

bool prefix_declared(const message& m, std::string_view prefix) {
  for (std::size_t k = 0; k < m.header_count; ++k)
    if (m.headers[k].kind == header_kind::ns && m.headers[k].addr.display_name == prefix) return true;
  return false;
}

header_kind kind_of(std::string_view name) {
  // Header names are case-sensitive: the ABNF spells them with %d literals (RFC 3862 §3.3, §4).
  if (name == "From") return header_kind::from;
  if (name == "To") return header_kind::to;
  if (name == "cc") return header_kind::cc;
  if (name == "DateTime") return header_kind::datetime;
  if (name == "Subject") return header_kind::subject;
  if (name == "NS") return header_kind::ns;
  if (name == "Require") return header_kind::require;
  return header_kind::extension;
}

// Require = Header-name *( "," Header-name ), Header-name = [ Name-prefix "." ] Name.
bool valid_require(std::string_view v) {
  std::size_t i = 0;
  while (true) {
    std::size_t n = name_run(v, i);
    if (n == i) return false;
    i = n;
    if (i < v.size() && v[i] == '.') {
      n = name_run(v, i + 1);
      if (n == i + 1) return false;
      i = n;
    }
    if (i == v.size()) return true;
    if (v[i] != ',') return false;
    ++i;
  }
}

// One CPIM header line without its CRLF (already checked for CTLs).
parse_error parse_line(std::string_view line, message& m, header& h) {
  std::size_t n = name_run(line, 0);
  if (n == 0) return parse_error::bad_header_syntax;
  h.name = line.substr(0, n);
  if (n < line.size() && line[n] == '.') {
    std::size_t n2 = name_run(line, n + 1);
    if (n2 == n + 1) return parse_error::bad_header_syntax;
    h.prefix = h.name;
    h.name = line.substr(n + 1, n2 - n - 1);
    n = n2;
  }
  if (n >= line.size() || line[n] != ':') return parse_error::bad_header_syntax;
  std::size_t i = n + 1;
  if (auto e = parse_params(line, i, h); e != parse_error::ok) return e;
  if (i < line.size()) {
    if (line[i] != ' ') return parse_error::bad_header_syntax;
    ++i;
  }
  h.value = line.substr(i);

  if (!h.prefix.empty()) {
    // RFC 3862 §3.2: a prefix is only meaningful once an NS header has bound it to a namespace.
    if (!prefix_declared(m, h.prefix)) return parse_error::undeclared_prefix;
    h.kind = header_kind::extension;
    return parse_error::ok;
  }
  h.kind = kind_of(h.name);
  switch (h.kind) {
    case header_kind::from:
      if (m.from_index >= 0) return parse_error::duplicate_header;
      [[fallthrough]];
    case header_kind::to:
    case header_kind::cc:
      return parse_address(h.value, h.addr);
    case header_kind::datetime: {
      if (m.has_datetime) return parse_error::duplicate_header;
      auto r = parse_rfc3339(h.value);
      if (!r) return parse_error::bad_datetime;
      m.datetime = *r;
      m.has_datetime = true;
      return parse_error::ok;
    }
    case header_kind::ns: {
      // NS-header = "NS" ": " [ Name-prefix SP ] "<" URI ">"
      std::string_view v = h.value;
      std::size_t p = name_run(v, 0);
      if (p > 0) {
        if (p >= v.size() || v[p] != ' ') return parse_error::bad_ns;
        h.addr.display_name = v.substr(0, p);
        v.remove_prefix(p + 1);
      }
      if (!parse_angle_uri(v, h.addr.uri)) return parse_error::bad_ns;
      return parse_error::ok;
    }
    case header_kind::require:
      return valid_require(h.value) ? parse_error::ok : parse_error::bad_require;
    case header_kind::subject:
    case header_kind::extension:
      return parse_error::ok;
  }
  return parse_error::ok;
}

bool parse_u64(std::string_view v, std::uint64_t& out) {
  if (v.empty() || v.size() > 20) return false;
  std::uint64_t x = 0;
  for (char c : v) {
    if (!is_digit(static_cast<unsigned char>(c))) return false;
    auto d = std::uint64_t(c - '0');
    if (x > (UINT64_MAX - d) / 10) return false;
    x = x * 10 + d;
  }
  out = x;
  return true;
}

}  // namespace

const mime_header* message::find_inner(std::string_view name) const {
  for (const auto& h : mime())
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

std::string_view to_string(parse_error e) {
  switch (e) {
    case parse_error::ok:
      return "ok";
    case parse_error::need_more:
      return "need_more";
    case parse_error::truncated:
      return "truncated";
    case parse_error::missing_blank_line:
      return "missing_blank_line";
    case parse_error::bad_header_syntax:
      return "bad_header_syntax";
    case parse_error::bad_parameter:
      return "bad_parameter";
    case parse_error::bad_address:
      return "bad_address";
    case parse_error::unterminated_quoted_string:
      return "unterminated_quoted_string";
    case parse_error::bad_escape:
      return "bad_escape";
    case parse_error::control_character:
      return "control_character";
    case parse_error::too_many_headers:
      return "too_many_headers";
    case parse_error::bad_datetime:
      return "bad_datetime";
    case parse_error::bad_ns:
      return "bad_ns";
    case parse_error::undeclared_prefix:
      return "undeclared_prefix";
    case parse_error::bad_require:
      return "bad_require";
    case parse_error::duplicate_header:
      return "duplicate_header";
    case parse_error::missing_from:
      return "missing_from";
    case parse_error::bad_content_length:
      return "bad_content_length";
  }
  return "unknown";
}

parse_error parse(std::string_view s, message& m) {
  m.header_count = 0;
  m.inner_count = 0;
  m.from_index = -1;
  m.has_datetime = false;
  m.has_content_length = false;
  m.datetime = 0;
  m.content_length = 0;
  m.content_type = {};
  m.content_id = {};
  m.body = {};

  std::size_t pos = 0;
  // CPIM header block (RFC 3862 §3): each line `Header CRLF`, ended by an empty line.
  while (true) {
    if (pos >= s.size()) return parse_error::need_more;
    if (s[pos] == '\r') {
      if (pos + 1 >= s.size()) return parse_error::need_more;
      if (s[pos + 1] != '\n') return parse_error::control_character;
      break;
    }
    std::size_t j = pos;
    while (j < s.size() && s[j] != '\n') {
      auto c = static_cast<unsigned char>(s[j]);
      // A CR is only legal right before LF; anything else would let a peer smuggle a line break.
      if (is_ctl(c) && !(c == '\r' && j + 1 < s.size() && s[j + 1] == '\n')) {
        if (c == '\r' && j + 1 == s.size()) return parse_error::need_more;
        return parse_error::control_character;
      }
      ++j;
    }
    if (j >= s.size()) return parse_error::need_more;
    if (j == pos || s[j - 1] != '\r') return parse_error::bad_header_syntax;  // bare LF
    if (m.header_count == max_headers) return parse_error::too_many_headers;
    header& h = m.headers[m.header_count];
    h = header{};
    h.line = s.substr(pos, j + 1 - pos);
    if (auto e = parse_line(s.substr(pos, j - 1 - pos), m, h); e != parse_error::ok) return e;
    if (h.kind == header_kind::from) m.from_index = std::int8_t(m.header_count);
    ++m.header_count;
    pos = j + 1;
  }
  m.cpim_headers = s.substr(0, pos);
  if (m.from_index < 0) return parse_error::missing_from;
  pos += 2;

  // Encapsulated MIME headers (RFC 3862 §2), ended by an empty line.
  std::size_t inner_start = pos;
  while (true) {
    std::string_view name, value, line;
    std::size_t at = pos;
    switch (scan_mime_header(s, pos, name, value, line)) {
      case mime_scan::need_more:
        return parse_error::need_more;
      case mime_scan::bad_syntax:
        return parse_error::bad_header_syntax;
      case mime_scan::bad_char:
        return parse_error::control_character;
      case mime_scan::end_of_headers:
        m.inner_headers = s.substr(inner_start, at - inner_start);
        goto body;
      case mime_scan::header:
        break;
    }
    if (m.inner_count == max_inner_headers) return parse_error::too_many_headers;
    m.inner[m.inner_count++] = mime_header{name, value, line};
    if (iequals(name, "Content-Type")) {
      m.content_type = value;
    } else if (iequals(name, "Content-ID")) {
      m.content_id = value;
    } else if (iequals(name, "Content-Length")) {
      if (!parse_u64(value, m.content_length)) return parse_error::bad_content_length;
      m.has_content_length = true;
    }
  }
body:
  m.body = s.substr(pos);
  if (m.has_content_length) {
    if (m.body.size() < m.content_length) return parse_error::need_more;
    m.body = m.body.substr(0, m.content_length);
  }
  return parse_error::ok;
}

parse_error parse_final(std::string_view s, message& m) {
  parse_error e = parse(s, m);
  if (e != parse_error::need_more) return e;
  // Tell a missing block terminator apart from a cut-off line or body.
  if (m.has_content_length) return parse_error::truncated;
  if (s.size() >= 2 && s.substr(s.size() - 2) == "\r\n") return parse_error::missing_blank_line;
  return parse_error::truncated;
}

std::size_t unescape(std::string_view raw, char* out) {
  std::size_t o = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      out[o++] = c;
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case 'b':
        out[o++] = '\b';
        break;
      case 't':
        out[o++] = '\t';
        break;
      case 'n':
        out[o++] = '\n';
        break;
      case 'r':
        out[o++] = '\r';
        break;
      case 'u': {
        unsigned cp = 0;
        for (std::size_t k = 1; k <= 4 && i + k < raw.size(); ++k) {
          char h = raw[i + k];
          cp = cp * 16 + unsigned(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
        }
        i += 4;
        if (cp < 0x80) {
          out[o++] = char(cp);
        } else if (cp < 0x800) {
          out[o++] = char(0xc0 | (cp >> 6));
          out[o++] = char(0x80 | (cp & 0x3f));
        } else {
          out[o++] = char(0xe0 | (cp >> 12));
          out[o++] = char(0x80 | ((cp >> 6) & 0x3f));
          out[o++] = char(0x80 | (cp & 0x3f));
        }
        break;
      }
      default:
        out[o++] = e;
        break;  // ", ' and backslash stand for themselves
    }
  }
  return o;
}

}  // namespace herald::cpim
