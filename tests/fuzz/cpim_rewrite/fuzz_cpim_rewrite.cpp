// Fuzz target: a participant's CPIM message rewritten for one recipient must keep everything but From/To.
//
// The server trusts nothing a participant writes in CPIM From (OMA IM: the conference stamps the
// authenticated sender) and stamps To per recipient; every other CPIM header line, the encapsulated
// MIME headers and the body must reach the recipient byte-for-byte and in order. The stamped frames
// (chunked at a data-derived size) are parsed back with the MSRP parser, reassembled, and parsed as
// CPIM again; any difference aborts.
//
// Built with HERALD_FUZZ_TOLERATE_KNOWN_REFUSALS, the two refusals already reported are skipped so a
// campaign can look past them: an encapsulated Content-Length (from_participant's header check parses
// the headers without the body, so the declared length is never there), and a message at the CPIM
// header limit without a To (stamping a To makes one header too many for the re-parse).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/core/random.hpp"
#include "herald/core/shared_buffer.hpp"
#include "herald/cpim/parser.hpp"
#include "herald/fanout/frame_template.hpp"
#include "herald/msrp/parser.hpp"

using namespace herald;

namespace {

constexpr std::string_view kSender = "sip:auth@example.com";
constexpr std::string_view kSenderName = "Auth";
constexpr std::string_view kRecipient = "sip:rcpt@example.com";
constexpr std::string_view kRecipientName = "Rcpt \"R\" \\ x";  // decoded; needs escaping on the wire
constexpr std::string_view kRecipientNameWire = "Rcpt \\\"R\\\" \\\\ x";  // as stamped inside the quotes

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "cpim_rewrite property violated: %s\n", what);
  std::abort();
}

bool from_or_to(const cpim::header& h) {
  return h.kind == cpim::header_kind::from || h.kind == cpim::header_kind::to;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The received body, in a buffer of exactly its size (ASan sees any read past it).
  shared_buffer received =
      shared_buffer::copy_of(std::string_view(reinterpret_cast<const char*>(data), size));
  cpim::message in;
  if (cpim::parse_final(received.view(), in) != cpim::parse_error::ok) return 0;

  fanout::template_spec spec;
  spec.body_storage = received;
  spec.body = in.body;
  spec.max_chunk_bytes = 1 + (size == 0 ? 0 : (data[0] * 131u + data[size - 1] * 7u + size) % 1500);
  auto made = fanout::frame_template::from_participant(in, kSender, kSenderName, std::move(spec));
  // A documented limit, not a loss: the rewrite keeps every header but From/To and adds one From and one
  // To, so a message already at cpim::max_headers without a To cannot take its recipient's To.
  if (!made.ok() && made.error() == fanout::fanout_error::bad_cpim_headers &&
      in.header_count - in.count(cpim::header_kind::from) - in.count(cpim::header_kind::to) + 2 >
          cpim::max_headers)
    return 0;
  if (!made.ok()) {
    // Every message parse_final accepts is one a participant may send; refusing it loses the message.
    std::fprintf(stderr, "from_participant: %s\n", std::string(fanout::to_string(made.error())).c_str());
    violated("from_participant refused a message parse_final accepted");
  }
  const fanout::frame_template& tmpl = made.value();

  static const fanout::recipient_bytes rb =
      std::move(fanout::recipient_bytes::make("msrp://rcpt.example.com:2855/rs83kd;tcp",
                                              "msrp://127.0.0.1:2855/srv29dk;tcp", kRecipient, kRecipientName)
                    .value());
  fanout::recipient r(rb);
  if (fanout::validate_recipient(r) != fanout::fanout_error::ok) violated("test recipient invalid");

  // Stamp every chunk; each must parse back as one complete MSRP SEND whose Byte-Range continues the last.
  fast_rng rng(size);
  fanout::chunk_cursor cursor;
  std::vector<char> out(tmpl.max_stamp_bytes(r));
  std::string reassembled;
  const std::uint64_t total = tmpl.msrp_body_bytes(r);
  for (int chunks = 0;; ++chunks) {
    if (chunks > 100000) violated("stamp never finished");
    auto stamped = tmpl.stamp(r, out, cursor, rng);
    if (!stamped.ok()) {
      std::fprintf(stderr, "stamp: %s\n", std::string(fanout::to_string(stamped.error())).c_str());
      violated("stamp failed");
    }
    std::string frame(stamped->header);
    frame += stamped->body;
    frame += stamped->end_line;
    msrp::limits lim;
    lim.max_body_bytes = frame.size();
    msrp::message m;
    msrp::parse_result pr = msrp::parse(frame, m, lim);
    if (pr.status != msrp::parse_status::complete || pr.consumed != frame.size())
      violated("frame does not parse");
    if (m.method != msrp::request_method::send || !m.byte_range)
      violated("frame is not a SEND with Byte-Range");
    if (m.byte_range->start != reassembled.size() + 1 || m.byte_range->total != total)
      violated("Byte-Range does not continue the message");
    if (m.content_type != "message/cpim") violated("Content-Type is not message/cpim");
    if ((m.flag == msrp::continuation::complete) != stamped->last) violated("continuation flag");
    reassembled += m.body;
    if (stamped->last) break;
  }
  if (reassembled.size() != total) violated("reassembled size differs from Byte-Range total");

  cpim::message got;
  if (cpim::parse_final(reassembled, got) != cpim::parse_error::ok) violated("rewritten CPIM does not parse");

  // From is the authenticated sender, whatever the participant wrote.
  if (got.count(cpim::header_kind::from) != 1 || !got.from() || got.from()->uri != kSender ||
      got.from()->display_name != kSenderName)
    violated("From is not the authenticated sender");
  // Exactly one To: the recipient.
  const cpim::header* to = got.find(cpim::header_kind::to);
  if (got.count(cpim::header_kind::to) != 1 || to->addr.uri != kRecipient ||
      to->addr.display_name != kRecipientNameWire)
    violated("To is not the recipient");
  // Every other header line, byte-identical and in the same order.
  std::vector<std::string_view> want, have;
  for (const auto& h : in.cpim())
    if (!from_or_to(h)) want.push_back(h.line);
  for (const auto& h : got.cpim())
    if (!from_or_to(h)) have.push_back(h.line);
  if (want != have) violated("pass-through CPIM header lines differ");
  if (got.inner_headers != in.inner_headers) violated("encapsulated MIME headers differ");
  if (got.body != in.body) violated("body differs");
  return 0;
}
