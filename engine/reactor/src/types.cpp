// Names for close reasons, for logs and /metrics labels.
#include "herald/reactor/types.hpp"

namespace herald::reactor {

const char* to_string(close_reason r) {
  switch (r) {
    case close_reason::none:
      return "none";
    case close_reason::local:
      return "local";
    case close_reason::peer_eof:
      return "peer_eof";
    case close_reason::peer_reset:
      return "peer_reset";
    case close_reason::slow_consumer:
      return "slow_consumer";
    case close_reason::input_overflow:
      return "input_overflow";
    case close_reason::io_error:
      return "io_error";
    case close_reason::connect_failed:
      return "connect_failed";
    case close_reason::shard_stopping:
      return "shard_stopping";
    case close_reason::timeout:
      return "timeout";
    case close_reason::tls_failed:
      return "tls_failed";
  }
  return "unknown";
}

}  // namespace herald::reactor
