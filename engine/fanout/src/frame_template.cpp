// frame_template: precomputes MSRP/CPIM bytes common to all recipients; stamps the rest per recipient.
#include "herald/fanout/frame_template.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "herald/cpim/date.hpp"
#include "herald/cpim/encoder.hpp"
#include "herald/cpim/parser.hpp"

namespace herald::fanout {

namespace {

constexpr std::string_view kContentType = "\r\nContent-Type: message/cpim\r\n\r\n";  // ends Byte-Range
constexpr int kTidAttempts = 16;
// Room for "\r\n" + both report headers + "Byte-Range: " + kContentType.
constexpr std::size_t kRunBytes = 2 + 64 + 12 + 34;

bool valid_path(std::string_view p) {
  if (p.empty()) return false;
  for (char ch : p) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string_view report_text(msrp::report_mode m) {
  switch (m) {
    case msrp::report_mode::yes:
      return "yes";
    case msrp::report_mode::no:
      return "no";
    case msrp::report_mode::partial:
      return "partial";
    case msrp::report_mode::unset:
      break;
  }
  return {};
}

bool needs_escape(char c) {
  return c == '"' || c == '\\';
}

// Length of the CPIM To value cpim::format_address would write (names are pre-validated).
std::size_t address_len(std::string_view name, std::string_view uri) {
  std::size_t n = uri.size() + 2;
  if (!name.empty()) {
    n += name.size() + 3;
    for (char c : name) n += needs_escape(c);
  }
  return n;
}

inline char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// escapes: how many name bytes need a backslash (known from address_len's scan).
char* put_address(char* p, std::string_view name, std::string_view uri, std::size_t escapes) {
  if (!name.empty()) {
    *p++ = '"';
    if (escapes == 0) {
      p = put(p, name);
    } else {
      for (char c : name) {
        if (needs_escape(c)) *p++ = '\\';
        *p++ = c;
      }
    }
    *p++ = '"';
    *p++ = ' ';
  }
  *p++ = '<';
  p = put(p, uri);
  *p++ = '>';
  return p;
}

std::string from_line(std::string_view uri, std::string_view name) {
  std::string s = "From: ";
  std::size_t at = s.size();
  s.resize(at + address_len(name, uri));
  put_address(s.data() + at, name, uri, 1);
  s += "\r\nTo: ";
  return s;
}

// Decimal digits via a two-digit table: Byte-Range is three numbers per frame (RFC 4975 §9).
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

unsigned digit_count(std::uint64_t v) {
  unsigned n = 1;
  for (; v >= 10000; v /= 10000) n += 4;
  return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

// Writes in place from the last digit backwards: no temporary, no variable-length copy.
char* put_u64(char* p, std::uint64_t v) {
  char* e = p + digit_count(v);
  char* b = e;
  while (v >= 100) {
    unsigned r = unsigned(v % 100);
    v /= 100;
    b -= 2;
    b[0] = kDigitPairs[2 * r];
    b[1] = kDigitPairs[2 * r + 1];
  }
  if (v >= 10) {
    b -= 2;
    b[0] = kDigitPairs[2 * v];
    b[1] = kDigitPairs[2 * v + 1];
  } else {
    *--b = char('0' + v);
  }
  return e;
}

}  // namespace

void make_transaction_id(fast_rng& rng, char* out, std::size_t n) {
  static constexpr char kAlnum64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789xy";
  std::uint64_t r = 0;
  int left = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (left == 0) {
      r = rng.next();
      left = 10;
    }
    out[i] = kAlnum64[r & 63];
    r >>= 6;
    --left;
  }
}

std::string_view to_string(fanout_error e) {
  switch (e) {
    case fanout_error::ok:
      return "ok";
    case fanout_error::buffer_too_small:
      return "buffer_too_small";
    case fanout_error::bad_address:
      return "bad_address";
    case fanout_error::bad_cpim_headers:
      return "bad_cpim_headers";
    case fanout_error::bad_path:
      return "bad_path";
    case fanout_error::bad_message_id:
      return "bad_message_id";
    case fanout_error::bad_transaction_id:
      return "bad_transaction_id";
    case fanout_error::unsafe_transaction_id:
      return "unsafe_transaction_id";
    case fanout_error::no_safe_transaction_id:
      return "no_safe_transaction_id";
    case fanout_error::bad_chunk_size:
      return "bad_chunk_size";
    case fanout_error::body_outside_storage:
      return "body_outside_storage";
    case fanout_error::finished:
      return "finished";
  }
  return "unknown";
}

fanout_error validate_recipient(const recipient& r) {
  if (!valid_path(r.to_path) || !valid_path(r.from_path)) return fanout_error::bad_path;
  if (cpim::validate_uri(r.to_uri) != cpim::encode_error::ok) return fanout_error::bad_address;
  if (cpim::validate_display_name(r.to_name) != cpim::encode_error::ok) return fanout_error::bad_address;
  if (!r.message_id.empty() && !msrp::is_valid_ident(r.message_id)) return fanout_error::bad_message_id;
  if (!r.transaction_id.empty() && !msrp::is_valid_ident(r.transaction_id))
    return fanout_error::bad_transaction_id;
  return fanout_error::ok;
}

result<frame_template, fanout_error> frame_template::make(template_spec spec) {
  if (cpim::validate_uri(spec.from_uri) != cpim::encode_error::ok ||
      cpim::validate_display_name(spec.from_name) != cpim::encode_error::ok)
    return fanout_error::bad_address;
  frame_template t;
  std::string prefix = from_line(spec.from_uri, spec.from_name);
  std::string suffix = "\r\n";
  if (spec.datetime) {
    char dt[cpim::rfc3339_length];
    cpim::format_rfc3339(*spec.datetime, dt);
    suffix += "DateTime: ";
    suffix.append(dt, sizeof(dt));
    suffix += "\r\n";
  }
  suffix += spec.extra_cpim_headers;
  suffix += "\r\n";
  suffix += spec.inner_headers;
  suffix += "\r\n";
  std::string both = prefix + suffix;
  t.storage_ = std::make_unique<char[]>(both.size() + kRunBytes + prefix.size());
  std::memcpy(t.storage_.get(), both.data(), both.size());
  t.cpim_prefix_ = {t.storage_.get(), prefix.size()};
  t.cpim_suffix_ = {t.storage_.get() + prefix.size(), suffix.size()};
  return finish(std::move(t), spec);
}

result<frame_template, fanout_error> frame_template::from_participant(const cpim::message& parsed,
                                                                      std::string_view sender_uri,
                                                                      std::string_view sender_name,
                                                                      template_spec spec) {
  if (cpim::validate_uri(sender_uri) != cpim::encode_error::ok ||
      cpim::validate_display_name(sender_name) != cpim::encode_error::ok)
    return fanout_error::bad_address;
  frame_template t;
  std::string prefix = from_line(sender_uri, sender_name);
  std::string suffix = "\r\n";
  // RFC 3862 §3: header order is significant only for NS before its prefixed headers; keeping the
  // original order of everything but From/To preserves that.
  for (const auto& h : parsed.cpim())
    if (h.kind != cpim::header_kind::from && h.kind != cpim::header_kind::to) suffix += h.line;
  suffix += "\r\n";
  suffix += parsed.inner_headers;
  suffix += "\r\n";
  std::string both = prefix + suffix;
  t.storage_ = std::make_unique<char[]>(both.size() + kRunBytes + prefix.size());
  std::memcpy(t.storage_.get(), both.data(), both.size());
  t.cpim_prefix_ = {t.storage_.get(), prefix.size()};
  t.cpim_suffix_ = {t.storage_.get() + prefix.size(), suffix.size()};
  spec.body = parsed.body;
  return finish(std::move(t), spec);
}

namespace {
// Whether a header line of block names Content-Length (RFC 2045 field names are case-insensitive).
bool declares_content_length(std::string_view block) {
  constexpr std::string_view kName = "content-length";
  while (!block.empty()) {
    std::size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && cpim::iequals(line.substr(0, colon), kName)) return true;
    if (eol == std::string_view::npos) break;
    block.remove_prefix(eol + 2);
  }
  return false;
}
}  // namespace

result<frame_template, fanout_error> frame_template::finish(frame_template t, template_spec& spec) {
  if (spec.max_chunk_bytes == 0) return fanout_error::bad_chunk_size;
  if (spec.transaction_id_chars < msrp::min_transaction_id_chars ||
      spec.transaction_id_chars > msrp::max_transaction_id_chars)
    return fanout_error::bad_transaction_id;
  t.max_chunk_ = spec.max_chunk_bytes;
  t.tid_chars_ = spec.transaction_id_chars;

  // The stamped CPIM block must parse back as exactly one From and one To: this is where caller-supplied
  // header lines are checked for injection, once per message rather than once per recipient.
  std::string sample(t.cpim_prefix_);
  sample += "<x:x>";
  sample += t.cpim_suffix_;
  // An inner Content-Length (RCS clients send one) makes the parser wait for that many body bytes: only
  // then does the sample carry the real body, so system messages are not copied once more per message.
  const bool carries_body = declares_content_length(t.cpim_suffix_);
  if (carries_body) sample += spec.body;
  cpim::message check;
  if (cpim::parse_final(sample, check) != cpim::parse_error::ok ||
      check.body.size() != (carries_body ? spec.body.size() : 0) ||
      check.count(cpim::header_kind::to) != 1 || check.count(cpim::header_kind::from) != 1)
    return fanout_error::bad_cpim_headers;

  // Report headers go between Message-ID and Byte-Range, the order msrp::encode_request_header uses.
  char* rp = t.storage_.get() + t.cpim_prefix_.size() + t.cpim_suffix_.size();
  char* r0 = rp;
  rp = put(rp, "\r\n");
  if (spec.success_report != msrp::report_mode::unset) {
    // RFC 4975 §7.1.2: Success-Report is yes or no only.
    if (spec.success_report == msrp::report_mode::partial) return fanout_error::bad_cpim_headers;
    rp = put(rp, "Success-Report: ");
    rp = put(rp, report_text(spec.success_report));
    rp = put(rp, "\r\n");
  }
  if (spec.failure_report != msrp::report_mode::unset) {
    rp = put(rp, "Failure-Report: ");
    rp = put(rp, report_text(spec.failure_report));
    rp = put(rp, "\r\n");
  }
  rp = put(rp, "Byte-Range: ");
  t.after_message_id_ = {r0, std::size_t(rp - r0)};
  char* b0 = rp;
  rp = put(rp, kContentType);
  rp = put(rp, t.cpim_prefix_);
  t.after_byte_range_ = {b0, std::size_t(rp - b0)};

  if (spec.body_storage) {
    const char* b = spec.body_storage.data();
    if (!spec.body.empty() &&
        (spec.body.data() < b || spec.body.data() + spec.body.size() > b + spec.body_storage.size()))
      return fanout_error::body_outside_storage;
    t.body_storage_ = std::move(spec.body_storage);
    t.body_ = spec.body;
  } else {
    t.body_storage_ = shared_buffer::copy_of(spec.body);
    t.body_ = t.body_storage_.view();
  }
  t.body_guard_ = std::make_unique<msrp::body_guard>(t.body_);
  t.header_guard_ = std::make_unique<msrp::body_guard>(
      std::string_view(t.storage_.get(), t.cpim_prefix_.size() + t.cpim_suffix_.size()));
  return t;
}

std::uint64_t frame_template::msrp_body_bytes(const recipient& r) const {
  return cpim_prefix_.size() + address_len(r.to_name, r.to_uri) + cpim_suffix_.size() + body_.size();
}

std::size_t frame_template::max_stamp_bytes(const recipient& r) const {
  // "MSRP " tid " SEND\r\n" To-Path From-Path Message-ID reports Byte-Range Content-Type, CPIM, end-line.
  return 5 + msrp::max_transaction_id_chars + 7 + 11 + r.to_path.size() + 13 + r.from_path.size() + 14 +
         msrp::max_transaction_id_chars + after_message_id_.size() + msrp::max_byte_range_chars +
         after_byte_range_.size() + cpim::max_address_bytes(r.to_name.size(), r.to_uri.size()) +
         cpim_suffix_.size() + msrp::max_end_line_chars;
}

result<stamped_frame, fanout_error> frame_template::stamp(const recipient& r, std::span<char> out,
                                                          chunk_cursor& c, fast_rng& rng) const {
  if (c.done) return fanout_error::finished;
  // The two checks validate_recipient makes that protect this function's own fixed-size buffers.
  if (r.message_id.size() > msrp::max_transaction_id_chars) return fanout_error::bad_message_id;
  if (r.transaction_id.size() > msrp::max_transaction_id_chars) return fanout_error::bad_transaction_id;
  if (out.size() < max_stamp_bytes(r)) return fanout_error::buffer_too_small;

  const bool first = c.offset == 0;
  const std::size_t to_len = address_len(r.to_name, r.to_uri);
  const std::size_t to_escapes =
      r.to_name.empty() ? 0 : to_len - (r.to_uri.size() + 2 + r.to_name.size() + 3);
  const std::uint64_t cpim_len = cpim_prefix_.size() + to_len + cpim_suffix_.size();
  const std::uint64_t total = cpim_len + body_.size();

  // RFC 4975 §5.1: chunk 1 carries the CPIM headers and as much body as fits; later chunks body only.
  std::size_t body_from, body_take;
  std::uint64_t chunk_bytes;
  if (first) {
    body_from = 0;
    std::uint64_t room = max_chunk_ > cpim_len ? max_chunk_ - cpim_len : 0;
    body_take = std::size_t(std::min<std::uint64_t>(body_.size(), room));
    chunk_bytes = cpim_len + body_take;
  } else {
    body_from = std::size_t(c.offset - cpim_len);
    body_take = std::min(body_.size() - body_from, max_chunk_);
    chunk_bytes = body_take;
  }
  const bool last = c.offset + chunk_bytes == total;

  // RFC 4975 §7.1: the tid's end-line must not occur in the data.
  char* tid = c.tid_storage;
  std::size_t tid_len;
  if (!r.transaction_id.empty()) {
    if (!body_guard_->safe(r.transaction_id) || !header_guard_->safe(r.transaction_id))
      return fanout_error::unsafe_transaction_id;
    tid_len = r.transaction_id.size();
    std::memcpy(tid, r.transaction_id.data(), tid_len);
  } else {
    tid_len = tid_chars_;
    int attempt = 0;
    for (;; ++attempt) {
      if (attempt == kTidAttempts) return fanout_error::no_safe_transaction_id;
      make_transaction_id(rng, tid, tid_len);
      std::string_view v(tid, tid_len);
      if (body_guard_->safe(v) && header_guard_->safe(v)) break;
    }
  }
  c.tid_len = std::uint8_t(tid_len);
  if (first) {
    if (r.message_id.empty()) {
      // The first tid is already a unique ident: reusing it saves a second draw per recipient. A fixed-size
      // copy avoids the rep-movs GCC emits for a bounded variable length.
      std::memcpy(c.message_id, tid, sizeof(c.message_id));
      c.message_id_len = std::uint8_t(tid_len);
    } else {
      std::memcpy(c.message_id, r.message_id.data(), r.message_id.size());
      c.message_id_len = std::uint8_t(r.message_id.size());
    }
  }

  char* const begin = out.data();
  char* p = begin;
  // Ids are copied as fixed 32-byte blocks (the space max_stamp_bytes reserves for them; later writes
  // overwrite the excess): a bounded variable-length memcpy made GCC emit a slow rep movsq here.
  p = put(p, "MSRP ");
  std::memcpy(p, tid, msrp::max_transaction_id_chars);
  p += tid_len;
  p = put(p, " SEND\r\nTo-Path: ");
  p = put(p, r.to_path);
  p = put(p, "\r\nFrom-Path: ");
  p = put(p, r.from_path);
  p = put(p, "\r\nMessage-ID: ");
  std::memcpy(p, c.message_id, msrp::max_transaction_id_chars);
  p += c.message_id_len;
  p = put(p, after_message_id_);
  if (first && last) {
    // The common single-chunk "1-N/N": format N once; the fixed 20-byte copy stays inside the space
    // reserved for Byte-Range and is overwritten by what follows.
    p = put(p, "1-");
    char* n0 = p;
    p = put_u64(p, total);
    std::size_t n = std::size_t(p - n0);
    *p++ = '/';
    std::memmove(p, n0, msrp::max_uint64_chars);  // source and destination overlap
    p += n;
  } else {
    p = put_u64(p, c.offset + 1);
    *p++ = '-';
    p = put_u64(p, c.offset + chunk_bytes);
    *p++ = '/';
    p = put_u64(p, total);
  }
  if (first) {
    p = put(p, after_byte_range_);
    p = put_address(p, r.to_name, r.to_uri, to_escapes);
    p = put(p, cpim_suffix_);
  } else {
    p = put(p, kContentType);
  }
  stamped_frame f;
  f.header = {begin, std::size_t(p - begin)};
  f.body = body_.substr(body_from, body_take);
  char* e = p;
  p += msrp::encode_end_line(p, {tid, tid_len},
                             last ? msrp::continuation::complete : msrp::continuation::more);
  f.end_line = {e, std::size_t(p - e)};
  f.last = last;
  c.offset += chunk_bytes;
  c.done = last;
  return f;
}

}  // namespace herald::fanout
