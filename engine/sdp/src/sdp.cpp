// SDP offer parsing and the answer for MSRP sessions.
#include "herald/sdp/sdp.hpp"

#include <charconv>

#include "herald/core/ascii.hpp"
#include "herald/msrp/uri.hpp"

namespace herald::sdp {

std::string_view to_string(sdp_error e) {
  switch (e) {
    case sdp_error::ok:
      return "ok";
    case sdp_error::empty:
      return "empty";
    case sdp_error::too_large:
      return "too_large";
    case sdp_error::bad_line:
      return "bad_line";
    case sdp_error::bad_version:
      return "bad_version";
    case sdp_error::missing_origin:
      return "missing_origin";
    case sdp_error::bad_origin:
      return "bad_origin";
    case sdp_error::missing_session_name:
      return "missing_session_name";
    case sdp_error::bad_connection:
      return "bad_connection";
    case sdp_error::bad_media:
      return "bad_media";
    case sdp_error::too_many_media:
      return "too_many_media";
    case sdp_error::too_many_lines:
      return "too_many_lines";
    case sdp_error::bad_attribute:
      return "bad_attribute";
    case sdp_error::duplicate_attribute:
      return "duplicate_attribute";
    case sdp_error::no_msrp_media:
      return "no_msrp_media";
    case sdp_error::no_path:
      return "no_path";
    case sdp_error::cpim_not_accepted:
      return "cpim_not_accepted";
    case sdp_error::setup_not_possible:
      return "setup_not_possible";
  }
  return "unknown";
}

bool media_description::msrp() const {
  return media == "message" && (proto == "TCP/MSRP" || proto == "TCP/TLS/MSRP");
}

namespace {

// RFC 8866 §9 token-char: any visible ASCII but the separators SDP uses.
bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return c != '"' && c != '(' && c != ')' && c != ',' && c != '/' && c != ':' && c != ';' && c != '<' &&
         c != '=' && c != '>' && c != '?' && c != '@' && c != '[' && c != '\\' && c != ']' && c != '{' &&
         c != '}';
}
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

// Splits s at single spaces into at most N fields; false if a field is empty (a doubled or trailing
// space) or there are more than N.
template <std::size_t N>
bool split_fields(std::string_view s, std::array<std::string_view, N>& out, std::size_t& count) {
  count = 0;
  while (true) {
    const std::size_t sp = s.find(' ');
    const std::string_view field = s.substr(0, sp);
    if (field.empty() || count == N) return false;
    out[count++] = field;
    if (sp == std::string_view::npos) return true;
    s = s.substr(sp + 1);
  }
}

bool parse_u32(std::string_view s, std::uint32_t max, std::uint32_t& out) {
  std::uint64_t v = 0;
  if (!ascii::parse_u64(s, v) || v > max) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

// c=IN IP4|IP6 address[/ttl[/count]]
bool parse_connection(std::string_view v, std::string_view& address) {
  std::array<std::string_view, 3> f;
  std::size_t n = 0;
  if (!split_fields(v, f, n) || n != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6")) return false;
  address = f[2].substr(0, f[2].find('/'));
  return !address.empty();
}

// o=username sess-id sess-version nettype addrtype unicast-address
bool parse_origin(std::string_view v) {
  std::array<std::string_view, 6> f;
  std::size_t n = 0;
  if (!split_fields(v, f, n) || n != 6) return false;
  std::uint64_t id = 0;
  return ascii::parse_u64(f[1], id) && ascii::parse_u64(f[2], id) && f[3] == "IN" &&
         (f[4] == "IP4" || f[4] == "IP6");
}

// m=media port[/count] proto fmt...
bool parse_media(std::string_view v, media_description& m) {
  std::array<std::string_view, 3> head;
  const std::size_t third = v.find(' ', v.find(' ', v.find(' ') + 1) + 1);
  if (third == std::string_view::npos) return false;
  std::size_t n = 0;
  if (!split_fields(v.substr(0, third), head, n) || n != 3) return false;
  m.media = head[0];
  m.proto = head[2];
  m.formats = v.substr(third + 1);
  if (!is_token(m.media) || m.proto.empty() || m.formats.empty() || m.formats.front() == ' ') return false;
  for (char c : m.proto)
    if (!is_token_char(c) && c != '/') return false;
  const std::string_view port = head[1].substr(0, head[1].find('/'));
  return parse_u32(port, 65535, m.port);
}

// type "/" subtype, "type/*" or "*", separated by single spaces (RFC 4975 §8.6, §9).
bool valid_type_list(std::string_view v) {
  std::array<std::string_view, 64> types;
  std::size_t n = 0;
  if (!split_fields(v, types, n)) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view t = types[i];
    if (t == "*") continue;
    const std::size_t slash = t.find('/');
    if (slash == std::string_view::npos) return false;
    const std::string_view sub = t.substr(slash + 1);
    if (!is_token(t.substr(0, slash)) || (sub != "*" && !is_token(sub))) return false;
  }
  return true;
}

bool lists_cpim(std::string_view accept_types) {
  std::array<std::string_view, 64> types;
  std::size_t n = 0;
  if (!split_fields(accept_types, types, n)) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (types[i] == "*" || ascii::iequals(types[i], "message/cpim") || ascii::iequals(types[i], "message/*"))
      return true;
  return false;
}

// A media-level attribute Herald reads; others are left alone.
sdp_error parse_attribute(std::string_view name, std::string_view value, bool has_value,
                          media_description& m) {
  auto once = [&](std::string_view& field) {
    if (!field.empty()) return sdp_error::duplicate_attribute;
    field = value;
    return sdp_error::ok;
  };
  if (name == "path") {
    if (!has_value || !msrp::split_path(value).ok()) return sdp_error::bad_attribute;
    return once(m.path);
  }
  if (name == "accept-types" || name == "accept-wrapped-types") {
    if (!has_value || !valid_type_list(value)) return sdp_error::bad_attribute;
    return once(name == "accept-types" ? m.accept_types : m.accept_wrapped_types);
  }
  if (name == "max-size") {
    if (m.has_max_size) return sdp_error::duplicate_attribute;
    if (!has_value || !ascii::parse_u64(value, m.max_size)) return sdp_error::bad_attribute;
    m.has_max_size = true;
    return sdp_error::ok;
  }
  if (name == "setup") {
    if (m.setup != setup_role::unset) return sdp_error::duplicate_attribute;
    m.setup = value == "active"     ? setup_role::active
              : value == "passive"  ? setup_role::passive
              : value == "actpass"  ? setup_role::actpass
              : value == "holdconn" ? setup_role::holdconn
                                    : setup_role::unset;
    return m.setup == setup_role::unset ? sdp_error::bad_attribute : sdp_error::ok;
  }
  if (name == "connection") {
    if (m.connection != connection_mode::unset) return sdp_error::duplicate_attribute;
    m.connection = value == "new"        ? connection_mode::fresh
                   : value == "existing" ? connection_mode::existing
                                         : connection_mode::unset;
    return m.connection == connection_mode::unset ? sdp_error::bad_attribute : sdp_error::ok;
  }
  return sdp_error::ok;
}

}  // namespace

result<session_description, sdp_error> parse(std::string_view text, const limits& lim) {
  if (text.empty()) return sdp_error::empty;
  if (text.size() > lim.max_bytes) return sdp_error::too_large;
  const std::size_t max_media = std::min(lim.max_media, max_media_lines);
  session_description sd;
  media_description* current = nullptr;
  std::size_t lines = 0;
  bool seen_session_name = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      // Only trailing blank lines (some stacks end the body with an extra CRLF).
      for (char c : text)
        if (c != '\r' && c != '\n') return sdp_error::bad_line;
      break;
    }
    if (++lines > lim.max_lines) return sdp_error::too_many_lines;
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') return sdp_error::bad_line;
    for (char c : line)
      if (ascii::is_control(c)) return sdp_error::bad_line;
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (lines == 1) {
      if (type != 'v' || value != "0") return sdp_error::bad_version;
      continue;
    }
    if (lines == 2) {
      if (type != 'o') return sdp_error::missing_origin;
      if (!parse_origin(value)) return sdp_error::bad_origin;
      sd.origin = value;
      continue;
    }
    if (lines == 3) {
      if (type != 's' || value.empty()) return sdp_error::missing_session_name;
      sd.session_name = value;
      seen_session_name = true;
      continue;
    }
    switch (type) {
      case 'c': {
        std::string_view address;
        if (!parse_connection(value, address)) return sdp_error::bad_connection;
        (current ? current->connection_address : sd.connection_address) = address;
        break;
      }
      case 'm': {
        if (sd.media_count == max_media) return sdp_error::too_many_media;
        current = &sd.media[sd.media_count++];
        if (!parse_media(value, *current)) return sdp_error::bad_media;
        break;
      }
      case 'a': {
        if (!current) break;  // session-level attributes: none that Herald reads
        const std::size_t colon = value.find(':');
        const std::string_view name = value.substr(0, colon);
        if (!is_token(name)) return sdp_error::bad_attribute;
        if (sdp_error e = parse_attribute(
                name, colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1),
                colon != std::string_view::npos, *current);
            e != sdp_error::ok)
          return e;
        break;
      }
      default:
        break;  // i= u= e= p= b= t= r= z= k=: read, not used
    }
  }
  if (lines < 2) return sdp_error::missing_origin;
  if (!seen_session_name) return sdp_error::missing_session_name;
  for (std::size_t i = 0; i < sd.media_count; ++i)
    if (sd.media[i].connection_address.empty()) sd.media[i].connection_address = sd.connection_address;
  return sd;
}

result<std::size_t, sdp_error> choose_msrp_media(const session_description& offer, bool allow_tls) {
  sdp_error first_problem = sdp_error::no_msrp_media;
  for (std::size_t i = 0; i < offer.media_count; ++i) {
    const media_description& m = offer.media[i];
    if (!m.msrp() || m.port == 0 || (m.tls() && !allow_tls)) continue;
    sdp_error problem = sdp_error::ok;
    if (m.path.empty()) {
      problem = sdp_error::no_path;
    } else if (m.accept_types.empty() || !lists_cpim(m.accept_types)) {
      problem = sdp_error::cpim_not_accepted;
    } else if (m.setup == setup_role::passive || m.setup == setup_role::holdconn) {
      problem = sdp_error::setup_not_possible;
    }
    if (problem == sdp_error::ok) return i;
    if (first_problem == sdp_error::no_msrp_media) first_problem = problem;
  }
  return first_problem;
}

std::string answer(const session_description& offer, std::size_t chosen, const answer_params& p) {
  const char* addrtype = p.address.find(':') != std::string_view::npos ? "IP6" : "IP4";
  char number[24];
  auto text = [&number](std::uint64_t v) {
    auto r = std::to_chars(number, number + sizeof number, v);
    return std::string_view(number, static_cast<std::size_t>(r.ptr - number));
  };
  std::string out;
  out.reserve(512 + p.path.size() + p.accept_types.size());
  out += "v=0\r\no=herald ";
  out += text(p.session_id);
  out += ' ';
  out += text(p.session_id);
  out += " IN ";
  out += addrtype;
  out += ' ';
  out += p.address;
  out += "\r\ns=-\r\nc=IN ";
  out += addrtype;
  out += ' ';
  out += p.address;
  out += "\r\nt=0 0\r\n";
  for (std::size_t i = 0; i < offer.media_count; ++i) {
    const media_description& m = offer.media[i];
    if (i != chosen) {
      // RFC 3264 §6: a stream not accepted is answered with port zero, same media, proto and formats.
      out += "m=";
      out += m.media;
      out += " 0 ";
      out += m.proto;
      out += ' ';
      out += m.formats;
      out += "\r\n";
      continue;
    }
    out += "m=message ";
    out += text(p.port);
    out += p.tls ? " TCP/TLS/MSRP *\r\n" : " TCP/MSRP *\r\n";
    out += "a=accept-types:";
    out += p.accept_types;
    out += "\r\na=accept-wrapped-types:*\r\n";
    if (p.max_size != 0) {
      out += "a=max-size:";
      out += text(p.max_size);
      out += "\r\n";
    }
    out += "a=path:";
    out += p.path;
    // RFC 6135 §4: Herald listens; the participant opens (or reuses, with its own "existing") the
    // connection.
    out += "\r\na=setup:passive\r\na=connection:new\r\n";
  }
  return out;
}

}  // namespace herald::sdp
