// Per-connection MSRP state on a shard: the sessions bound to it and its chunked messages in progress.
#pragma once

#include <cstdint>
#include <vector>

#include "herald/conference/reassembly.hpp"
#include "herald/conference/shard_service.hpp"
#include "herald/msrp/parser.hpp"

namespace herald::conference {

struct shard_service::connection_state {
  reactor::connection_ref ref;
  msrp::parser parser;
  std::vector<std::uint32_t> sessions;  // slots bound on this connection
  reassembler chunks;
  std::uint64_t partial_since_ns = 0;  // when unconsumed input started waiting (slowloris guard)
  std::size_t index = 0;               // position in shard_service::connections_
  bool closing = false;
};

}  // namespace herald::conference
