// Shard internals: the connection slot, the listener, the frame FIFO and the tagged CQE user_data.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "herald/net/socket.hpp"
#include "herald/reactor/header_fifo.hpp"
#include "herald/reactor/tls_endpoint.hpp"
#include "herald/reactor/types.hpp"
#include "herald/tls/session.hpp"

namespace herald::reactor::detail {

// user_data = kind:8 | generation:24 | index:32. A completion whose generation no longer matches its slot
// belongs to a closed connection and is dropped.
enum class op_kind : std::uint8_t { none = 0, accept, recv, send, connect, wake, cancel };
constexpr std::uint32_t generation_mask = 0xffffff;

inline std::uint64_t make_tag(op_kind k, std::uint32_t index, std::uint32_t generation) {
  return (std::uint64_t(k) << 56) | (std::uint64_t(generation & generation_mask) << 32) | index;
}
inline op_kind tag_kind(std::uint64_t t) {
  return op_kind(t >> 56);
}
inline std::uint32_t tag_generation(std::uint64_t t) {
  return std::uint32_t(t >> 32) & generation_mask;
}
inline std::uint32_t tag_index(std::uint64_t t) {
  return std::uint32_t(t);
}

// Ring-buffer FIFO that grows by doubling and never shrinks, so steady-state queuing does not allocate.
template <typename T>
class fifo {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  T& front() { return slots_[head_]; }
  T& operator[](std::size_t i) { return slots_[(head_ + i) & (slots_.size() - 1)]; }
  void push_back(T&& v) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(v);
    ++size_;
  }
  void pop_front() {
    slots_[head_] = T{};
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }

 private:
  void grow() {
    std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

struct queued_frame {
  frame f;
  std::uint64_t header_end = 0;  // header_fifo::end() when queued
  // TLS: the session's ciphertext position just past the record holding this frame's last byte (0 until
  // that record is made). The frame is written once the kernel has taken the ciphertext up to there.
  std::uint64_t cipher_end = 0;
};

// A TLS connection's side of the send path. Frames are encrypted into records only when the previous
// ciphertext has been written, so at most one batch of ciphertext exists beyond the frames themselves.
struct tls_state {
  std::unique_ptr<tls::session> session;
  std::vector<char> sending;         // the ciphertext of the send in flight; stable until its completion
  std::size_t sending_done = 0;      // bytes of it written
  std::uint64_t written = 0;         // ciphertext bytes the kernel has taken since the handshake began
  std::size_t encrypted_frames = 0;  // frames at the queue's front whose every byte is in a record
  std::size_t encrypted_head = 0;    // bytes of the frame after them already in a record
  std::uint64_t handshake_timer = 0;
  bool close_notify_sent = false;
  bool log_peer = false;
  bool failed = false;       // tls_fail ran: counted once, input ignored until the close
  bool ktls_wanted = false;  // the endpoint allows kTLS and it has not been tried yet
  bool ktls = false;         // the kernel seals this connection's records: the plaintext send path applies
  bool ciphertext_pending() const { return sending_done < sending.size() || !session->output().empty(); }
};

enum class conn_state : std::uint8_t { free = 0, connecting, open, closing };

struct connection {
  int fd = -1;
  std::uint32_t generation = 1;
  conn_state state = conn_state::free;
  close_reason reason = close_reason::none;
  bool outbound = false;
  bool recv_armed = false;
  bool send_inflight = false;
  bool connect_inflight = false;
  bool peer_eof = false;
  bool close_when_flushed = false;  // close_after_flush(): close once the queue has been written
  close_reason flush_reason = close_reason::none;
  bool dirty = false;
  bool finalize_queued = false;
  bool handed_out = false;  // on_closed is owed only for connections the upper layer has seen

  fifo<queued_frame> queue;
  std::size_t queued_bytes = 0;
  std::size_t queue_limit = 0;  // 0: shard_config::max_queue_bytes (set_queue_limit overrides)
  std::size_t head_sent = 0;    // bytes of queue.front() already written (partial send resume)
  std::vector<iovec> iov;       // the in-flight sendmsg's iovecs; stable until its completion
  msghdr msg{};
  header_fifo headers;

  std::string input;                 // unconsumed inbound bytes (provided buffers are recycled at once)
  std::unique_ptr<char[]> recv_buf;  // single-shot recv fallback when multishot/buffer rings are missing
  net::sockaddr_buffer peer{};       // IORING_OP_CONNECT reads it asynchronously
  void* user = nullptr;
  std::unique_ptr<tls_state> tls;  // set on TLS connections; handed out once its handshake is done
};

struct listener {
  int fd = -1;
  std::shared_ptr<const tls_endpoint> tls;  // TLS listener: every accepted connection handshakes first
  std::uint32_t generation = 1;
  bool armed = false;
  bool closing = false;
  std::uint64_t retry_timer = 0;
};

}  // namespace herald::reactor::detail
