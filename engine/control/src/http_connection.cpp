// HTTP/1.1 connection state machine: re-parses a head only when its bytes grow, compacts lazily.
#include "herald/control/http_connection.hpp"

namespace herald::control {

void http_connection::feed(std::string_view bytes, std::uint64_t now_ns) {
  if (bytes.empty() || closing_ || error_ != http_error::ok) return;
  if (consumed_ != 0) {
    start_ += consumed_;
    consumed_ = 0;
  }
  // Compacting only when the dead prefix dominates keeps pipelined bursts linear.
  if (start_ != 0 && start_ >= in_.size() - start_) {
    in_.erase(0, start_);
    start_ = 0;
    // A 16 MiB body should not pin 16 MiB per idle keep-alive connection.
    if (in_.empty() && in_.capacity() > 1024 * 1024) std::string().swap(in_);
  }
  last_feed_at_ = now_ns;
  if (head_len_ == 0 && !in_head_) {
    in_head_ = true;
    head_started_at_ = now_ns;
  }
  in_.append(bytes);
}

http_error http_connection::next(request& out) {
  if (error_ != http_error::ok) return error_;
  if (closing_) return http_error::need_more;
  if (consumed_ != 0) {
    start_ += consumed_;
    consumed_ = 0;
    // Pipelined bytes already here begin the next head; they arrived no later than the last feed.
    if (in_.size() > start_) {
      in_head_ = true;
      head_started_at_ = last_feed_at_;
    }
  }
  std::string_view buf(in_.data() + start_, in_.size() - start_);
  if (buf.empty()) return http_error::need_more;

  auto parsed = parse_request(buf, out, lim_, head_len_ == 0 ? scanned_ : 0);
  if (parsed.error() == http_error::need_more) {
    scanned_ = buf.size();
    return http_error::need_more;
  }
  if (!parsed.ok()) {
    error_ = parsed.error();
    return error_;
  }
  if (head_len_ == 0) {
    head_len_ = parsed.value();
    body_len_ = out.content_length;
    in_head_ = false;
    continue_pending_ = out.expect_continue;
  }
  if (buf.size() - head_len_ < body_len_) {
    if (buf.size() > head_len_) continue_pending_ = false;  // the client did not wait for 100
    return http_error::need_more;
  }
  out.body = buf.substr(head_len_, body_len_);
  consumed_ = head_len_ + body_len_;
  head_len_ = body_len_ = scanned_ = 0;
  continue_pending_ = continue_sent_ = false;
  if (!out.keep_alive) closing_ = true;
  return http_error::ok;
}

std::string_view http_connection::take_interim_response() {
  if (!continue_pending_ || continue_sent_ || head_len_ == 0) return {};
  continue_sent_ = true;
  continue_pending_ = false;
  return "HTTP/1.1 100 Continue\r\n\r\n";
}

http_error http_connection::on_tick(std::uint64_t now_ns) {
  if (error_ != http_error::ok) return error_;
  // The whole request, head and body, must arrive within the limit from its first byte: a body that
  // trickles in would otherwise hold the connection (and up to max_body_bytes of buffer) forever.
  const bool incomplete = in_head_ || head_len_ != 0;
  if (incomplete && now_ns > head_started_at_ && now_ns - head_started_at_ > lim_.head_timeout_ns) {
    error_ = http_error::request_timeout;
    return error_;
  }
  return http_error::ok;
}

}  // namespace herald::control
