// libFuzzer target: parse Message/CPIM; accepted inputs must re-encode into bytes that parse to the same
// fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "herald/cpim/encoder.hpp"
#include "herald/cpim/parser.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void same(const herald::cpim::message& a, const herald::cpim::message& b) {
  using herald::cpim::header_kind;
  check(a.header_count == b.header_count && a.inner_count == b.inner_count);
  for (std::size_t i = 0; i < a.header_count; ++i) {
    const auto& x = a.headers[i];
    const auto& y = b.headers[i];
    check(x.kind == y.kind && x.prefix == y.prefix && x.name == y.name && x.params == y.params &&
          x.lang == y.lang);
    if (x.kind == header_kind::from || x.kind == header_kind::to || x.kind == header_kind::cc) {
      check(x.addr.uri == y.addr.uri && x.addr.display_name == y.addr.display_name &&
            x.addr.quoted == y.addr.quoted);
    } else {
      check(x.value == y.value);
    }
  }
  for (std::size_t i = 0; i < a.inner_count; ++i)
    check(a.inner[i].name == b.inner[i].name && a.inner[i].value == b.inner[i].value);
  check(a.body == b.body && a.datetime == b.datetime && a.has_datetime == b.has_datetime);
  check(a.content_type == b.content_type && a.content_id == b.content_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = std::make_unique<herald::cpim::message>();
  herald::cpim::parse_error e = herald::cpim::parse_final(in, *m);
  if (e != herald::cpim::parse_error::ok) return 0;
  // Every prefix must be need_more or ok, never a different error, since the parser is incremental.
  if (size > 0) {
    auto p = std::make_unique<herald::cpim::message>();
    herald::cpim::parse_error pe = herald::cpim::parse(in.substr(0, size / 2), *p);
    check(pe == herald::cpim::parse_error::ok || pe == herald::cpim::parse_error::need_more);
  }
  std::size_t cap = 2 * size + 64;
  auto buf = std::make_unique<char[]>(cap + m->body.size());
  auto n = herald::cpim::encode(*m, {buf.get(), cap});
  check(n.ok());
  if (!m->body.empty()) std::memcpy(buf.get() + *n, m->body.data(), m->body.size());
  std::string_view again(buf.get(), *n + m->body.size());
  auto m2 = std::make_unique<herald::cpim::message>();
  check(herald::cpim::parse_final(again, *m2) == herald::cpim::parse_error::ok);
  same(*m, *m2);
  return 0;
}
