// herald-peer --path <Herald's a=path> --from <the offer's a=path> [--count N] [--seconds S]
// Connects to the host and port of Herald's session URI, binds the session from the offered path (as the
// client that sent the INVITE would, RFC 4975 §8.2 and RFC 6135: the offerer is active), answers every SEND
// with 200 and prints its CPIM From, To and body. Exits 0 once --count messages arrived (default 1), 1 on a
// refused bind or when --seconds (default 60) pass first.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "herald/client/msrp_peer.hpp"
#include "herald/cpim/parser.hpp"

namespace {

using namespace herald;

int usage() {
  std::fprintf(stderr,
               "usage: herald-peer --path <Herald's a=path URI> --from <the offer's a=path URI>\n"
               "                   [--count N] [--seconds S]\n");
  return 2;
}

// msrp://host:port/session;tcp -> host, port (IPv4 literals: this is a trying-out tool).
bool split_authority(std::string_view uri, std::string& host, std::uint16_t& port) {
  const std::size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return false;
  const std::string_view rest = uri.substr(scheme + 3);
  const std::size_t colon = rest.find(':');
  const std::size_t slash = rest.find('/');
  if (colon == std::string_view::npos || slash == std::string_view::npos || colon > slash) return false;
  host = std::string(rest.substr(0, colon));
  const unsigned long p =
      std::strtoul(std::string(rest.substr(colon + 1, slash - colon - 1)).c_str(), nullptr, 10);
  if (p == 0 || p > 65535) return false;
  port = static_cast<std::uint16_t>(p);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, from;
  unsigned long count = 1, seconds = 60;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--path")
      path = argv[++i];
    else if (a == "--from")
      from = argv[++i];
    else if (a == "--count")
      count = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--seconds")
      seconds = std::strtoul(argv[++i], nullptr, 10);
    else
      return usage();
  }
  std::string host;
  std::uint16_t port = 0;
  if (path.empty() || from.empty() || !split_authority(path, host, port)) return usage();

  client::msrp_peer peer;
  peer.tag = "herald-peer";
  if (int rc = peer.connect(port, 0, host.c_str()); rc != 0) {
    std::fprintf(stderr, "herald-peer: connect %s:%u: error %d\n", host.c_str(), port, -rc);
    return 1;
  }
  const int bound = peer.bind_from(path, from);
  if (bound == 0) {
    std::fprintf(stderr, "herald-peer: no answer to the bind\n");
    return 1;
  }
  std::printf("bind %s: %d\n", path.c_str(), bound);
  std::fflush(stdout);
  if (bound != 200) return 1;

  const std::uint64_t deadline = client::now_ms() + seconds * 1000;
  std::size_t shown = 0;
  while (shown < count && client::now_ms() < deadline) {
    if (!peer.pump_once(200) && peer.eof) break;
    for (; shown < peer.sends.size(); ++shown) {
      const client::received_send& s = peer.sends[shown];
      cpim::message m;
      if (s.content_type.rfind("message/cpim", 0) == 0 &&
          cpim::parse_final(s.body, m) == cpim::parse_error::ok) {
        const auto* f = m.find(cpim::header_kind::from);
        const auto* t = m.find(cpim::header_kind::to);
        std::printf("message %s from %s to %s: %.*s\n", s.message_id.c_str(),
                    f ? std::string(f->addr.uri).c_str() : "?", t ? std::string(t->addr.uri).c_str() : "?",
                    static_cast<int>(m.body.size()), m.body.data());
      } else {
        std::printf("message %s (%s): %s\n", s.message_id.c_str(), s.content_type.c_str(), s.body.c_str());
      }
      std::fflush(stdout);
    }
  }
  return shown >= count ? 0 : 1;
}
