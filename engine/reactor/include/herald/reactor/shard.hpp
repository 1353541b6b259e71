// A shard: one thread's io_uring loop owning its listeners, connections, header pool, timers and mailbox.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/core/result.hpp"
#include "herald/net/buffer_ring.hpp"
#include "herald/net/ring.hpp"
#include "herald/reactor/header_fifo.hpp"
#include "herald/reactor/mailbox.hpp"
#include "herald/reactor/task.hpp"
#include "herald/reactor/timers.hpp"
#include "herald/reactor/tls_endpoint.hpp"
#include "herald/reactor/types.hpp"

namespace herald::reactor {

struct shard_config {
  std::uint16_t id = 0;
  net::ring_options ring{};
  std::uint32_t recv_buffer_count = 1024;  // power of two; provided-buffer ring size
  std::uint32_t recv_buffer_bytes = 16 * 1024;
  std::size_t max_queue_bytes = 8u << 20;  // per connection; beyond it the peer is a slow consumer
  std::size_t max_input_bytes = 4u << 20;  // unconsumed inbound bytes kept per connection
  std::uint32_t max_connections = 16384;
  std::size_t header_chunk_bytes = 16 * 1024;
  std::uint64_t accept_retry_ns = 100'000'000;  // after EMFILE/ENFILE
  int so_sndbuf = 0;                            // SO_SNDBUF for every connection; 0 keeps kernel autotuning
};

namespace detail {
struct connection;
struct listener;
}  // namespace detail

class shard {
 public:
  explicit shard(const shard_config& cfg, connection_handler* handler = nullptr);
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;
  ~shard();

  void set_handler(connection_handler* h) { handler_ = h; }
  // Creates the ring and buffer ring; must run on the thread that will run the loop. 0 or -errno.
  int init();
  // Loops until stop(): then stops accepting, closes every connection (shard_stopping), runs queued
  // tasks and returns 0.
  int run();
  // One loop iteration waiting at most max_wait_ns for a completion; for tests driving the loop.
  void run_once(std::uint64_t max_wait_ns);
  // Any thread.
  void stop();
  bool stopped() const { return exited_.load(std::memory_order_acquire); }

  // Any thread: runs t on this shard's thread (after init).
  void post(task t) { mailbox_.post(std::move(t)); }

  // --- Below: shard thread only. ---

  // Runs t on the next loop iteration, after that iteration's completions have been handled. Long work
  // (stamping a 10^6-recipient fan-out) goes in slices this way, so sends complete, responses settle and
  // timers fire between slices instead of waiting for the whole of it.
  void defer(task t) { deferred_.push_back(std::move(t)); }

  // Opens an SO_REUSEPORT listener on this shard and arms accept; bound port or -errno. With tls, every
  // accepted connection handshakes first and reaches the handler (on_open) only once that succeeded.
  int listen(std::string_view host, std::uint16_t port, int backlog = 1024,
             std::shared_ptr<const tls_endpoint> tls = {});
  // Takes ownership of a listening fd; 0 or -errno.
  int add_listener(int fd, std::shared_ptr<const tls_endpoint> tls = {});
  // Stops accepting: every listener closes (an armed accept is cancelled first); open connections stay.
  // Draining uses it so new peers are refused while deliveries in flight finish.
  void close_listeners();

  // Outgoing connection via IORING_OP_CONNECT; on_open or on_closed(connect_failed) follows.
  result<connection_ref, open_error> connect(std::string_view host, std::uint16_t port);
  // Takes an already-connected socket; on_open runs before this returns. With tls, the socket is the
  // server side of a TLS handshake and on_open runs once that succeeded.
  result<connection_ref, open_error> adopt(int fd, std::shared_ptr<const tls_endpoint> tls = {});

  // Header space for the next frame queued on c, valid until that frame is written or failed. Allocate,
  // stamp, then send() a frame pointing at it. nullptr if c is stale or n > header_chunk_bytes.
  char* header_alloc(connection_ref c, std::size_t n);
  // Queues f; written with other queued frames in one sendmsg when the loop flushes. On error f is untouched.
  send_error send(connection_ref c, frame&& f);
  // Submits the queued frames of every connection written to since the last flush now (one sendmsg
  // each), rather than when the loop iteration ends. A large fan-out calls it as it goes, so the kernel
  // copies each connection's headers while they are still in cache instead of after megabytes of others.
  void submit_sends();
  // Stops I/O on c; on_closed follows once the kernel has let go of its buffers. False if stale/already
  // closing.
  bool close(connection_ref c, close_reason why = close_reason::local);
  // Closes c once every frame queued so far has been written (a final response, then close).
  bool close_after_flush(connection_ref c, close_reason why = close_reason::local);
  bool is_open(connection_ref c) const;
  std::size_t queued_bytes(connection_ref c) const;
  // Whether c is a TLS connection, and its protocol, cipher and peer certificate ("" if not TLS).
  bool is_tls(connection_ref c) const;
  std::string tls_description(connection_ref c) const;
  // Overrides max_queue_bytes for one connection (a relay carrying many sessions needs more room than
  // one participant); 0 restores the shard default. False if c is stale.
  bool set_queue_limit(connection_ref c, std::size_t bytes);
  // One pointer of upper-layer context per connection (session), so no map lookup per event.
  void set_user(connection_ref c, void* user);
  void* user(connection_ref c) const;

  timer_id add_timer(std::uint64_t deadline_ns, task callback) {
    return timers_.add(deadline_ns, std::move(callback));
  }
  bool cancel_timer(timer_id id) { return timers_.cancel(id); }

  std::uint16_t id() const { return cfg_.id; }
  const shard_config& config() const { return cfg_; }
  const net::features& features() const { return ring_.feats(); }
  const loop_stats& stats() const { return stats_; }
  std::size_t open_connections() const { return live_connections_; }
  const header_pool& headers() const { return header_pool_; }
  // The shard whose loop is running on this thread, or nullptr.
  static shard* current();

 private:
  friend struct shard_access;
  detail::connection* lookup(connection_ref c) const;
  connection_ref ref_of(std::uint32_t index) const;
  std::uint32_t alloc_slot();
  void arm_accept(std::uint32_t listener_index);
  void arm_recv(std::uint32_t index);
  void arm_wake();
  void on_cqe(std::uint64_t user_data, int res, std::uint32_t flags);
  void on_accept(std::uint32_t li, int res, std::uint32_t flags);
  void on_recv(std::uint32_t index, int res, std::uint32_t flags);
  void on_send(std::uint32_t index, int res);
  void on_connect(std::uint32_t index, int res);
  // Gives received bytes to the handler (on_data), keeping what it leaves unconsumed.
  void hand_to_handler(detail::connection& c, std::uint32_t index, std::string_view bytes);
  std::uint32_t open_connection(int fd);  // UINT32_MAX if the table is full (fd closed)
  void hand_out(std::uint32_t index);
  void apply_socket_options(int fd);
  void begin_close(std::uint32_t index, close_reason why);
  void queue_finalize(std::uint32_t index);
  void mark_dirty(std::uint32_t index);
  void finalize(std::uint32_t index);
  void flush_sends();
  void submit_send(detail::connection& c, std::uint32_t index);
  // The one sendmsg in flight for c.iov (plaintext frames or a TLS batch's ciphertext).
  void submit_iov(detail::connection& c, std::uint32_t index);
  void complete_bytes(detail::connection& c, std::uint32_t index, std::size_t n);
  void after_batch();
  // TLS (shard_tls.cpp).
  void start_tls(std::uint32_t index, const tls_endpoint& endpoint);
  void tls_receive(detail::connection& c, std::uint32_t index, std::string_view ciphertext);
  bool tls_encrypt(detail::connection& c);  // false if a record could not be sealed
  void submit_tls_send(detail::connection& c, std::uint32_t index);
  void tls_complete(detail::connection& c, std::uint32_t index, std::size_t n);
  void tls_fail(std::uint32_t index, tls::failure why, std::string_view detail);
  void on_handshake_timeout(std::uint32_t index, std::uint32_t generation);
  bool output_pending(const detail::connection& c) const;
  // close_after_flush and a peer's FIN on a TLS connection: close_notify first; true if it was queued now.
  bool tls_close_notify(detail::connection& c, std::uint32_t index);
  void begin_stop();
  bool quiescent() const;

  shard_config cfg_;
  connection_handler* handler_;
  net::ring ring_;
  net::buffer_ring bufs_;
  mailbox mailbox_;
  timer_heap timers_;
  header_pool header_pool_;
  std::vector<std::unique_ptr<detail::connection>> conns_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::unique_ptr<detail::listener>> listeners_;
  std::vector<task> deferred_;
  std::vector<task> running_deferred_;
  std::vector<std::uint32_t> dirty_;     // connections with frames to flush this iteration
  std::vector<std::uint32_t> rearm_;     // recv to re-arm after the batch (ENOBUFS)
  std::vector<std::uint32_t> finalize_;  // closing connections to check at a safe point
  std::vector<std::uint64_t> written_tokens_;
  std::vector<std::uint64_t> failed_tokens_;
  std::size_t live_connections_ = 0;
  std::uint64_t wake_buf_ = 0;
  loop_stats stats_{};
  std::atomic<bool> stop_requested_{false};
  bool stopping_ = false;
  std::atomic<bool> exited_{false};
  bool logged_fd_exhausted_ = false;
  bool multishot_recv_ = false;
  std::unique_ptr<char[]> tls_scratch_;  // one record being built (tls_encrypt)
  // One decrypted read, handed to the handler; apart from tls_scratch_ because a handler may flush sends
  // (a fan-out calls submit_sends) while it still reads these bytes.
  std::unique_ptr<char[]> tls_plaintext_;
  // Ciphertext batch buffers of connections gone idle, reused by the next that sends: an idle TLS
  // connection keeps none, and a busy one does not allocate per batch.
  std::vector<std::vector<char>> tls_spare_;
  std::uint64_t tls_failures_logged_ns_ = 0;
  std::uint32_t tls_failures_logged_ =
      0;  // multishot recv into bufs_, else single-shot into a per-connection buffer
};

}  // namespace herald::reactor
