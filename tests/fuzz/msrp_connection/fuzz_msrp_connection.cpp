// Fuzz target: the whole MSRP connection state machine (bind, chunks, reports, responses) of one shard.
//
// Input layout: byte 0 = flags (see kFlag*), bytes 1-2 = split points, the rest = bytes a participant
// writes on its connection. Session ids are random per run, so the payload names them by token:
// $0..$3 become the To-Path of participant 0..3 (our session URI), $A..$D the From-Path that
// participant binds with. One engine + caller-run shard lives across inputs; each input gets a fresh
// conference and fresh socketpair(s), and after the peer closes, invariants are checked:
// no connection, binding, queued frame or pending delivery survives, and every byte the server wrote
// parses as MSRP, and every well-formed request the server received (up to the first malformed one, as the
// server's own parser frames it) that asks for a response got one (RFC 4975 §7.2: only REPORT and
// Failure-Report no/partial go unanswered; partial still gets errors, so it is not checked).
//
// Campaigns want -detect_leaks=0: the engine's tables grow across inputs, and libFuzzer then runs a
// leak check after almost every input (about 20 ms each).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "herald/conference/engine.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"
#include "herald/msrp/parser.hpp"
#include "herald/reactor/shard.hpp"

using namespace herald;

namespace {

constexpr int kParticipants = 4;
constexpr std::uint8_t kFlagPrefixMask = 0x03;    // 0 none, 1 bind $0, 2 bind $0+$1, 3 bind $0 + open chunk
constexpr std::uint8_t kFlagRespond = 0x04;       // answer every SEND the server writes
constexpr std::uint8_t kFlagRespondError = 0x08;  // ... with 481 instead of 200
constexpr std::uint8_t kFlagSecondConn = 0x10;    // $2 bound first on another connection (506, fan-out)
constexpr std::uint8_t kFlagRespondEarly = 0x20;  // answer between the payload's writes, not only after
constexpr std::size_t kMaxOutput = 1u << 20;      // server bytes kept for validation per connection

void die(const char* what) {
  std::fprintf(stderr, "msrp_connection invariant violated: %s\n", what);
  std::abort();
}

struct world {
  conference::engine eng;
  reactor::shard shard;
  conference::shard_service* svc = nullptr;
  bool ok = false;

  static conference::engine_config engine_cfg() {
    conference::engine_config c;
    c.shards = 1;
    c.advertise = "127.0.0.1:2855";
    c.max_chunk_bytes = 100;  // outgoing fan-out is chunked even for short bodies
    c.message_retention_ns = 0;
    c.max_message_bytes = 4096;     // 413 reachable with small inputs
    c.max_reassembly_bytes = 6144;  // memory cap reachable with two messages in progress
    c.max_sessions_per_connection = 3;
    c.max_queue_bytes = 256 * 1024;
    return c;
  }
  static reactor::shard_config shard_cfg() {
    reactor::shard_config c;
    c.recv_buffer_count = 64;
    c.recv_buffer_bytes = 4096;
    c.max_queue_bytes = 256 * 1024;
    c.max_input_bytes = 4096 + 64 * 1024;  // what engine::start gives a shard for this max message
    c.max_connections = 64;
    return c;
  }

  world() : eng(engine_cfg()), shard(shard_cfg()) {
    int rc = shard.init();
    if (rc < 0) {
      std::fprintf(stderr,
                   "msrp_connection: shard init failed (%d); io_uring unavailable, inputs are skipped\n", rc);
      return;
    }
    svc = eng.attach_caller_shard(shard);
    ok = true;
  }
};

world& the_world() {
  // Leaked on purpose at exit: the shard and engine outlive every input and need no orderly teardown.
  static world* w = [] {
    log::set_level(log::level::off);
    return new world();
  }();
  return *w;
}

std::uint64_t progress(const reactor::shard& s) {
  const auto& st = s.stats();
  return st.cqes + st.tasks_run + st.timers_fired + st.frames_written;
}

struct peer {
  int fd = -1;
  std::string out;         // bytes the server wrote to this peer
  std::string in;          // bytes written to the server, in order (payload and early answers interleaved)
  std::size_t parsed = 0;  // prefix of out already validated
  bool overflow = false;
  bool closed_by_server = false;

  void drain() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        if (out.size() + std::size_t(n) <= kMaxOutput) {
          out.append(buf, std::size_t(n));
        } else {
          overflow = true;
        }
        continue;
      }
      if (n == 0) closed_by_server = true;
      return;
    }
  }
};

// Runs the shard until `want` more bytes were received (or the connection went) and it then goes idle.
void pump(world& w, peer* peers, int npeers, std::uint64_t received_target) {
  int idle = 0;
  for (int i = 0; i < 4000 && idle < 2; ++i) {
    bool waiting = w.shard.stats().bytes_received < received_target && w.shard.open_connections() > 0;
    std::uint64_t before = progress(w.shard);
    w.shard.run_once(waiting ? 1'000'000 : 0);
    for (int p = 0; p < npeers; ++p) peers[p].drain();
    idle = (!waiting && progress(w.shard) == before) ? idle + 1 : 0;
  }
}

// Writes all of bytes (or until the server closes), pumping while the socket buffer is full.
void write_all(world& w, peer* peers, int npeers, peer& to, std::string_view bytes) {
  std::uint64_t target = w.shard.stats().bytes_received + bytes.size();
  while (!bytes.empty()) {
    ssize_t n = ::send(to.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      to.in.append(bytes.data(), std::size_t(n));
      bytes.remove_prefix(std::size_t(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pump(w, peers, npeers, w.shard.stats().bytes_received + 1);
      continue;
    }
    target = 0;  // EPIPE/ECONNRESET: the server closed
    break;
  }
  pump(w, peers, npeers, target);
}

std::string_view first_uri(std::string_view path) {
  return path.substr(0, path.find(' '));
}
std::string_view last_uri(std::string_view path) {
  auto sp = path.rfind(' ');
  return sp == std::string_view::npos ? path : path.substr(sp + 1);
}

// Validates every complete message the server wrote since last time; answers its SENDs when asked.
// Returns the responses to write.
std::string check_output(peer& p, bool respond, int status) {
  std::string answers;
  if (p.overflow) return answers;
  msrp::limits lim;
  lim.max_body_bytes = 1 << 20;
  for (;;) {
    std::string_view rest = std::string_view(p.out).substr(p.parsed);
    if (rest.empty()) break;
    msrp::message m;
    msrp::parse_result r = msrp::parse(rest, m, lim);
    if (r.status == msrp::parse_status::need_more) break;
    if (r.status == msrp::parse_status::error) {
      std::fprintf(stderr, "server wrote unparsable MSRP (%s):\n%.*s\n",
                   std::string(msrp::to_string(r.error)).c_str(),
                   int(std::min<std::size_t>(rest.size(), 2000)), rest.data());
      die("server output does not parse");
    }
    if (respond && m.kind == msrp::message_kind::request && m.method == msrp::request_method::send) {
      answers += "MSRP ";
      answers += m.transaction_id;
      answers += status == 200 ? " 200 OK\r\n" : " 481 No session\r\n";
      answers += "To-Path: ";
      answers += first_uri(m.from_path);
      answers += "\r\nFrom-Path: ";
      answers += last_uri(m.to_path);
      answers += "\r\n-------";
      answers += m.transaction_id;
      answers += "$\r\n";
    }
    p.parsed += r.consumed;
  }
  return answers;
}

// Transaction ids of the requests in `sent` that must be answered, up to the first one that does not
// parse (after which the server's resynchronisation decides what is processed).
void requests_needing_answers(std::string_view sent, std::vector<std::string_view>& tids) {
  msrp::limits lim;
  lim.max_body_bytes =
      world::engine_cfg().max_message_bytes > 64 * 1024 ? world::engine_cfg().max_message_bytes : 64 * 1024;
  while (!sent.empty()) {
    msrp::message m;
    msrp::parse_result r = msrp::parse(sent, m, lim);
    if (r.status != msrp::parse_status::complete) return;
    if (m.kind == msrp::message_kind::request && m.method != msrp::request_method::report &&
        (m.failure_report == msrp::report_mode::unset || m.failure_report == msrp::report_mode::yes))
      tids.push_back(m.transaction_id);
    sent.remove_prefix(r.consumed);
  }
}

bool answered(const peer& p, std::string_view tid) {
  std::string needle = "MSRP ";
  needle += tid;
  needle += ' ';
  for (std::size_t at = p.out.find(needle); at != std::string::npos; at = p.out.find(needle, at + 1)) {
    std::size_t code = at + needle.size();
    if (code + 3 <= p.out.size() && std::isdigit(static_cast<unsigned char>(p.out[code])) &&
        (at == 0 || p.out[at - 1] == '\n'))
      return true;
  }
  return false;
}

int open_peer(world& w, peer& p) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  auto r = w.shard.adopt(sv[0]);
  if (!r.ok()) {
    ::close(sv[1]);
    return -1;
  }
  p.fd = sv[1];
  return 0;
}

std::string peer_path(int i) {
  std::string s = "msrp://peer.example.com:7000/p";
  s += char('a' + i);
  s += ";tcp";
  return s;
}

std::string bind_send(const std::string& to, const std::string& from, const char* tid) {
  std::string s = "MSRP ";
  s += tid;
  s += " SEND\r\nTo-Path: " + to + "\r\nFrom-Path: " + from + "\r\nMessage-ID: bind" + tid + "\r\n-------";
  s += tid;
  s += "$\r\n";
  return s;
}

std::string expand(std::string_view in, const std::string (&session_paths)[kParticipants]) {
  std::string out;
  out.reserve(in.size() + 256);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '$' && i + 1 < in.size()) {
      char c = in[i + 1];
      if (c >= '0' && c < '0' + kParticipants) {
        out += session_paths[c - '0'];
        ++i;
        continue;
      }
      if (c >= 'A' && c < 'A' + kParticipants) {
        out += peer_path(c - 'A');
        ++i;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  world& w = the_world();
  if (!w.ok || size < 3) return 0;
  const std::uint8_t flags = data[0];
  std::string_view payload(reinterpret_cast<const char*>(data) + 3, size - 3);

  // A fresh conference per input: the directory, sessions and deliveries start empty.
  conference::conference_info conf;
  if (w.eng.dir().create_conference("sip:conf@example.com", "Fuzz Conf", conf) !=
      conference::directory_error::ok)
    die("create_conference");
  static const char* const kAddresses[kParticipants] = {"sip:alice@example.com", "sip:bob@example.com",
                                                        "sip:carol@example.com", "sip:dave@example.com"};
  static const char* const kNames[kParticipants] = {"Alice", "Bob \"B\" \\o/", "", "Dave"};
  std::string session_paths[kParticipants];
  for (int i = 0; i < kParticipants; ++i) {
    conference::participant p;
    if (w.eng.dir().add_participant(conf.id, kAddresses[i], kNames[i], p) != conference::directory_error::ok)
      die("add_participant");
    session_paths[i] = w.eng.session_path(p.session_id);
  }

  peer peers[2];
  int npeers = 0;
  if (flags & kFlagSecondConn) {
    if (open_peer(w, peers[1]) == 0) {
      npeers = 2;
      write_all(w, peers, npeers, peers[1], bind_send(session_paths[2], peer_path(2), "other001"));
    }
  }
  if (open_peer(w, peers[0]) != 0) die("socketpair/adopt");
  if (npeers == 0) npeers = 1;
  // Keep peers[0] first: when the second connection exists it lives at index 1.

  std::string prefix;
  switch (flags & kFlagPrefixMask) {
    case 1:
      prefix = bind_send(session_paths[0], peer_path(0), "bind0001");
      break;
    case 2:
      prefix = bind_send(session_paths[0], peer_path(0), "bind0001") +
               bind_send(session_paths[1], peer_path(1), "bind0002");
      break;
    case 3:
      prefix = bind_send(session_paths[0], peer_path(0), "bind0001") +
               "MSRP chunk001 SEND\r\nTo-Path: " + session_paths[0] + "\r\nFrom-Path: " + peer_path(0) +
               "\r\nMessage-ID: chunked1\r\nByte-Range: 1-5/*\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
               "-------chunk001+\r\n";
      break;
    default:
      break;
  }
  std::string bytes = prefix + expand(payload, session_paths);

  const bool respond = flags & kFlagRespond;
  const int status = (flags & kFlagRespondError) ? 481 : 200;
  auto answer_all = [&] {
    for (int round = 0; round < 4; ++round) {
      bool any = false;
      for (int p = 0; p < npeers; ++p) {
        std::string answers = check_output(peers[p], respond, status);
        if (!answers.empty()) {
          any = true;
          write_all(w, peers, npeers, peers[p], answers);
        }
      }
      if (!any) break;
    }
  };

  // Up to three writes at data-derived points, so messages straddle recv boundaries.
  std::size_t cut1 = bytes.empty() ? 0 : data[1] * bytes.size() / 256;
  std::size_t cut2 = cut1 + (bytes.size() - cut1) * data[2] / 256;
  std::string_view all(bytes);
  write_all(w, peers, npeers, peers[0], all.substr(0, cut1));
  if (flags & kFlagRespondEarly) answer_all();
  write_all(w, peers, npeers, peers[0], all.substr(cut1, cut2 - cut1));
  if (flags & kFlagRespondEarly) answer_all();
  write_all(w, peers, npeers, peers[0], all.substr(cut2));
  answer_all();

  // HERALD_FUZZ_DUMP=1 shows the server's side of the conversation when writing corpus inputs.
  static const bool dump = std::getenv("HERALD_FUZZ_DUMP") != nullptr;
  if (dump) {
    std::fprintf(stderr, "--- sent\n%s\n", bytes.c_str());
    for (int p = 0; p < npeers; ++p)
      std::fprintf(stderr, "--- server wrote to peer %d\n%s\n", p, peers[p].out.c_str());
  }

  if (!peers[0].overflow && !peers[0].closed_by_server) {
    // Judged on the stream the server received: answers written early may have landed inside a
    // request the payload had only half written, which makes that request malformed on the wire.
    std::vector<std::string_view> tids;
    requests_needing_answers(peers[0].in, tids);
    for (std::string_view tid : tids)
      if (!answered(peers[0], tid)) {
        std::fprintf(stderr, "no response to transaction %.*s\n", int(tid.size()), tid.data());
        die("a request that asks for a response got none");
      }
  }

  // The participant goes away; the server must forget everything about the connection.
  for (int p = 0; p < npeers; ++p) ::close(peers[p].fd);
  for (int i = 0; i < 200 && w.shard.open_connections() > 0; ++i) w.shard.run_once(1'000'000);
  pump(w, peers, 0, 0);
  if (w.shard.open_connections() != 0) die("connection still open after the peer closed");
  if (w.svc->frames_outstanding() != 0) die("frames outstanding after every connection closed");
  if (w.eng.dir().bound_count() != 0) die("session still bound after its connection closed");
  if (w.eng.tracker().pending_total() != 0) die("delivery still pending after every connection closed");

  if (w.eng.delete_conference(conf.id) != conference::directory_error::ok) die("delete_conference");
  pump(w, peers, 0, 0);
  if (w.eng.dir().bound_count() != 0) die("binding left after the conference was deleted");
  if (w.eng.tracker().pending_total() != 0) die("delivery still pending after the conference was deleted");
  w.eng.tracker().expire(monotonic_ns());
  if (w.eng.dir().conference_count() != 0 || w.eng.tracker().size() != 0) die("state left after reset");
  return 0;
}
