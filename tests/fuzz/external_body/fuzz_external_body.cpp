// libFuzzer target: parse message/external-body (value NUL phantom); accepted inputs must rebuild
// identically.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "herald/cpim/external_body.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Input layout: Content-Type value, one NUL, phantom header part.
  std::size_t cut = in.find('\0');
  std::string_view value = in.substr(0, cut);
  std::string_view phantom = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);
  auto r = herald::cpim::parse_external_body(value, phantom);
  if (!r.ok()) return 0;
  std::size_t cap = herald::cpim::external_body_bytes(*r);
  auto buf = std::make_unique<char[]>(cap);
  auto built = herald::cpim::build_external_body(*r, {buf.get(), cap});
  check(built.ok());
  auto again = herald::cpim::parse_external_body(built->content_type_value, built->phantom);
  check(again.ok());
  check(again->url == r->url && again->content_type == r->content_type && again->content_id == r->content_id);
  check(again->has_size == r->has_size && again->size == r->size);
  check(again->has_expiration == r->has_expiration && again->expiration == r->expiration);
  check(again->permission_read == r->permission_read);
  return 0;
}
