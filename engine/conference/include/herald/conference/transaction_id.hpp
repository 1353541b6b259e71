// Transaction ids that name their delivery: the shard decodes a response's tid straight back to the
// outbound message and target, so 10^6 pending transactions need no per-recipient map or allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "herald/core/random.hpp"

namespace herald::conference {

struct delivery_key {
  std::uint32_t outbound = 0;    // slot in the shard's outbox (< 62^3)
  std::uint32_t generation = 0;  // of that slot, mod 62
  std::uint32_t target = 0;      // index in that slot's targets (< 62^5)
  bool last_chunk = false;
};

// Layout (16 chars, RFC 4975 §9 ident alphabet): 3 outbound, 1 generation, 5 target, 1 last-chunk
// marker, 6 random. The random tail keeps tids unpredictable and lets the sender redraw a tid whose
// end-line happens to occur in the body.
inline constexpr std::size_t delivery_tid_chars = 16;
inline constexpr std::uint32_t max_outbound_slots = 62u * 62u * 62u;
inline constexpr std::uint32_t max_targets_per_outbound = 62u * 62u * 62u * 62u * 62u;

void encode_delivery_tid(const delivery_key& key, fast_rng& rng, char out[delivery_tid_chars]);
std::optional<delivery_key> decode_delivery_tid(std::string_view tid);

}  // namespace herald::conference
