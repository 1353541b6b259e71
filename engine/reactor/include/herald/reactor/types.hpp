// The reactor's vocabulary for upper layers: connection handles, frames, close reasons, events, stats.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "herald/core/shared_buffer.hpp"
#include "herald/tls/session.hpp"

namespace herald::reactor {

// A safe handle: a stale ref (slot reused, generation moved on) is rejected by every shard call.
struct connection_ref {
  std::uint16_t shard = 0;
  std::uint32_t index = 0;
  std::uint32_t generation = 0;  // 0 never names a live connection
  bool valid() const { return generation != 0; }
  friend bool operator==(const connection_ref&, const connection_ref&) = default;
};

enum class close_reason : std::uint8_t {
  none = 0,
  local,           // close() by the upper layer
  peer_eof,        // peer sent FIN; queued frames were flushed first (half-close)
  peer_reset,      // ECONNRESET / EPIPE
  slow_consumer,   // outbound queue passed max_queue_bytes
  input_overflow,  // unconsumed input passed max_input_bytes
  io_error,
  connect_failed,
  shard_stopping,
  timeout,     // for upper layers closing on their own timers (slowloris, transactions); TLS handshakes
  tls_failed,  // a TLS handshake or record failed (loop_stats::tls_failures says why)
};
const char* to_string(close_reason r);

enum class send_error : std::uint8_t {
  ok = 0,
  stale_connection,  // generation mismatch or wrong shard
  not_open,          // closing or closed
  empty_frame,
  slow_consumer,  // queue cap hit: the connection is now closing and this frame was NOT taken
};

enum class open_error : std::uint8_t { ok = 0, bad_address, socket_failed, no_slots };

// One outbound unit: up to 4 byte ranges written back to back (per-recipient header, shared body slice,
// end-line...), the body reference that keeps shared slices alive, and the caller's token.
struct frame {
  static constexpr std::size_t max_parts = 4;
  std::array<iovec, max_parts> parts{};
  std::uint8_t part_count = 0;
  shared_buffer body;  // released as soon as the frame's last byte is written (or it fails)
  std::uint64_t token = 0;

  // Empty ranges are skipped; false if all four parts are taken.
  bool add(std::string_view bytes) {
    if (bytes.empty()) return true;
    if (part_count == max_parts) return false;
    parts[part_count++] = iovec{const_cast<char*>(bytes.data()), bytes.size()};
    return true;
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < part_count; ++i) n += parts[i].iov_len;
    return n;
  }
};

class shard;

// Events for the layer above; one virtual call per event batch, never per frame.
struct connection_handler {
  virtual ~connection_handler() = default;
  virtual void on_open(shard& s, connection_ref c) = 0;
  // Returns how many bytes were consumed; the rest is kept and handed back, followed by new bytes, next time.
  virtual std::size_t on_data(shard& s, connection_ref c, std::string_view bytes) = 0;
  // Frames whose last byte reached the kernel, in queue order.
  virtual void on_frames_written(shard& s, connection_ref c, std::span<const std::uint64_t> tokens) = 0;
  // Exactly once per connection that was handed out (accepted, adopted or connect()ed). unsent_tokens are
  // the frames that will never be written, in queue order; their bodies are already released.
  virtual void on_closed(shard& s, connection_ref c, close_reason why,
                         std::span<const std::uint64_t> unsent_tokens) = 0;
};

// Counters for /metrics; owned and written by the shard thread only.
struct loop_stats {
  std::uint64_t loop_iterations = 0;
  std::uint64_t cqes = 0;
  std::uint64_t sends_submitted = 0;
  std::uint64_t send_iovecs = 0;
  std::uint64_t frames_written = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t partial_sends = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t recv_completions = 0;
  std::uint64_t recv_rearms = 0;
  std::uint64_t recv_enobufs = 0;
  std::uint64_t accepts = 0;
  std::uint64_t accept_fd_exhausted = 0;  // EMFILE/ENFILE seen on accept
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t slow_consumers = 0;
  std::uint64_t frames_failed = 0;
  std::uint64_t tasks_run = 0;
  std::uint64_t timers_fired = 0;
  // TLS listeners and adopted TLS connections: handshakes finished, failures by reason (a failed
  // handshake never reaches the upper layer), records' ciphertext written.
  std::uint64_t tls_handshakes = 0;
  std::array<std::uint64_t, tls::failure_count> tls_failures{};
  std::uint64_t tls_plaintext_bytes = 0;
  std::uint64_t tls_ciphertext_bytes = 0;
  std::uint64_t tls_open = 0;  // TLS connections now open, handshaking or not
  std::uint64_t tls_ktls = 0;  // connections whose records the kernel seals (kTLS transmit)

  double avg_iovecs_per_send() const {
    return sends_submitted ? double(send_iovecs) / double(sends_submitted) : 0.0;
  }
};

}  // namespace herald::reactor
