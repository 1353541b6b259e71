// Test-side MSRP peer implementation.
#include "herald/client/msrp_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "herald/msrp/encoder.hpp"

namespace herald::client {

std::uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1000 + std::uint64_t(ts.tv_nsec) / 1000000;
}

msrp_peer::~msrp_peer() {
  close();
}

int msrp_peer::connect(std::uint16_t port, int rcvbuf, const char* ipv4) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, ipv4, &addr.sin_addr) != 1) return -EINVAL;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return -errno;
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    int err = errno;
    close();
    return -err;
  }
  return 0;
}

int msrp_peer::connect_tls(std::uint16_t port, const tls::context& ctx, int rcvbuf, int timeout_ms) {
  if (int rc = connect(port, rcvbuf); rc < 0) return rc;
  tls_ = std::make_unique<tls::session>(ctx, tls::session::role::client);
  const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  char buf[16 * 1024];  // what was fed must outlive the handshake() call that reads it
  for (;;) {
    const tls::status st = tls_->handshake();
    if (!tls_->output().empty()) {
      std::vector<char> out;
      out.swap(tls_->output());
      write_socket(std::string_view(out.data(), out.size()));
    }
    if (st == tls::status::ok) {
      // What came with the last handshake flight (TLS 1.3 tickets, early MSRP) is read while it exists.
      if (tls_->input_left() && !take_tls_input({})) return -EPROTO;
      return 0;
    }
    if (st == tls::status::failed || st == tls::status::closed) {
      tls_failure_ = tls_->last_failure();
      tls_failure_detail_ = tls_->failure_detail();
      close();
      return -EPROTO;
    }
    const std::uint64_t now = now_ms();
    if (now >= deadline) {
      tls_failure_ = tls::failure::handshake_timeout;
      close();
      return -ETIMEDOUT;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline - now)) <= 0) continue;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) {
      tls_failure_ = tls::failure::handshake_eof;
      close();
      return -ECONNRESET;
    }
    if (n > 0) tls_->feed(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

void msrp_peer::send_ciphertext(std::string_view bytes) {
  write_socket(bytes);
}

bool msrp_peer::take_tls_input(std::string_view ciphertext) {
  if (!ciphertext.empty()) tls_->feed(ciphertext);
  char plain[16 * 1024];
  bool alive = true;
  for (;;) {
    std::size_t n = 0;
    const tls::status st = tls_->read(plain, sizeof plain, n);
    if (st == tls::status::ok) {
      in_.append(plain, n);
      continue;
    }
    if (st == tls::status::failed) {
      tls_failure_ = tls_->last_failure();
      tls_failure_detail_ = tls_->failure_detail();
      alive = false;
    } else if (st == tls::status::closed) {
      alive = false;
    }
    break;
  }
  if (!tls_->output().empty()) {
    std::vector<char> out;
    out.swap(tls_->output());
    write_socket(std::string_view(out.data(), out.size()));
  }
  return alive;
}

void msrp_peer::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  tls_.reset();
}

void msrp_peer::reset() {
  if (fd_ < 0) return;
  linger lg{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close();
}

std::string msrp_peer::own_path(std::string_view herald_path) const {
  // One own URI per Herald session: derived from the Herald session id so it is stable.
  auto slash = herald_path.rfind('/');
  auto semi = herald_path.rfind(';');
  std::string_view sid = herald_path.substr(slash + 1, semi - slash - 1);
  return std::string(tls_ ? "msrps" : "msrp") + "://127.0.0.1:9/" + tag + "-" + std::string(sid) + ";tcp";
}

void msrp_peer::write_all(std::string_view bytes) {
  if (tls_) {
    if (!tls_->write(bytes)) return;
    std::vector<char> out;
    out.swap(tls_->output());
    write_socket(std::string_view(out.data(), out.size()));
    return;
  }
  write_socket(bytes);
}

void msrp_peer::write_socket(std::string_view bytes) {
  while (!bytes.empty() && fd_ >= 0) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pump_once(10);
        continue;
      }
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void msrp_peer::send_raw(std::string_view bytes) {
  write_all(bytes);
}

std::string msrp_peer::bind_request(std::string_view herald_path, std::string_view from_path,
                                    std::string& tid) {
  tid = "b" + tag + std::to_string(next_tid_++);
  return "MSRP " + tid + " SEND\r\nTo-Path: " + std::string(herald_path) +
         "\r\nFrom-Path: " + std::string(from_path) + "\r\nMessage-ID: bind" + std::to_string(next_tid_) +
         "\r\nByte-Range: 1-0/0\r\n-------" + tid + "$\r\n";
}

int msrp_peer::bind_from(std::string_view herald_path, std::string_view from_path, int timeout_ms) {
  std::string tid;
  write_all(bind_request(herald_path, from_path, tid));
  int status = 0;
  pump_until(
      [&] {
        for (auto r = responses.begin(); r != responses.end(); ++r)
          if (r->transaction_id == tid) {
            status = r->status;
            responses.erase(r);
            return true;
          }
        return false;
      },
      timeout_ms);
  return status;
}

std::vector<int> msrp_peer::bind(const std::vector<std::string>& herald_paths, int timeout_ms) {
  std::vector<std::string> tids;
  std::string batch;
  for (const auto& path : herald_paths) {
    batch += bind_request(path, own_path(path), tids.emplace_back());
    if (batch.size() > 64 * 1024) {
      write_all(batch);
      batch.clear();
      pump_once(0);
    }
  }
  write_all(batch);
  std::map<std::string, int> got;
  pump_until(
      [&] {
        for (; !responses.empty(); responses.erase(responses.begin())) {
          got[responses.front().transaction_id] = responses.front().status;
        }
        return got.size() >= tids.size();
      },
      timeout_ms);
  std::vector<int> statuses;
  for (const auto& tid : tids) statuses.push_back(got.count(tid) ? got[tid] : 0);
  return statuses;
}

std::string msrp_peer::send(std::string_view herald_path, std::string_view content_type,
                            std::string_view body, std::string_view extra_headers,
                            std::string_view message_id, std::string_view byte_range, char flag) {
  std::string tid = "s" + tag + std::to_string(next_tid_++);
  std::string mid = message_id.empty() ? "m" + tag + std::to_string(next_tid_) : std::string(message_id);
  std::string range = byte_range.empty()
                          ? "1-" + std::to_string(body.size()) + "/" + std::to_string(body.size())
                          : std::string(byte_range);
  std::string out = "MSRP " + tid + " SEND\r\nTo-Path: " + std::string(herald_path) +
                    "\r\nFrom-Path: " + own_path(herald_path) + "\r\nMessage-ID: " + mid +
                    "\r\nByte-Range: " + range + "\r\n" + std::string(extra_headers) +
                    "Content-Type: " + std::string(content_type) + "\r\n\r\n" + std::string(body) +
                    "\r\n-------" + tid + flag + "\r\n";
  write_all(out);
  return tid;
}

bool msrp_peer::pump_once(int timeout_ms) {
  if (fd_ < 0) return false;
  if (!policy.read) {
    // A consumer that stopped reading: just wait.
    ::poll(nullptr, 0, timeout_ms);
    return true;
  }
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, timeout_ms);
  if (rc <= 0) return rc == 0;
  char buf[64 * 1024];
  ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
  if (n == 0) {
    eof = true;
    close();
    return false;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return true;
    eof = true;
    close();
    return false;
  }
  if (tls_) {
    if (!take_tls_input(std::string_view(buf, static_cast<std::size_t>(n)))) {
      eof = true;
      close();
    }
  } else {
    in_.append(buf, static_cast<std::size_t>(n));
  }
  std::size_t off = 0;
  msrp::limits lim;
  lim.max_body_bytes = 16 << 20;
  while (off < in_.size()) {
    msrp::message m;
    msrp::parse_result r = msrp::parse(std::string_view(in_).substr(off), m, lim);
    if (r.status == msrp::parse_status::need_more) break;
    if (r.status == msrp::parse_status::error) {
      // The server sent something we cannot parse: a test failure; surface it as EOF.
      eof = true;
      close();
      return false;
    }
    handle(m);
    off += r.consumed;
  }
  in_.erase(0, off);
  return true;
}

void msrp_peer::handle(const msrp::message& m) {
  if (m.kind == msrp::message_kind::response) {
    responses.push_back({std::string(m.transaction_id), m.status_code});
    return;
  }
  if (m.method == msrp::request_method::report) {
    received_report r;
    r.transaction_id = std::string(m.transaction_id);
    r.message_id = std::string(m.message_id);
    if (m.status) r.status = std::to_string(m.status->code);
    reports.push_back(std::move(r));
    return;
  }
  received_send s;
  s.transaction_id = std::string(m.transaction_id);
  s.to_path = std::string(m.to_path);
  s.from_path = std::string(m.from_path);
  s.message_id = std::string(m.message_id);
  s.content_type = std::string(m.content_type);
  if (m.byte_range) {
    char br[msrp::max_byte_range_chars];
    s.byte_range.assign(br, msrp::format_byte_range(br, *m.byte_range));
  }
  s.body = std::string(m.body);
  s.flag = static_cast<char>(m.flag);
  s.success_report = std::string(msrp::to_string(m.success_report));
  s.failure_report = std::string(msrp::to_string(m.failure_report));
  bool answer = policy.respond_with != 0 && m.failure_report != msrp::report_mode::no &&
                !(m.failure_report == msrp::report_mode::partial && policy.respond_with == 200);
  std::string to = std::string(m.from_path.substr(0, m.from_path.find(' ')));
  std::string from = std::string(m.to_path.substr(0, m.to_path.find(' ')));
  std::string tid = s.transaction_id;
  std::string message_id = s.message_id;
  sends.push_back(std::move(s));
  if (answer) {
    char out[1024];
    auto r = msrp::encode_response(out, tid, policy.respond_with, msrp::status_comment(policy.respond_with),
                                   to, from);
    if (r.ok()) write_all(std::string_view(out, r.value()));
  }
  if (policy.report_with != 0 && m.success_report == msrp::report_mode::yes &&
      m.flag == msrp::continuation::complete && m.byte_range && !m.byte_range->total_unknown) {
    write_all(report_for(to, from, message_id, m.byte_range->total, policy.report_with,
                         "r" + tag + std::to_string(next_tid_++)));
  }
}

std::string report_for(std::string_view to_path, std::string_view from_path, std::string_view message_id,
                       std::uint64_t total, int status, std::string_view tid) {
  const std::string n = std::to_string(total);
  return "MSRP " + std::string(tid) + " REPORT\r\nTo-Path: " + std::string(to_path) +
         "\r\nFrom-Path: " + std::string(from_path) + "\r\nMessage-ID: " + std::string(message_id) +
         "\r\nByte-Range: 1-" + n + "/" + n + "\r\nStatus: 000 " + std::to_string(status) + " " +
         std::string(msrp::status_comment(status)) + "\r\n-------" + std::string(tid) + "$\r\n";
}

}  // namespace herald::client
