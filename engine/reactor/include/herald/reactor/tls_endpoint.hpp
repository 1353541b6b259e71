// What a TLS listener (or an adopted TLS connection) needs: where its contexts come from and how long a
// handshake may take.
#pragma once

#include <cstdint>
#include <memory>

#include "herald/tls/context.hpp"

namespace herald::reactor {

struct tls_endpoint {
  std::shared_ptr<tls::context_source> contexts;  // read at each accept, so a reload applies to new peers
  std::uint64_t handshake_timeout_ns = 10'000'000'000ULL;
  bool log_peers = false;  // log each handshake's protocol, cipher and peer certificate subject
  // Hand TLS 1.3 AES-GCM connections' transmit side to the kernel once their handshake output is written
  // (tls::ktls_self_test passed on this kernel); frames then go out as plaintext iovecs.
  bool ktls_tx = false;
};

}  // namespace herald::reactor
