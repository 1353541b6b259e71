// MSRP (RFC 4975 §7, §9) message parser: start line, header block and end-line-framed body.
#include "herald/msrp/parser.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "herald/msrp/uri.hpp"
#include "text.hpp"

namespace herald::msrp {

namespace {
using detail::iequals;
using detail::iequals_lower;
using detail::is_digit;

constexpr std::string_view dashes = "-------";  // RFC 4975 §9 end-line = "-------" transact-id flag CRLF
constexpr std::size_t max_end_line = 7 + max_transaction_id_chars + 1 + 2;

parse_result fail(error_code e) {
  return {parse_status::error, e, 0};
}
constexpr parse_result need_more{parse_status::need_more, error_code::ok, 0};

void clear(message& m) {
  m.kind = message_kind::request;
  m.method = request_method::unknown;
  m.method_name = {};
  m.transaction_id = {};
  m.status_code = 0;
  m.comment = {};
  m.to_path = {};
  m.from_path = {};
  m.message_id = {};
  m.byte_range.reset();
  m.success_report = report_mode::unset;
  m.failure_report = report_mode::unset;
  m.status.reset();
  m.content_type = {};
  m.content_id = {};
  m.content_description = {};
  m.content_disposition = {};
  m.extension_count = 0;
  m.has_body = false;
  m.body = {};
  m.flag = continuation::complete;
}

bool is_flag(char c) {
  return c == '$' || c == '+' || c == '#';
}

// RFC 4975 §9: Byte-Range = range-start "-" range-end "/" total, range-end/total may be "*".
error_code parse_byte_range(std::string_view v, byte_range& r) {
  std::size_t dash = detail::find_char(v, '-');
  std::size_t slash = detail::find_char(v, '/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
    return error_code::bad_byte_range;
  std::string_view s = v.substr(0, dash), e = v.substr(dash + 1, slash - dash - 1), t = v.substr(slash + 1);
  if (!detail::parse_u64(s, r.start) || r.start == 0) return error_code::bad_byte_range;
  if (e == "*") {
    r.end_unknown = true;
    r.end = 0;
  } else if (!detail::parse_u64(e, r.end) || r.end < r.start - 1) {
    return error_code::bad_byte_range;
  }
  if (t == "*") {
    r.total_unknown = true;
    r.total = 0;
  } else if (!detail::parse_u64(t, r.total)) {
    return error_code::bad_byte_range;
  }
  if (!r.end_unknown && !r.total_unknown && r.end > r.total) return error_code::bad_byte_range;
  if (r.end_unknown && !r.total_unknown && r.start - 1 > r.total) return error_code::bad_byte_range;
  return error_code::ok;
}

bool parse_report(std::string_view v, report_mode& out, bool allow_partial) {
  if (iequals(v, "yes")) {
    out = report_mode::yes;
  } else if (iequals(v, "no")) {
    out = report_mode::no;
  } else if (allow_partial && iequals(v, "partial")) {
    out = report_mode::partial;
  } else {
    return false;
  }
  return true;
}

bool parse_3digit(std::string_view s, std::uint16_t& out) {
  if (s.size() != 3 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2])) return false;
  out = static_cast<std::uint16_t>((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
  return true;
}

// RFC 4975 §9: Status = "Status:" SP namespace SP status-code [SP text-reason]
bool parse_status_field(std::string_view v, status_field& st) {
  if (v.size() < 7 || v[3] != ' ') return false;
  if (!parse_3digit(v.substr(0, 3), st.name_space) || !parse_3digit(v.substr(4, 3), st.code)) return false;
  if (st.code < 100) return false;
  if (v.size() > 7) {
    if (v[7] != ' ') return false;
    st.reason = v.substr(8);
  }
  return true;
}

// RFC 2045 §5.1 type "/" subtype *(";" parameter); parameters are only checked for being text.
bool valid_content_type(std::string_view v) {
  std::size_t i = 0;
  while (i < v.size() && detail::is_token_char(v[i])) ++i;
  if (i == 0 || i == v.size() || v[i] != '/') return false;
  std::size_t sub = ++i;
  while (i < v.size() && detail::is_token_char(v[i])) ++i;
  if (i == sub) return false;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  return i == v.size() || v[i] == ';';
}

// First control byte (< 0x20 or DEL) in [p, end); UTF-8 bytes >= 0x80 are text. Eight bytes per step:
// header lines are mostly printable, so one pass both finds the CRLF and enforces RFC 4975 §9 utf8text.
const char* find_control(const char* p, const char* end) {
#if defined(__SSE2__)
  // Sixteen bytes per step where SSE2 exists (every x86-64): unsigned x <= 0x1f, or x == DEL.
  const __m128i last_control = _mm_set1_epi8(0x1f);
  const __m128i del_byte = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, last_control), x);
    const int hits = _mm_movemask_epi8(_mm_or_si128(control, _mm_cmpeq_epi8(x, del_byte)));
    if (hits != 0) return p + __builtin_ctz(static_cast<unsigned>(hits));
    p += 16;
  }
#endif
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  while (end - p >= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    // Lowest flagged byte is exact in both tests (borrows only propagate upwards); little-endian load.
    std::uint64_t below_space = (x - 0x20 * ones) & ~x & highs;
    std::uint64_t d = x ^ (0x7f * ones);
    std::uint64_t del = (d - ones) & ~d & highs;
    if (std::uint64_t m = below_space | del; m != 0) return p + (__builtin_ctzll(m) >> 3);
    p += 8;
  }
  for (; p < end; ++p) {
    auto u = static_cast<unsigned char>(*p);
    if (u < 0x20 || u == 0x7f) return p;
  }
  return end;
}

struct line_reader {
  std::string_view in;
  std::size_t pos = 0;

  // need_more: no CRLF yet. error: a control other than HTAB, bare CR or bare LF (control_character_
  // in_header). ok: line excludes the CRLF and holds no controls except HTAB.
  parse_status next(std::string_view& line, error_code& err) {
    const char* const base = in.data();
    const char* const end = base + in.size();
    const char* p = base + pos;
    while (true) {
      p = find_control(p, end);
      if (p == end) return parse_status::need_more;
      if (*p == '\t') {
        ++p;
        continue;
      }
      if (*p == '\r') {
        if (p + 1 == end) return parse_status::need_more;
        if (p[1] == '\n') break;
      }
      err = error_code::control_character_in_header;
      return parse_status::error;
    }
    std::size_t cr = static_cast<std::size_t>(p - base);
    line = in.substr(pos, cr - pos);
    pos = cr + 2;
    return parse_status::complete;
  }
};

error_code parse_start_line(std::string_view line, message& m) {
  if (line.size() < 5 || line.substr(0, 5) != "MSRP ") return error_code::bad_start_line;
  line.remove_prefix(5);
  std::size_t sp = detail::find_char(line, ' ');
  if (sp == std::string_view::npos) return error_code::bad_start_line;
  if (!is_valid_ident(line.substr(0, sp))) return error_code::bad_transaction_id;
  m.transaction_id = line.substr(0, sp);
  std::string_view rest = line.substr(sp + 1);
  if (rest.empty()) return error_code::bad_start_line;
  if (is_digit(rest[0])) {
    // RFC 4975 §9: resp-start = "MSRP" SP transact-id SP status-code [SP comment]
    m.kind = message_kind::response;
    std::size_t csp = detail::find_char(rest, ' ');
    std::string_view code = rest.substr(0, csp);
    if (!parse_3digit(code, m.status_code) || m.status_code < 100) return error_code::bad_status_code;
    if (csp != std::string_view::npos) {
      m.comment = rest.substr(csp + 1);  // the line reader already refused controls
    }
    return error_code::ok;
  }
  // RFC 4975 §9: method = mSEND / mREPORT / other-method; other-method = 1*UPALPHA
  for (char c : rest)
    if (!detail::is_upalpha(c)) return error_code::bad_start_line;
  m.kind = message_kind::request;
  m.method_name = rest;
  m.method = rest == "SEND"     ? request_method::send
             : rest == "REPORT" ? request_method::report
                                : request_method::unknown;
  return error_code::ok;
}

// Dispatches one header after To-Path and From-Path.
error_code parse_header(std::string_view name, std::string_view value, message& m) {
  auto set_once = [](std::string_view& field, std::string_view v) {
    if (!field.empty()) return error_code::duplicate_header;
    field = v;
    return error_code::ok;
  };
  switch (name.size()) {
    case 6:
      if (iequals_lower(name, "status")) {
        if (m.status) return error_code::duplicate_header;
        status_field st;
        if (!parse_status_field(value, st)) return error_code::bad_status_header;
        m.status = st;
        return error_code::ok;
      }
      break;
    case 7:
      if (iequals_lower(name, "to-path")) return error_code::bad_header_order;
      break;
    case 9:
      if (iequals_lower(name, "from-path")) return error_code::bad_header_order;
      break;
    case 10:
      if (iequals_lower(name, "message-id")) {
        if (!is_valid_ident(value)) return error_code::bad_message_id;
        return set_once(m.message_id, value);
      }
      if (iequals_lower(name, "byte-range")) {
        if (m.byte_range) return error_code::duplicate_header;
        byte_range r;
        if (error_code e = parse_byte_range(value, r); e != error_code::ok) return e;
        m.byte_range = r;
        return error_code::ok;
      }
      if (iequals_lower(name, "content-id")) return set_once(m.content_id, value);
      break;
    case 12:
      if (iequals_lower(name, "content-type")) {
        if (!valid_content_type(value)) return error_code::bad_content_type;
        return set_once(m.content_type, value);
      }
      break;
    case 14:
      if (iequals_lower(name, "success-report")) {
        if (m.success_report != report_mode::unset) return error_code::duplicate_header;
        return parse_report(value, m.success_report, false) ? error_code::ok : error_code::bad_report_value;
      }
      if (iequals_lower(name, "failure-report")) {
        if (m.failure_report != report_mode::unset) return error_code::duplicate_header;
        return parse_report(value, m.failure_report, true) ? error_code::ok : error_code::bad_report_value;
      }
      break;
    case 19:
      if (iequals_lower(name, "content-description")) return set_once(m.content_description, value);
      if (iequals_lower(name, "content-disposition")) return set_once(m.content_disposition, value);
      break;
    default:
      break;
  }
  // Known names matched above are tokens by construction; an extension header's name is checked here.
  if (!detail::is_token(name)) return error_code::bad_header_syntax;
  if (m.extension_count == max_extension_headers) return error_code::too_many_headers;
  m.extension_storage[m.extension_count++] = {name, value};
  return error_code::ok;
}

// RFC 4975 §7.1.1 / §7.1.2: SEND and REPORT requests MUST carry a Message-ID.
bool lacks_message_id(const message& m) {
  return m.kind == message_kind::request && m.method != request_method::unknown && m.message_id.empty();
}

// "-------" tid flag, the CRLF already stripped by the line reader.
error_code parse_bodiless_end_line(std::string_view line, message& m) {
  if (line.size() != dashes.size() + m.transaction_id.size() + 1) return error_code::bad_end_line;
  if (line.substr(dashes.size(), m.transaction_id.size()) != m.transaction_id)
    return error_code::bad_end_line;
  char f = line.back();
  if (!is_flag(f)) return error_code::bad_end_line;
  m.flag = static_cast<continuation>(f);
  return error_code::ok;
}

}  // namespace

error_code check_byte_range_length(const message& m) {
  // A REPORT's Byte-Range describes the reported SEND's bytes, not the REPORT's own (RFC 4975 §7.1.2).
  if (m.kind != message_kind::request || m.method != request_method::send) return error_code::ok;
  if (!m.byte_range || m.byte_range->end_unknown) return error_code::ok;
  std::uint64_t expected = m.byte_range->end - m.byte_range->start + 1;  // end >= start - 1 was checked
  return expected == m.body.size() ? error_code::ok : error_code::byte_range_mismatch;
}

bool parser::check_paths(const message& m) const {
  return m.kind == message_kind::request || lim_.validate_response_paths;
}

bool parser::path_valid(int which, std::string_view value) {
  std::size_t& len = path_cache_len_[which];
  char* cache = path_cache_[which];
  if (len != 0 && len == value.size() && std::memcmp(cache, value.data(), len) == 0) return true;
  if (!split_path(value).ok()) return false;
  if (value.size() <= path_cache_bytes) {
    std::memcpy(cache, value.data(), value.size());
    len = value.size();
  }
  return true;
}

parse_result parser::skip(std::string_view in) {
  if (skip_tid_len_ == 0) return fail(error_code::framing_lost);
  // "\r\n-------" tid flag "\r\n". The failed message's own start line cannot hold it, and neither can a
  // header line, so its first occurrence ends the message, wherever the error was found.
  const std::string_view tid(skip_tid_, skip_tid_len_);
  const std::size_t pattern = 2 + dashes.size() + tid.size() + 1 + 2;
  const std::size_t budget = lim_.max_header_bytes + 2 * lim_.max_body_bytes + pattern;
  std::size_t at = 0;
  while (true) {
    const void* hit =
        at + pattern <= in.size() ? memmem(in.data() + at, in.size() - at, "\r\n-------", 9) : nullptr;
    if (hit == nullptr) break;
    const std::size_t q = static_cast<std::size_t>(static_cast<const char*>(hit) - in.data());
    if (q + pattern > in.size()) break;  // a candidate cut by the end of input: wait for the rest
    const char* c = in.data() + q + 9;
    if (std::memcmp(c, tid.data(), tid.size()) == 0 && is_flag(c[tid.size()]) && c[tid.size() + 1] == '\r' &&
        c[tid.size() + 2] == '\n') {
      skip_tid_len_ = 0;
      return {parse_status::complete, error_code::ok, q + pattern};
    }
    at = q + 1;
  }
  // Everything but a possible start of the end-line can go.
  const std::size_t droppable = in.size() > pattern - 1 ? in.size() - (pattern - 1) : 0;
  skipped_ += droppable;
  if (skipped_ > budget) {
    skip_tid_len_ = 0;
    return fail(error_code::framing_lost);
  }
  return {parse_status::need_more, error_code::ok, droppable};
}

// Inlined into feed(), its one caller: every 200 a fan-out brings back goes through both.
__attribute__((always_inline)) inline parse_result parser::parse_message(std::string_view in, message& m) {
  // Header lines are re-read only when a control byte (a CR, or an error) arrived: a slowloris header
  // costs O(lines) re-parses, not O(bytes).
  // Past the header limit the full parse below runs once more, so the error comes with what was read.
  if (checked_lines_ != 0 && checked_lines_ <= in.size() &&
      in.size() <= lim_.max_header_bytes + max_end_line &&
      find_control(in.data() + checked_lines_, in.data() + in.size()) == in.data() + in.size()) {
    checked_lines_ = in.size() - (!in.empty() && in.back() == '\r' ? 1 : 0);  // a CR may pair with what comes
    return need_more;
  }
  clear(m);
  line_reader lr{in};
  std::string_view line;
  error_code err = error_code::ok;
  std::size_t header_count = 0;

  auto incomplete = [&]() -> parse_result {
    // The pending line is either a header (block already over the limit) or a short terminator line.
    if (in.size() > lim_.max_header_bytes + max_end_line) return fail(error_code::header_block_too_large);
    checked_lines_ = in.size() - (!in.empty() && in.back() == '\r' ? 1 : 0);  // a CR may pair with what comes
    return need_more;
  };

  parse_status st = lr.next(line, err);
  if (st == parse_status::need_more) return incomplete();
  if (st == parse_status::error) return fail(err);
  if (error_code e = parse_start_line(line, m); e != error_code::ok) return fail(e);
  if (lr.pos > lim_.max_header_bytes) return fail(error_code::header_block_too_large);

  std::size_t body_start = 0;
  while (true) {
    st = lr.next(line, err);
    if (st == parse_status::need_more) return incomplete();
    if (st == parse_status::error) return fail(err);

    // hname starts with ALPHA, so a line starting "-------" can only be the end-line.
    if (line.starts_with(dashes)) {
      if (header_count == 0) return fail(error_code::missing_to_path);
      if (header_count == 1) return fail(error_code::missing_from_path);
      if (error_code e = parse_bodiless_end_line(line, m); e != error_code::ok) return fail(e);
      if (lacks_message_id(m)) return fail(error_code::missing_message_id);
      if (lim_.check_byte_range_length && m.flag != continuation::abort) {
        if (error_code e = check_byte_range_length(m); e != error_code::ok) return fail(e);
      }
      checked_lines_ = 0;
      body_scanned_ = 0;
      return {parse_status::complete, error_code::ok, lr.pos};
    }
    if (line.empty()) {
      if (header_count == 0) return fail(error_code::missing_to_path);
      if (header_count == 1) return fail(error_code::missing_from_path);
      // RFC 4975 §7.2: responses carry no body; §7.1: a body needs a Content-Type.
      if (m.kind == message_kind::response) return fail(error_code::unexpected_body);
      if (lacks_message_id(m)) return fail(error_code::missing_message_id);
      if (m.content_type.empty()) return fail(error_code::missing_content_type);
      body_start = lr.pos;
      break;
    }

    if (++header_count > lim_.max_headers) return fail(error_code::too_many_headers);
    // RFC 4975 §9 hname = ALPHA *token-char, then ":" SP (':' is not a token-char).
    if (line.empty() || !detail::is_alpha(line[0])) return fail(error_code::bad_header_syntax);
    // The name ends at the first ':' (not a token-char); whether it is all token-chars is checked only
    // for names that are not a known header (a known name is one by construction).
    const void* colon_at = std::memchr(line.data(), ':', line.size());
    if (colon_at == nullptr) return fail(error_code::bad_header_syntax);
    const std::size_t colon = static_cast<std::size_t>(static_cast<const char*>(colon_at) - line.data());
    std::string_view name = line.substr(0, colon);
    if (colon + 1 >= line.size() || line[colon + 1] != ' ') return fail(error_code::bad_header_syntax);
    std::string_view value = line.substr(colon + 2);  // controls were refused by the line reader

    if (header_count == 1) {
      if (!iequals_lower(name, "to-path")) {
        if (!detail::is_token(name)) return fail(error_code::bad_header_syntax);
        return fail(iequals_lower(name, "from-path") ? error_code::bad_header_order
                                                     : error_code::missing_to_path);
      }
      if (check_paths(m) && !path_valid(0, value)) return fail(error_code::bad_uri);
      m.to_path = value;
    } else if (header_count == 2) {
      if (!iequals_lower(name, "from-path")) {
        if (!detail::is_token(name)) return fail(error_code::bad_header_syntax);
        return fail(iequals_lower(name, "to-path") ? error_code::bad_header_order
                                                   : error_code::missing_from_path);
      }
      if (check_paths(m) && !path_valid(1, value)) return fail(error_code::bad_uri);
      m.from_path = value;
    } else if (error_code e = parse_header(name, value, m); e != error_code::ok) {
      return fail(e);
    }
    if (lr.pos > lim_.max_header_bytes) return fail(error_code::header_block_too_large);
  }

  // Body: data ends only at CRLF "-------" tid flag CRLF with *this* tid (RFC 4975 §7.1); anything else,
  // including another transaction's end-line, is data.
  checked_lines_ = 0;
  const std::string_view tid = m.transaction_id;
  const std::size_t pattern = 2 + dashes.size() + tid.size() + 1 + 2;
  const char* const base = in.data();
  const std::size_t end = in.size();
  // The terminator's CR may start at most max_body_bytes after body_start.
  const std::size_t last_start = body_start + lim_.max_body_bytes;
  // Hop between '-' bytes (rare in most bodies) with memchr and check for "\r\n" two bytes before: a text
  // body without dashes is one memchr call. q0 is the first CR position not yet ruled out.
  const std::size_t dash_limit = std::min(end, last_start + 3);
  std::size_t q0 = body_start + body_scanned_;
  while (q0 + 2 < dash_limit) {
    const void* dash = std::memchr(base + q0 + 2, '-', dash_limit - (q0 + 2));
    if (dash == nullptr) {
      q0 = dash_limit - 2;
      break;
    }
    const std::size_t q = static_cast<std::size_t>(static_cast<const char*>(dash) - base) - 2;
    const std::size_t avail = std::min(end - q, pattern);
    // Compare what is available of "\r\n-------<tid><flag>\r\n": most dashes in a body are not after a
    // CRLF, and a complete candidate is compared as blocks.
    const char* const cand = base + q;
    bool match = cand[0] == '\r' && cand[1] == '\n';
    if (match && avail == pattern) {
      const std::size_t t = 2 + dashes.size();
      match = std::memcmp(cand + 2, dashes.data(), dashes.size()) == 0 &&
              std::memcmp(cand + t, tid.data(), tid.size()) == 0 && is_flag(cand[t + tid.size()]) &&
              cand[t + tid.size() + 1] == '\r' && cand[t + tid.size() + 2] == '\n';
    }
    for (std::size_t k = 0; match && avail < pattern && k < avail; ++k) {
      const char c = base[q + k];
      if (k == 0 || k == pattern - 2)
        match = c == '\r';
      else if (k == 1 || k == pattern - 1)
        match = c == '\n';
      else if (k < 2 + dashes.size())
        match = c == '-';
      else if (k < 2 + dashes.size() + tid.size())
        match = c == tid[k - 2 - dashes.size()];
      else
        match = is_flag(c);
    }
    if (!match) {
      q0 = q + 1;
      continue;
    }
    if (avail < pattern) {  // a possible end-line cut by the end of input: resume here
      body_scanned_ = q - body_start;
      return need_more;
    }
    m.has_body = true;
    m.body = in.substr(body_start, q - body_start);
    m.flag = static_cast<continuation>(base[q + pattern - 3]);
    body_scanned_ = 0;
    if (lim_.check_byte_range_length && m.flag != continuation::abort) {
      if (error_code e = check_byte_range_length(m); e != error_code::ok) return fail(e);
    }
    return {parse_status::complete, error_code::ok, q + pattern};
  }
  body_scanned_ = q0 - body_start;
  if (q0 > last_start) return fail(error_code::body_too_large);
  return need_more;
}

parse_result parser::feed(std::string_view in, message& m) {
  parse_result r = parse_message(in, m);
  if (r.status == parse_status::error) {
    // What skip() needs to find this message's end-line; an error in the end-line itself leaves nothing
    // trustworthy to look for.
    skip_tid_len_ = r.error == error_code::bad_end_line ? 0 : m.transaction_id.size();
    if (skip_tid_len_ != 0) std::memcpy(skip_tid_, m.transaction_id.data(), skip_tid_len_);
    skipped_ = 0;
  }
  return r;
}

parse_result parse(std::string_view input, message& out, const limits& lim) {
  parser p(lim);
  return p.feed(input, out);
}

}  // namespace herald::msrp
