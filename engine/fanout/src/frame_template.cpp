// frame_template: precomputes MSRP/CPIM bytes common to all recipients; stamps the rest per recipient.
#include "herald/fanout/frame_template.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "herald/core/ascii.hpp"
#include "herald/core/date.hpp"
#include "herald/cpim/encoder.hpp"
#include "herald/cpim/parser.hpp"

namespace herald::fanout {

namespace {

constexpr std::string_view kContentType = "\r\nContent-Type: message/cpim\r\n\r\n";  // ends Byte-Range
constexpr std::string_view kSendToPath = " SEND\r\nTo-Path: ";
constexpr std::string_view kMessageId = "\r\nMessage-ID: ";
constexpr std::string_view kByteRange = "\r\nByte-Range: ";
constexpr int kTidAttempts = 16;
// Room for both report headers + kContentType, twice (the later-chunk run and the first-chunk run).
constexpr std::size_t kRunBytes = 2 * (21 + 25 + 34);

bool valid_path(std::string_view p) {
  if (p.empty()) return false;
  for (char ch : p) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
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

// 16 bytes through one vector register where SSE2 exists (every x86-64): at -O2 GCC turns a fixed
// 32- or 64-byte memcpy into a libc call, which costs more than the copy.
[[gnu::always_inline]] inline void copy16(char* d, const char* s) {
#if defined(__SSE2__)
  _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
#else
  std::memcpy(d, s, 16);
#endif
}

// Copies with fixed-size, possibly overlapping moves that stay inside [s, s + n) and [p, p + n): the
// header pieces are 10..200 bytes, where a libc memcpy call and its size dispatch cost more than the copy.
[[gnu::always_inline]] inline char* put(char* p, std::string_view s) {
  const char* src = s.data();
  std::size_t n = s.size();
  char* const end = p + n;
  if (n >= 32) {
    const char* const src_end = src + n;
    for (; n > 64; n -= 64, p += 64, src += 64) {
      copy16(p, src);
      copy16(p + 16, src + 16);
      copy16(p + 32, src + 32);
      copy16(p + 48, src + 48);
    }
    if (n > 32) {
      copy16(p, src);
      copy16(p + 16, src + 16);
    }
    copy16(end - 32, src_end - 32);
    copy16(end - 16, src_end - 16);
  } else if (n >= 16) {
    copy16(p, src);
    copy16(end - 16, src + n - 16);
  } else if (n >= 8) {
    std::memcpy(p, src, 8);
    std::memcpy(end - 8, src + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(p, src, 4);
    std::memcpy(end - 4, src + n - 4, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) p[i] = src[i];
  }
  return end;
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

inline unsigned digit_count(std::uint64_t v) {
  unsigned n = 1;
  for (; v >= 10000; v /= 10000) n += 4;
  return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

// Writes in place from the last digit backwards: no temporary, no variable-length copy.
[[gnu::always_inline]] inline char* put_u64(char* p, std::uint64_t v) {
  // Byte-Range numbers of single-chunk messages are 3-4 digits: answer those without the general loop.
  if (v < 10000) {
    const unsigned hi = unsigned(v) / 100, lo = unsigned(v) % 100;
    if (hi == 0) {
      if (lo < 10) {
        *p = char('0' + lo);
        return p + 1;
      }
      std::memcpy(p, kDigitPairs + 2 * lo, 2);
      return p + 2;
    }
    if (hi < 10) {
      *p = char('0' + hi);
      std::memcpy(p + 1, kDigitPairs + 2 * lo, 2);
      return p + 3;
    }
    std::memcpy(p, kDigitPairs + 2 * hi, 2);
    std::memcpy(p + 2, kDigitPairs + 2 * lo, 2);
    return p + 4;
  }
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

static_assert(std::endian::native == std::endian::little, "id words are stored as little-endian bytes");

[[gnu::always_inline]] inline std::uint64_t pair_at(std::uint64_t draw, int k) {
  std::uint16_t v;
  std::memcpy(&v, detail::alnum_pairs.pair[(draw >> (12 * k)) & 4095], 2);
  return v;
}

[[gnu::always_inline]] inline std::uint64_t word_of(std::uint64_t a, std::uint64_t b, std::uint64_t c,
                                                    std::uint64_t d) {
  return a | b << 16 | c << 32 | d << 48;
}

// A transaction id (up to 32 characters) held in four registers. It is written to the frame, the cursor
// and the end-line with whole-word stores and never read back from memory: reloading an id just written
// by smaller stores stalls store forwarding, which cost more than all of a stamp's copies together.
// Draws as fast_rng::alnum does: ten characters per draw, lowest bits first, only as many as needed.
struct id_words {
  std::uint64_t w[4] = {0, 0, 0, 0};

  [[gnu::always_inline]] static id_words draw(fast_rng& rng, std::size_t n) {
    id_words id;
    const std::uint64_t d0 = rng.next();
    const std::uint64_t d1 = n > 10 ? rng.next() : 0;
    id.w[0] = word_of(pair_at(d0, 0), pair_at(d0, 1), pair_at(d0, 2), pair_at(d0, 3));
    id.w[1] = word_of(pair_at(d0, 4), pair_at(d1, 0), pair_at(d1, 1), pair_at(d1, 2));
    if (n > 16) {
      const std::uint64_t d2 = n > 20 ? rng.next() : 0;
      const std::uint64_t d3 = n > 30 ? rng.next() : 0;
      id.w[2] = word_of(pair_at(d1, 3), pair_at(d1, 4), pair_at(d2, 0), pair_at(d2, 1));
      id.w[3] = word_of(pair_at(d2, 2), pair_at(d2, 3), pair_at(d2, 4), pair_at(d3, 0));
    }
    return id;
  }
  // Writes all 32 bytes; callers reserve them and overwrite what follows the id's length.
  // Word by word: one 16-byte copy of w would load from a stack copy written by 8-byte stores.
  void store(char* out) const {
    std::memcpy(out, &w[0], 8);
    std::memcpy(out + 8, &w[1], 8);
    std::memcpy(out + 16, &w[2], 8);
    std::memcpy(out + 24, &w[3], 8);
  }
};
}  // namespace

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
  if (r.paths.empty() || r.cpim_to.empty()) return fanout_error::bad_path;
  if (!r.message_id.empty() && !msrp::is_valid_ident(r.message_id)) return fanout_error::bad_message_id;
  if (!r.transaction_id.empty() && !msrp::is_valid_ident(r.transaction_id))
    return fanout_error::bad_transaction_id;
  return fanout_error::ok;
}

result<recipient_bytes, fanout_error> recipient_bytes::make(std::string_view to_path,
                                                            std::string_view from_path,
                                                            std::string_view to_uri,
                                                            std::string_view to_name) {
  constexpr std::size_t kMaxPath = 4096;
  if (!valid_path(to_path) || !valid_path(from_path) || to_path.size() > kMaxPath ||
      from_path.size() > kMaxPath)
    return fanout_error::bad_path;
  if (cpim::validate_uri(to_uri) != cpim::encode_error::ok ||
      cpim::validate_display_name(to_name) != cpim::encode_error::ok || to_uri.size() > kMaxPath ||
      to_name.size() > kMaxPath)
    return fanout_error::bad_address;
  const std::size_t to_len = address_len(to_name, to_uri);
  std::size_t escapes = to_name.empty() ? 0 : to_len - (to_uri.size() + 2 + to_name.size() + 3);
  recipient_bytes b;
  b.to_path_len_ = std::uint16_t(to_path.size());
  b.from_path_len_ = std::uint16_t(from_path.size());
  b.cpim_to_len_ = std::uint16_t(to_len);
  b.uri_len_ = std::uint16_t(to_uri.size());
  b.bytes_ = std::make_unique_for_overwrite<char[]>(b.paths_len() + to_len);
  char* p = b.bytes_.get();
  p = put(p, to_path);
  p = put(p, "\r\nFrom-Path: ");
  p = put(p, from_path);
  put_address(p, to_name, to_uri, escapes);
  return b;
}

result<frame_template, fanout_error> frame_template::make(template_spec spec) {
  if (cpim::validate_uri(spec.from_uri) != cpim::encode_error::ok ||
      cpim::validate_display_name(spec.from_name) != cpim::encode_error::ok)
    return fanout_error::bad_address;
  frame_template t;
  std::string prefix = from_line(spec.from_uri, spec.from_name);
  std::string suffix = "\r\n";
  if (spec.datetime) {
    char dt[rfc3339_length];
    format_rfc3339(*spec.datetime, dt);
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
    if (colon != std::string_view::npos && ascii::iequals(line.substr(0, colon), kName)) return true;
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
      check.body.size() != (carries_body ? spec.body.size() : 0) || check.count(cpim::header_kind::to) != 1 ||
      check.count(cpim::header_kind::from) != 1)
    return fanout_error::bad_cpim_headers;

  // Everything after the Byte-Range value is constant per message: the report headers (RFC 4975 §7.1
  // allows any order after To-Path/From-Path; Byte-Range first lets one run follow it), Content-Type and,
  // in the first chunk only, the CPIM headers up to "To: ". Two runs, so stamp() copies one of them.
  char* rp = t.storage_.get() + t.cpim_prefix_.size() + t.cpim_suffix_.size();
  char* r0 = rp;
  if (spec.success_report != msrp::report_mode::unset) {
    // RFC 4975 §7.1.2: Success-Report is yes or no only.
    if (spec.success_report == msrp::report_mode::partial) return fanout_error::bad_cpim_headers;
    rp = put(rp, "\r\nSuccess-Report: ");
    rp = put(rp, msrp::to_string(spec.success_report));
  }
  if (spec.failure_report != msrp::report_mode::unset) {
    rp = put(rp, "\r\nFailure-Report: ");
    rp = put(rp, msrp::to_string(spec.failure_report));
  }
  t.success_report_ = spec.success_report;
  t.failure_report_ = spec.failure_report;
  rp = put(rp, kContentType);
  const std::string_view later_run(r0, std::size_t(rp - r0));
  char* f0 = rp;
  rp = put(rp, later_run);
  rp = put(rp, t.cpim_prefix_);
  t.first_chunk_run_ = {f0, std::size_t(rp - f0)};
  t.later_chunk_run_ = later_run;

  // Only a non-empty body inside the caller's storage can have its bytes reused below.
  const bool body_in_storage = spec.body_storage && !spec.body.empty();
  if (body_in_storage) {
    const char* b = spec.body_storage.data();
    if (spec.body.data() < b || spec.body.data() + spec.body.size() > b + spec.body_storage.size())
      return fanout_error::body_outside_storage;
  }
  // The CPIM suffix and the body are the same bytes for every recipient, so they travel as one shared
  // span: stamp() then writes only what precedes the recipient's CPIM To. The span is found or made
  // without copying the body when the storage allows, else built once per message.
  const std::string_view suffix = t.cpim_suffix_;
  shared_buffer storage = std::move(spec.body_storage);
  const std::size_t tail_size = suffix.size() + spec.body.size();
  if (body_in_storage && std::size_t(spec.body.data() - storage.data()) >= suffix.size() &&
      std::memcmp(spec.body.data() - suffix.size(), suffix.data(), suffix.size()) == 0) {
    // A participant's CPIM whose From/To lines come first: what precedes its body is the suffix already.
    t.tail_ = {spec.body.data() - suffix.size(), tail_size};
  } else if (body_in_storage && spec.body.data() == storage.data() && storage.prepend(suffix)) {
    t.tail_ = {storage.data(), tail_size};
  } else {
    shared_buffer joined = shared_buffer::allocate(tail_size);
    std::memcpy(joined.mutable_data(), suffix.data(), suffix.size());
    if (!spec.body.empty())
      std::memcpy(joined.mutable_data() + suffix.size(), spec.body.data(), spec.body.size());
    storage = std::move(joined);
    t.tail_ = storage.view();
  }
  t.body_storage_ = std::move(storage);
  t.body_ = t.tail_.substr(suffix.size());
  t.body_guard_ = std::make_unique<msrp::body_guard>(t.tail_);
  t.header_guard_ = std::make_unique<msrp::body_guard>(
      std::string_view(t.storage_.get(), t.cpim_prefix_.size() + t.cpim_suffix_.size()));
  // The usual case: no "-------<alnum>" anywhere, so no id needs checking per recipient.
  t.guards_empty_ = t.body_guard_->candidate_count() == 0 && t.header_guard_->candidate_count() == 0;
  t.fixed_stamp_bytes_ = 5 + msrp::max_transaction_id_chars + kSendToPath.size() + kMessageId.size() +
                         msrp::max_transaction_id_chars + kByteRange.size() + msrp::max_byte_range_chars +
                         t.first_chunk_run_.size() + msrp::max_end_line_chars;
  return t;
}

std::uint64_t frame_template::msrp_body_bytes(const recipient& r) const {
  return cpim_prefix_.size() + r.cpim_to.size() + tail_.size();
}

result<stamped_frame, fanout_error> frame_template::stamp(const recipient& r, std::span<char> out,
                                                          chunk_cursor& c, fast_rng& rng) const {
  if (c.done) return fanout_error::finished;
  // The two checks validate_recipient makes that protect this function's own fixed-size buffers.
  if (r.message_id.size() > msrp::max_transaction_id_chars) return fanout_error::bad_message_id;
  if (r.transaction_id.size() > msrp::max_transaction_id_chars) return fanout_error::bad_transaction_id;
  if (out.size() < max_stamp_bytes(r)) return fanout_error::buffer_too_small;

  const bool first = c.offset == 0;
  // The MSRP body is the CPIM head up to the recipient's To (stamped) and the shared tail.
  const std::uint64_t head_len = cpim_prefix_.size() + r.cpim_to.size();
  const std::uint64_t total = head_len + tail_.size();

  // RFC 4975 §5.1: chunk 1 carries the stamped CPIM head and as much of the tail as fits; later chunks
  // slices of the tail only.
  std::size_t tail_from, tail_take;
  std::uint64_t chunk_bytes;
  if (first) {
    tail_from = 0;
    std::uint64_t room = max_chunk_ > head_len ? max_chunk_ - head_len : 0;
    tail_take = std::size_t(std::min<std::uint64_t>(tail_.size(), room));
    chunk_bytes = head_len + tail_take;
  } else {
    tail_from = std::size_t(c.offset - head_len);
    tail_take = std::min(tail_.size() - tail_from, max_chunk_);
    chunk_bytes = tail_take;
  }
  const bool last = c.offset + chunk_bytes == total;

  // RFC 4975 §7.1: the tid's end-line must not occur in the data.
  id_words tid;
  std::size_t tid_len;
  if (!r.transaction_id.empty()) {
    if (!guards_empty_ && (!body_guard_->safe(r.transaction_id) || !header_guard_->safe(r.transaction_id)))
      return fanout_error::unsafe_transaction_id;
    tid_len = r.transaction_id.size();
    std::memcpy(tid.w, r.transaction_id.data(), tid_len);
  } else {
    tid_len = tid_chars_;
    int attempt = 0;
    for (;; ++attempt) {
      if (attempt == kTidAttempts) return fanout_error::no_safe_transaction_id;
      tid = id_words::draw(rng, tid_len);
      // The guards see the id through the cursor's copy (it is kept there for transaction_id()).
      tid.store(c.tid_storage);
      std::string_view v(c.tid_storage, tid_len);
      if (guards_empty_ || (body_guard_->safe(v) && header_guard_->safe(v))) break;
    }
  }
  if (!r.transaction_id.empty()) tid.store(c.tid_storage);
  c.tid_len = std::uint8_t(tid_len);
  // Message-ID: the first tid is already a unique ident, so by default it is reused for every chunk.
  const bool message_id_is_tid = first ? r.message_id.empty() : c.message_id_is_tid;
  if (first) {
    c.message_id_is_tid = message_id_is_tid;
    c.message_id_len = std::uint8_t(tid_len);
    if (message_id_is_tid) {
      // Kept for the later chunks; a message of one chunk never reads it back.
      if (!last) tid.store(c.message_id);
    } else {
      std::memcpy(c.message_id, r.message_id.data(), r.message_id.size());
      c.message_id_len = std::uint8_t(r.message_id.size());
    }
  }

  char* const begin = out.data();
  char* p = begin;
  // Ids are written as fixed 32-byte blocks (the space max_stamp_bytes reserves for them; later writes
  // overwrite the excess): a bounded variable-length memcpy made GCC emit a slow rep movsq here.
  p = put(p, "MSRP ");
  tid.store(p);
  p += tid_len;
  p = put(p, kSendToPath);
  p = put(p, r.paths);
  p = put(p, kMessageId);
  if (message_id_is_tid && first) {
    tid.store(p);
  } else {
    std::memcpy(p, c.message_id, msrp::max_transaction_id_chars);
  }
  p += c.message_id_len;
  p = put(p, kByteRange);
  if (first && last) {
    // The common single-chunk "1-N/N": format N once; the fixed 20-byte copy stays inside the space
    // reserved for Byte-Range and is overwritten by what follows.
    // The common single-chunk "1-N/N". N is formatted twice rather than copied: reading back digits
    // just written byte by byte would stall store forwarding.
    p = put(p, "1-");
    p = put_u64(p, total);
    *p++ = '/';
    p = put_u64(p, total);
  } else {
    p = put_u64(p, c.offset + 1);
    *p++ = '-';
    p = put_u64(p, c.offset + chunk_bytes);
    *p++ = '/';
    p = put_u64(p, total);
  }
  if (first) {
    p = put(p, first_chunk_run_);
    p = put(p, r.cpim_to);
  } else {
    p = put(p, later_chunk_run_);
  }
  stamped_frame f;
  f.header = {begin, std::size_t(p - begin)};
  f.body = tail_.substr(tail_from, tail_take);
  // RFC 4975 §7.1 end-line, written here with the same fixed-size tid copy instead of a call.
  char* e = p;
  p = put(p, "\r\n-------");
  tid.store(p);
  p += tid_len;
  *p++ = last ? '$' : '+';
  p = put(p, "\r\n");
  f.end_line = {e, std::size_t(p - e)};
  f.last = last;
  c.offset += chunk_bytes;
  c.done = last;
  return f;
}

}  // namespace herald::fanout
