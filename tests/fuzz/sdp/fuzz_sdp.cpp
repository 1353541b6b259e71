// Fuzz target: any bytes as an SDP offer. Parsing must stay inside the input, a chosen MSRP line must be
// one Herald can serve, and Herald's answer to an answerable offer must parse back with the same number
// of media lines and its own path on the chosen one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "herald/sdp/sdp.hpp"

using namespace herald::sdp;

namespace {
bool inside(std::string_view v, std::string_view whole) {
  return v.empty() || (v.data() >= whole.data() && v.data() + v.size() <= whole.data() + whole.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sd = parse(text);
  if (!sd.ok()) return 0;
  if (sd->media_count > max_media_lines) std::abort();
  for (std::size_t i = 0; i < sd->media_count; ++i) {
    const media_description& m = sd->media[i];
    for (std::string_view v : {m.media, m.proto, m.formats, m.path, m.accept_types, m.connection_address})
      if (!inside(v, text)) std::abort();
  }
  for (bool tls : {false, true}) {
    auto chosen = choose_msrp_media(*sd, tls);
    if (!chosen.ok()) continue;
    const media_description& m = sd->media[*chosen];
    if (!m.msrp() || m.port == 0 || m.path.empty() || (m.tls() && !tls)) std::abort();
    answer_params p;
    p.address = "192.0.2.1";
    p.port = 2855;
    p.tls = m.tls();
    p.path = "msrp://192.0.2.1:2855/fuzzsession;tcp";
    p.max_size = 1024;
    const std::string a = answer(*sd, *chosen, p);
    auto back = parse(a);
    if (!back.ok() || back->media_count != sd->media_count) std::abort();
    if (back->media[*chosen].path != p.path || back->media[*chosen].port != 2855) std::abort();
  }
  return 0;
}
