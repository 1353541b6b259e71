// Engine settings: every operator-facing limit and timeout, with the defaults heraldd documents.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace herald::conference {

// An address as the flags give it ("host:port", "[v6]:port"); the host without IPv6 brackets.
struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

struct engine_config {
  std::size_t shards = 0;                                    // 0: one per core
  std::string advertise = "127.0.0.1:2855";                  // host:port written into session URIs ("": none)
  std::string advertise_tls;                                 // host:port of msrps session URIs ("": none)
  std::size_t max_chunk_bytes = 2048;                        // outgoing MSRP chunk data (RFC 4975 §5.1)
  std::uint64_t transaction_timeout_ns = 30'000'000'000ULL;  // no response → failed, 408
  std::uint64_t message_retention_ns = 600'000'000'000ULL;   // delivery state kept this long
  std::size_t max_queue_bytes = 8u << 20;                    // per connection; beyond: slow consumer
  // A relay/gateway connection carrying many sessions gets this much more room per bound session, so one
  // message fanned out to its 10^4 sessions (10^4 frames queued at once) is not mistaken for slowness.
  std::size_t max_queue_bytes_per_session = 64u << 10;
  std::size_t max_message_bytes = 16u << 20;  // one message's body, any source (413)
  std::size_t max_sessions_per_connection = 100'000;
  std::size_t max_pending_deliveries = 4'000'000;  // per conference, across messages
  std::size_t max_conferences = 10'000;
  std::size_t max_participants_per_conference = 2'000'000;
  std::uint64_t header_timeout_ns = 10'000'000'000ULL;      // a started MSRP/HTTP header must finish
  std::uint64_t reassembly_timeout_ns = 60'000'000'000ULL;  // incomplete chunked message dropped
  std::size_t max_reassembly_bytes = 64u << 20;             // per connection, chunked messages in progress
  // Message slices one shard tracks at once (each until its recipients settled): beyond, a message's
  // recipients there fail with outbox_full. The transaction-id layout caps it at 62^3.
  std::uint32_t max_messages_in_flight = 62u * 62u * 62u;
  bool pin_threads = false;
};

}  // namespace herald::conference
