// One control-API connection's HTTP/1.1 state: bytes in, complete requests out, pipelining and keep-alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/control/http_request.hpp"

namespace herald::control {

// Never blocks and never does I/O: the reactor feeds what it read and writes what the caller answers.
class http_connection {
 public:
  explicit http_connection(const limits& lim = {}) : lim_(lim) {}

  // Appends bytes read from the socket; now_ns (monotonic) stamps the start of a new request head.
  // Invalidates views from earlier next() results.
  void feed(std::string_view bytes, std::uint64_t now_ns = 0);

  // ok: out holds the next complete request (head and body), views valid until the next feed()/next().
  // need_more: wait for bytes. Any other value: answer with write_error_response() and close; the
  // connection stays in that error. After a request with keep_alive == false, next() reports need_more
  // and closing() is true: the caller answers it and closes.
  http_error next(request& out);

  // Non-empty once per request whose head carried "Expect: 100-continue" while its body is incomplete
  // (RFC 9110 §10.1.1): the caller writes it so the client sends the body.
  std::string_view take_interim_response();

  // Monotonic time the current incomplete head began, 0 when idle between requests or mid-body.
  std::uint64_t head_started_at() const { return in_head_ ? head_started_at_ : 0; }

  // Called by the reactor's timer: request_timeout when a request (its head, then its body) has been
  // arriving for longer than limits::head_timeout_ns (slowloris); the caller answers 408 and closes.
  http_error on_tick(std::uint64_t now_ns);

  // After next() returned need_more: true when that request's head is complete and its body is still
  // arriving; next()'s out then holds the head (the body view is empty).
  bool awaiting_body() const { return head_len_ != 0 && error_ == http_error::ok; }

  bool closing() const { return closing_; }
  http_error error() const { return error_; }
  // Bytes received but not yet returned as part of a request.
  std::size_t buffered() const { return in_.size() - start_; }

 private:
  limits lim_;
  std::string in_;
  std::size_t start_ = 0;     // first byte of the current request in in_
  std::size_t consumed_ = 0;  // bytes of the request last returned, dropped on the next call
  std::size_t scanned_ = 0;   // last_len for parse_request
  std::size_t head_len_ = 0;  // non-zero once the current head parsed
  std::size_t body_len_ = 0;
  std::uint64_t head_started_at_ = 0;
  std::uint64_t last_feed_at_ = 0;
  bool in_head_ = false;  // bytes of a head arrived, its blank line not yet
  bool continue_pending_ = false;
  bool continue_sent_ = false;
  bool closing_ = false;
  http_error error_ = http_error::ok;
};

}  // namespace herald::control
