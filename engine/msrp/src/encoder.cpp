// MSRP (RFC 4975 §9) frame stamping: start lines, headers, Byte-Range, end-lines and safe transaction ids.
#include "herald/msrp/encoder.hpp"

#include <cstring>

#include "herald/msrp/errors.hpp"
#include "text.hpp"

namespace herald::msrp {

namespace {
constexpr std::string_view dashes = "-------";

// A bounds-checked writer: one failed put() makes the whole encode report buffer_too_small.
struct writer {
  char* out;
  std::size_t cap;
  std::size_t n = 0;
  bool overflow = false;

  void put(std::string_view s) {
    if (overflow || cap - n < s.size()) {
      overflow = true;
      return;
    }
    if (!s.empty()) std::memcpy(out + n, s.data(), s.size());
    n += s.size();
  }
  void put_u64(std::uint64_t v) {
    char tmp[max_uint64_chars];
    put({tmp, detail::format_u64(tmp, v)});
  }
  void put_range(const byte_range& r) {
    char tmp[max_byte_range_chars];
    put({tmp, format_byte_range(tmp, r)});
  }
  void header(std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  }
};

// Header text may not break the framing: CR, LF and NUL would end or corrupt the line (RFC 4975 §9 utf8text).
bool safe_text(std::string_view s) {
  return detail::is_text(s);
}

void status_text(char (&buf)[8], const status_field& st) {
  // "000 200" — namespace and code are 3DIGIT each.
  auto three = [](char* o, unsigned v) {
    o[0] = static_cast<char>('0' + v / 100 % 10);
    o[1] = static_cast<char>('0' + v / 10 % 10);
    o[2] = static_cast<char>('0' + v % 10);
  };
  three(buf, st.name_space);
  buf[3] = ' ';
  three(buf + 4, st.code);
}

encode_error validate(const request_header& h) {
  if (!is_valid_ident(h.transaction_id)) return encode_error::bad_transaction_id;
  if (h.method.empty()) return encode_error::bad_method;
  for (char c : h.method)
    if (!detail::is_upalpha(c)) return encode_error::bad_method;
  if (h.to_path.empty() || h.from_path.empty() || !safe_text(h.to_path) || !safe_text(h.from_path))
    return encode_error::bad_header;
  if (!h.message_id.empty() && !is_valid_ident(h.message_id)) return encode_error::bad_header;
  if (h.success_report == report_mode::partial) return encode_error::bad_header;  // RFC 4975 §7.1.2: yes/no
  if (h.byte_range) {
    const byte_range& r = *h.byte_range;
    if (r.start == 0 || (!r.end_unknown && r.end < r.start - 1)) return encode_error::bad_byte_range;
    if (!r.end_unknown && !r.total_unknown && r.end > r.total) return encode_error::bad_byte_range;
  }
  if (h.status) {
    if (h.status->name_space > 999 || h.status->code < 100 || h.status->code > 999)
      return encode_error::bad_status_code;
    if (!safe_text(h.status->reason)) return encode_error::bad_header;
  }
  for (const header_field& f : h.extra_headers)
    if (f.name.empty() || !safe_text(f.name) || f.name.find(':') != std::string_view::npos ||
        f.name.find(' ') != std::string_view::npos || !safe_text(f.value))
      return encode_error::bad_header;
  if (!safe_text(h.content_type)) return encode_error::bad_header;
  return encode_error::ok;
}

void write_header(writer& w, const request_header& h) {
  w.put("MSRP ");
  w.put(h.transaction_id);
  w.put(" ");
  w.put(h.method);
  w.put("\r\n");
  // RFC 4975 §7.1: To-Path then From-Path come first, in that order.
  w.header("To-Path", h.to_path);
  w.header("From-Path", h.from_path);
  if (!h.message_id.empty()) w.header("Message-ID", h.message_id);
  if (h.success_report != report_mode::unset) w.header("Success-Report", to_string(h.success_report));
  if (h.failure_report != report_mode::unset) w.header("Failure-Report", to_string(h.failure_report));
  if (h.byte_range) {
    w.put("Byte-Range: ");
    w.put_range(*h.byte_range);
    w.put("\r\n");
  }
  if (h.status) {
    char buf[8];
    status_text(buf, *h.status);
    w.put("Status: ");
    w.put({buf, 7});
    if (!h.status->reason.empty()) {
      w.put(" ");
      w.put(h.status->reason);
    }
    w.put("\r\n");
  }
  for (const header_field& f : h.extra_headers) w.header(f.name, f.value);
  if (!h.content_type.empty()) {
    w.header("Content-Type", h.content_type);
    w.put("\r\n");  // RFC 4975 §9: Content-Type 2CRLF data
  }
}
}  // namespace

std::string_view to_string(report_mode m) {
  switch (m) {
    case report_mode::yes:
      return "yes";
    case report_mode::no:
      return "no";
    case report_mode::partial:
      return "partial";
    case report_mode::unset:
      break;
  }
  return {};
}

std::string_view to_string(encode_error e) {
  switch (e) {
    case encode_error::ok:
      return "ok";
    case encode_error::buffer_too_small:
      return "buffer_too_small";
    case encode_error::bad_transaction_id:
      return "bad_transaction_id";
    case encode_error::bad_method:
      return "bad_method";
    case encode_error::bad_status_code:
      return "bad_status_code";
    case encode_error::bad_header:
      return "bad_header";
    case encode_error::bad_byte_range:
      return "bad_byte_range";
  }
  return "unknown_encode_error";
}

std::size_t format_byte_range(char* out, const byte_range& r) {
  std::size_t n = detail::format_u64(out, r.start);
  out[n++] = '-';
  if (r.end_unknown)
    out[n++] = '*';
  else
    n += detail::format_u64(out + n, r.end);
  out[n++] = '/';
  if (r.total_unknown)
    out[n++] = '*';
  else
    n += detail::format_u64(out + n, r.total);
  return n;
}

std::size_t encode_bodiless_end_line(char* out, std::string_view tid, continuation flag) {
  std::memcpy(out, dashes.data(), dashes.size());
  std::memcpy(out + dashes.size(), tid.data(), tid.size());
  std::size_t n = dashes.size() + tid.size();
  out[n++] = static_cast<char>(flag);
  out[n++] = '\r';
  out[n++] = '\n';
  return n;
}

std::size_t encode_end_line(char* out, std::string_view tid, continuation flag) {
  out[0] = '\r';
  out[1] = '\n';
  return 2 + encode_bodiless_end_line(out + 2, tid, flag);
}

body_guard::body_guard(std::string_view body) {
  // memchr hops to each '-' (rare in most bodies), so the common case costs one fast pass.
  const char* const b = body.data();
  const std::size_t n = body.size();
  std::size_t i = 0;
  while (i + dashes.size() < n) {
    const void* hit = std::memchr(b + i, '-', n - i);
    if (hit == nullptr) break;
    std::size_t d = static_cast<std::size_t>(static_cast<const char*>(hit) - b);
    std::size_t run = d;
    while (run < n && b[run] == '-') ++run;
    // Only the last seven dashes of a dash run can be an end-line prefix followed by an alphanumeric.
    if (run - d >= dashes.size() && run < n && is_alnum(b[run])) {
      std::size_t e = run;
      while (e < n && e - run < max_transaction_id_chars && is_ident_char(b[e])) ++e;
      add(body.substr(run, e - run));
    }
    i = run;
  }
}

void body_guard::add(std::string_view run) {
  if (inline_count_ < inline_capacity)
    inline_[inline_count_++] = run;
  else
    overflow_.push_back(run);
}

bool body_guard::safe_slow(std::string_view tid) const {
  for (std::size_t i = 0; i < inline_count_; ++i)
    if (inline_[i].starts_with(tid)) return false;
  for (std::string_view run : overflow_)
    if (run.starts_with(tid)) return false;
  return true;
}

void make_transaction_id(fast_rng& rng, char* out, std::size_t n) {
  rng.alnum(out, n);
}

bool make_safe_transaction_id(fast_rng& rng, const body_guard& guard, char* out, std::size_t n,
                              int max_attempts) {
  for (int a = 0; a < max_attempts; ++a) {
    make_transaction_id(rng, out, n);
    if (guard.safe({out, n})) return true;
  }
  return false;
}

std::size_t request_header_size(const request_header& h) {
  // A writer with no capacity counts what it would have written.
  std::size_t n = 5 + h.transaction_id.size() + 1 + h.method.size() + 2;
  auto hdr = [&n](std::size_t name, std::size_t value) { n += name + 2 + value + 2; };
  hdr(7, h.to_path.size());
  hdr(9, h.from_path.size());
  if (!h.message_id.empty()) hdr(10, h.message_id.size());
  if (h.success_report != report_mode::unset) hdr(14, to_string(h.success_report).size());
  if (h.failure_report != report_mode::unset) hdr(14, to_string(h.failure_report).size());
  if (h.byte_range) {
    char tmp[max_byte_range_chars];
    hdr(10, format_byte_range(tmp, *h.byte_range));
  }
  if (h.status) hdr(6, 7 + (h.status->reason.empty() ? 0 : 1 + h.status->reason.size()));
  for (const header_field& f : h.extra_headers) hdr(f.name.size(), f.value.size());
  if (!h.content_type.empty()) n += 12 + 2 + h.content_type.size() + 2 + 2;
  return n;
}

result<std::size_t, encode_error> encode_request_header(std::span<char> out, const request_header& h) {
  if (encode_error e = validate(h); e != encode_error::ok) return e;
  writer w{out.data(), out.size()};
  write_header(w, h);
  if (w.overflow) return encode_error::buffer_too_small;
  return w.n;
}

result<std::size_t, encode_error> encode_request(std::span<char> out, const request_header& h,
                                                 std::string_view body, continuation flag) {
  auto head = encode_request_header(out, h);
  if (!head) return head.error();
  writer w{out.data(), out.size(), *head};
  char end[max_end_line_chars];
  if (h.content_type.empty()) {
    if (!body.empty()) return encode_error::bad_header;  // RFC 4975 §7.1: a body needs a Content-Type
    w.put({end, encode_bodiless_end_line(end, h.transaction_id, flag)});
  } else {
    w.put(body);
    w.put({end, encode_end_line(end, h.transaction_id, flag)});
  }
  if (w.overflow) return encode_error::buffer_too_small;
  return w.n;
}

result<std::size_t, encode_error> encode_response(std::span<char> out, std::string_view tid, int status,
                                                  std::string_view comment, std::string_view to_path,
                                                  std::string_view from_path) {
  if (!is_valid_ident(tid)) return encode_error::bad_transaction_id;
  if (status < 100 || status > 999) return encode_error::bad_status_code;
  if (to_path.empty() || from_path.empty() || !safe_text(to_path) || !safe_text(from_path) ||
      !safe_text(comment))
    return encode_error::bad_header;
  writer w{out.data(), out.size()};
  w.put("MSRP ");
  w.put(tid);
  w.put(" ");
  w.put_u64(static_cast<std::uint64_t>(status));
  if (!comment.empty()) {
    w.put(" ");
    w.put(comment);
  }
  w.put("\r\n");
  w.header("To-Path", to_path);
  w.header("From-Path", from_path);
  char end[max_end_line_chars];
  w.put({end, encode_bodiless_end_line(end, tid, continuation::complete)});
  if (w.overflow) return encode_error::buffer_too_small;
  return w.n;
}

}  // namespace herald::msrp
