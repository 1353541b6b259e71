// Fuzz target: MSRP parse of whole vs split input must agree; paths must split and URIs parse without faults.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "herald/msrp/parser.hpp"
#include "herald/msrp/uri.hpp"

using namespace herald::msrp;

namespace {

// Views differ between buffers, so compare offsets relative to each buffer plus lengths.
bool same_view(std::string_view a, const char* abase, std::string_view b, const char* bbase) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return (a.data() - abase) == (b.data() - bbase);
}

bool same(const parse_result& ra, const message& a, const char* abase, const parse_result& rb,
          const message& b, const char* bbase) {
  if (ra.status != rb.status || ra.error != rb.error || ra.consumed != rb.consumed) return false;
  if (ra.status != parse_status::complete) return true;
  return a.kind == b.kind && a.method == b.method && a.status_code == b.status_code &&
         same_view(a.transaction_id, abase, b.transaction_id, bbase) &&
         same_view(a.to_path, abase, b.to_path, bbase) && same_view(a.from_path, abase, b.from_path, bbase) &&
         same_view(a.body, abase, b.body, bbase) && a.byte_range == b.byte_range && a.flag == b.flag &&
         a.has_body == b.has_body && a.extension_count == b.extension_count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  limits lim;
  lim.max_body_bytes = 4096;  // keep body_too_large reachable
  std::string_view whole(reinterpret_cast<const char*>(data), size);
  message m;
  parse_result r = parse(whole, m, lim);
  if (r.status == parse_status::complete && (r.consumed == 0 || r.consumed > size)) std::abort();

  // Split point from the data: feed a prefix to a resumable parser (need_more or the same terminal
  // result), then the whole input in a different buffer.
  std::size_t split = size == 0 ? 0 : (data[0] * 257u + data[size - 1]) % (size + 1);
  auto copy = std::make_unique<char[]>(size + 1);
  if (size != 0) std::memcpy(copy.get(), data, size);
  parser p(lim);
  message m2;
  parse_result pre = p.feed({copy.get(), split}, m2);
  if (pre.status == parse_status::complete && pre.consumed > split) std::abort();
  if (pre.status == parse_status::need_more) {
    parse_result r2 = p.feed({copy.get(), size}, m2);
    if (!same(r, m, whole.data(), r2, m2, copy.get())) std::abort();
  } else if (pre.status == parse_status::complete) {
    // A complete message inside the prefix must be the same message the whole parse found.
    if (r.status != parse_status::complete || r.consumed != pre.consumed) std::abort();
  }

  if (r.status == parse_status::complete) {
    auto to = split_path(m.to_path);
    if (!to) std::abort();  // the parser validated it
    for (std::string_view u : *to) {
      auto parsed = parse_uri(u);
      if (!parsed || !uri_equal(*parsed, *parsed)) std::abort();
    }
    if (m.has_body && (m.body.data() < whole.data() || m.body.data() + m.body.size() > whole.data() + size))
      std::abort();
  }
  // After an error: what was read is a view into the input, and skipping the message finds the same end
  // whether the input arrives whole or in two pieces (the first piece's droppable bytes dropped).
  if (r.status == parse_status::error) {
    for (std::string_view v : {m.transaction_id, m.to_path, m.from_path})
      if (!v.empty() && (v.data() < whole.data() || v.data() + v.size() > whole.data() + size)) std::abort();
    parser whole_skip(lim);
    message ms;
    (void)whole_skip.feed(whole, ms);
    if (whole_skip.can_skip()) {
      parse_result sk = whole_skip.skip(whole);
      if (sk.consumed > size) std::abort();
      parser split_skip(lim);
      (void)split_skip.feed(whole, ms);
      parse_result first = split_skip.skip(whole.substr(0, split));
      std::size_t total = first.consumed;
      if (first.status == parse_status::need_more) {
        parse_result second = split_skip.skip(whole.substr(first.consumed));
        if (second.status != sk.status) std::abort();
        total += second.consumed;
      } else if (first.status != sk.status) {
        std::abort();
      }
      if (sk.status == parse_status::complete && total != sk.consumed) std::abort();
    }
  }
  // Raw URI parsing on arbitrary bytes must not fault either.
  (void)parse_uri(whole.substr(0, 256));
  return 0;
}
