// The worker's loop and its delivery checks (see worker.hpp).
#include "worker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstring>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "herald/core/clock.hpp"
#include "herald/cpim/external_body.hpp"
#include "herald/cpim/parser.hpp"
#include "herald/msrp/encoder.hpp"
#include "herald/msrp/parser.hpp"
#include "herald/msrp/uri.hpp"
#include "herald/reactor/shard.hpp"
#include "membership.hpp"

namespace herald::load {

namespace {

// Single-writer counter in shared memory: a plain load+store, no locked instruction per delivery.
void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct connection_state {
  reactor::connection_ref ref;
  msrp::parser parser;
  // Chunked deliveries (bodies above heraldd's --max-chunk) being reassembled, by To-Path + Message-ID.
  std::unordered_map<std::string, std::string> partial;
  explicit connection_state(const msrp::limits& lim) : parser(lim) {}
};

class worker final : public reactor::connection_handler {
 public:
  worker(const worker_config& cfg, const plan& p, const std::vector<std::string>& paths,
         shared_region& shared)
      : cfg_(cfg),
        plan_(p),
        paths_(paths),
        shared_(shared),
        me_(shared.workers[cfg.index]),
        results_(shared.results_of(cfg.index)),
        shard_(make_config(cfg), this) {
    limits_.max_body_bytes = 16u << 20;
    local_count_ = p.participants / cfg.procs + (cfg.index < p.participants % cfg.procs ? 1 : 0);
    local_capacity_ = p.capacity() / cfg.procs + (cfg.index < p.capacity() % cfg.procs ? 1 : 0);
    bits_.resize(p.count);
    expected_sum_.assign(p.count, 0);
  }

  int run();

  void on_open(reactor::shard& s, reactor::connection_ref c) override {
    auto cs = std::make_unique<connection_state>(limits_);
    cs->ref = c;
    s.set_user(c, cs.get());
    states_.push_back(std::move(cs));
  }
  std::size_t on_data(reactor::shard& s, reactor::connection_ref c, std::string_view bytes) override;
  void on_frames_written(reactor::shard&, reactor::connection_ref, std::span<const std::uint64_t>) override {}
  void on_closed(reactor::shard&, reactor::connection_ref, reactor::close_reason why,
                 std::span<const std::uint64_t>) override {
    if (stopping_) return;
    bump(me_.connections_lost);
    // One example is enough: a slow-consumer cut usually takes every connection at once.
    if (me_.connections_lost.load(std::memory_order_relaxed) == 1)
      example("MSRP connection closed by heraldd or the kernel: %s", reactor::to_string(why));
  }

 private:
  static reactor::shard_config make_config(const worker_config& cfg) {
    reactor::shard_config sc;
    sc.max_connections = static_cast<std::uint32_t>(cfg.connections + 16);
    sc.max_queue_bytes = 64u << 20;  // the bind burst is queued at once
    sc.max_input_bytes = 32u << 20;
    return sc;
  }
  void example(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  bool connect_all();
  void queue_binds();
  void queue_bind(std::uint64_t participant);
  void queue_joiner_binds();
  void send_chat(std::uint64_t seq);
  void respond(connection_state& cs, const msrp::message& m);
  void handle_response(const msrp::message& m);
  // A SEND from heraldd reached this participant: checked, counted, answered.
  void on_send_received(connection_state& cs, const msrp::message& m, std::uint64_t now);
  void check(std::uint64_t participant, std::string_view cpim_bytes, std::uint64_t now);
  void mismatch(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void finish();
  void finish_churn();
  void wait_for_check();
  std::uint64_t t0() const { return shared_.control->t0_ns.load(std::memory_order_acquire); }
  bool stop_requested() const { return shared_.control->stop.load(std::memory_order_acquire) != 0; }

  worker_config cfg_;
  const plan& plan_;
  const std::vector<std::string>& paths_;
  shared_region& shared_;
  worker_block& me_;
  message_result* results_;
  msrp::limits limits_;
  reactor::shard shard_;
  std::vector<std::unique_ptr<connection_state>> states_;
  std::vector<reactor::connection_ref> conns_;
  std::uint64_t local_count_ = 0;                 // participants registered before the run that live here
  std::uint64_t local_capacity_ = 0;              // with joiners (--churn)
  std::uint64_t next_joiner_ = 0;                 // joiners [0, next_joiner_) have been looked at
  std::vector<std::vector<std::uint64_t>> bits_;  // per message: which local participants got it
  std::vector<std::uint64_t> expected_sum_;       // per message: FNV-1a of its body, 0 until first needed
  bool stopping_ = false;
};

void worker::example(const char* fmt, ...) {
  std::uint32_t k = me_.example_count.load(std::memory_order_relaxed);
  if (k >= worker_block::max_examples) return;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(me_.examples[k], sizeof me_.examples[k], fmt, ap);
  va_end(ap);
  me_.example_count.store(k + 1, std::memory_order_release);
}

void worker::mismatch(const char* fmt, ...) {
  bump(me_.mismatches);
  std::uint32_t k = me_.example_count.load(std::memory_order_relaxed);
  if (k >= worker_block::max_examples) return;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(me_.examples[k], sizeof me_.examples[k], fmt, ap);
  va_end(ap);
  me_.example_count.store(k + 1, std::memory_order_release);
}

bool worker::connect_all() {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(cfg_.msrp_port);
  if (::inet_pton(AF_INET, cfg_.msrp_host.c_str(), &addr.sin_addr) != 1) {
    example("bad MSRP address %s", cfg_.msrp_host.c_str());
    return false;
  }
  for (std::size_t i = 0; i < cfg_.connections; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      example("socket: %s (connection %zu)", std::strerror(errno), i);
      return false;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
      example("connect: %s (connection %zu)", std::strerror(errno), i);
      ::close(fd);
      return false;
    }
    auto ref = shard_.adopt(fd);
    if (!ref.ok()) {
      example("adopt failed (connection %zu)", i);
      return false;
    }
    conns_.push_back(ref.value());
  }
  return true;
}

// One bodiless SEND per session (RFC 4975 §7.1 binds the session to this connection), all pipelined.
void worker::queue_binds() {
  for (std::uint64_t j = 0; j < local_count_; ++j) queue_bind(j * cfg_.procs + cfg_.index);
}

// Participant i binds over connection (i / procs) mod connections: joiners share the existing ones.
void worker::queue_bind(std::uint64_t i) {
  std::string_view path =
      i < plan_.participants ? std::string_view(paths_[i]) : std::string_view(shared_.members[i].path);
  std::string tid = "bind" + std::to_string(i);
  std::string text = "MSRP " + tid + " SEND\r\nTo-Path: " + std::string(path) +
                     "\r\nFrom-Path: " + own_path(i) + "\r\nMessage-ID: " + tid +
                     "\r\nByte-Range: 1-0/0\r\n-------" + tid + "$\r\n";
  reactor::connection_ref c = conns_[(i / cfg_.procs) % conns_.size()];
  char* out = shard_.header_alloc(c, text.size());
  if (!out) {
    bump(me_.bind_failed);
    example("no header space for bind of %s", address_of(i).c_str());
    return;
  }
  std::memcpy(out, text.data(), text.size());
  reactor::frame f;
  f.add(std::string_view(out, text.size()));
  shard_.send(c, std::move(f));
}

// --churn: the driver publishes each registered joiner's path; this worker binds the ones it owns.
void worker::queue_joiner_binds() {
  std::uint64_t joined = shared_.control->joined.load(std::memory_order_acquire);
  for (; next_joiner_ < joined; ++next_joiner_) {
    std::uint64_t i = plan_.participants + next_joiner_;
    if (i % cfg_.procs != cfg_.index || shared_.members[i].path[0] == '\0') continue;
    queue_bind(i);
  }
}

void worker::send_chat(std::uint64_t seq) {
  std::uint64_t sender = plan_.sender_of(seq);
  std::uint64_t j = sender / cfg_.procs;
  std::string body = plan_.body(seq);
  std::string cpim = "From: <" + address_of(sender) + ">\r\nTo: <" + std::string(conference_uri) +
                     ">\r\n\r\nContent-Type: text/plain\r\n\r\n" + body;
  std::string tid = "chat" + std::to_string(seq);
  std::string n = std::to_string(cpim.size());
  std::string text = "MSRP " + tid + " SEND\r\nTo-Path: " + paths_[sender] +
                     "\r\nFrom-Path: " + own_path(sender) + "\r\nMessage-ID: " + tid + "\r\nByte-Range: 1-" +
                     n + "/" + n + "\r\nContent-Type: message/cpim\r\n\r\n" + cpim + "\r\n-------" + tid +
                     "$\r\n";
  reactor::frame f;
  f.body = shared_buffer::copy_of(text);
  f.add(f.body.view());
  if (shared_.meta) shared_.meta[seq].start_ns.store(monotonic_ns(), std::memory_order_release);
  shared_.sends[seq].store(send_state::sent, std::memory_order_release);
  shared_.control->expected_deliveries.fetch_add(plan_.recipients_of(seq), std::memory_order_relaxed);
  bump(me_.chat_sent);
  if (shard_.send(conns_[j % conns_.size()], std::move(f)) != reactor::send_error::ok) {
    shared_.sends[seq].store(send_state::failed, std::memory_order_release);
    example("chat message %llu could not be queued", static_cast<unsigned long long>(seq));
  }
}

std::size_t worker::on_data(reactor::shard& s, reactor::connection_ref c, std::string_view bytes) {
  auto* cs = static_cast<connection_state*>(s.user(c));
  if (!cs) return bytes.size();
  const std::uint64_t now = monotonic_ns();
  std::size_t consumed = 0;
  while (consumed < bytes.size()) {
    msrp::message m;
    msrp::parse_result r = cs->parser.feed(bytes.substr(consumed), m);
    if (r.status == msrp::parse_status::need_more) break;
    cs->parser.reset();
    if (r.status == msrp::parse_status::error) {
      mismatch("heraldd sent unparsable MSRP (%.*s); connection dropped",
               static_cast<int>(msrp::to_string(r.error).size()), msrp::to_string(r.error).data());
      s.close(c);
      return bytes.size();
    }
    consumed += r.consumed;
    if (m.kind == msrp::message_kind::response) {
      handle_response(m);
    } else if (m.method == msrp::request_method::send) {
      respond(*cs, m);
      on_send_received(*cs, m, now);
    }
  }
  return consumed;
}

// The load client is a well-behaved recipient: every SEND is answered at once (RFC 4975 §7.2 rules).
void worker::respond(connection_state& cs, const msrp::message& m) {
  if (m.failure_report == msrp::report_mode::no || m.failure_report == msrp::report_mode::partial) return;
  std::string_view to = msrp::first_uri(m.from_path);
  std::string_view from = msrp::last_uri(m.to_path);
  std::size_t n = 64 + 2 * m.transaction_id.size() + to.size() + from.size();
  char* out = shard_.header_alloc(cs.ref, n);
  if (!out) return;
  auto r = msrp::encode_response(std::span<char>(out, n), m.transaction_id, 200, "OK", to, from);
  if (!r.ok()) return;
  reactor::frame f;
  f.add(std::string_view(out, r.value()));
  shard_.send(cs.ref, std::move(f));
}

void worker::handle_response(const msrp::message& m) {
  std::string_view tid = m.transaction_id;
  std::uint64_t n = 0;
  if (tid.substr(0, 4) == "bind") {
    if (m.status_code == 200) {
      bump(me_.bound);
      if (shared_.members && leading_number(tid.substr(4), n) && n < plan_.capacity())
        shared_.members[n].bound.store(monotonic_ns(), std::memory_order_release);
    } else {
      bump(me_.bind_failed);
      example("bind %.*s answered %u", static_cast<int>(tid.size()), tid.data(), m.status_code);
    }
  } else if (tid.substr(0, 4) == "chat" && leading_number(tid.substr(4), n) && n < plan_.count) {
    if (shared_.meta && m.status_code == 200)
      shared_.meta[n].ok_ns.store(monotonic_ns(), std::memory_order_release);
    if (m.status_code != 200) {
      bump(me_.chat_rejected);
      shared_.sends[n].store(send_state::failed, std::memory_order_release);
      example("chat message %llu answered %u", static_cast<unsigned long long>(n), m.status_code);
    }
  }
}

void worker::on_send_received(connection_state& cs, const msrp::message& m, std::uint64_t now) {
  std::uint64_t idx = 0;
  std::string_view to = m.to_path;
  if (to.substr(0, own_path_prefix.size()) != own_path_prefix ||
      !leading_number(to.substr(own_path_prefix.size()), idx) || idx >= plan_.capacity() ||
      idx % cfg_.procs != cfg_.index) {
    mismatch("SEND to a path that is not ours: %.*s", static_cast<int>(to.size()), to.data());
    return;
  }
  const bool single = m.flag == msrp::continuation::complete &&
                      (!m.byte_range || (m.byte_range->start == 1 && !m.byte_range->total_unknown &&
                                         m.byte_range->total == m.body.size()));
  if (single) {
    check(idx, m.body, now);
    return;
  }
  std::string key(to);
  key.append(" ").append(m.message_id);
  std::string& buf = cs.partial[key];
  if (m.byte_range && m.byte_range->start != buf.size() + 1) {
    mismatch("chunk out of order for %s", address_of(idx).c_str());
    cs.partial.erase(key);
    return;
  }
  buf.append(m.body);
  if (m.flag == msrp::continuation::abort) {
    cs.partial.erase(key);
  } else if (m.flag == msrp::continuation::complete) {
    std::string whole = std::move(buf);
    cs.partial.erase(key);
    check(idx, whole, now);
  }
}

void worker::check(std::uint64_t idx, std::string_view bytes, std::uint64_t now) {
  char addr[64];
  std::string_view address(addr, format_address(addr, sizeof addr, idx));
  cpim::message cm;
  if (cpim::parse_final(bytes, cm) != cpim::parse_error::ok) {
    mismatch("unparsable CPIM delivered to %s", addr);
    return;
  }
  const cpim::header* to = cm.find(cpim::header_kind::to);
  if (!to || to->addr.uri != address) {
    std::string_view got = to ? to->addr.uri : std::string_view("(none)");
    mismatch("CPIM To %.*s delivered to %s", static_cast<int>(got.size()), got.data(), addr);
    return;
  }
  std::uint64_t seq = 0;
  bool external = cm.content_type.substr(0, 21) == "message/external-body";
  if (external) {
    auto x = cpim::parse_external_body(cm.content_type, cm.body);
    if (!x.ok() || x->url.substr(0, external_url_prefix.size()) != external_url_prefix ||
        !leading_number(x->url.substr(external_url_prefix.size()), seq) || seq >= plan_.count ||
        x->url != plan_.external_url(seq) || x->content_type != external_content_type || !x->has_size ||
        x->size != plan_.size || plan_.kind_of(seq) != message_kind::external) {
      mismatch("bad message/external-body delivered to %s", addr);
      return;
    }
  } else {
    if (cm.body.substr(0, 4) != "seq=" || !leading_number(cm.body.substr(4), seq) || seq >= plan_.count ||
        plan_.kind_of(seq) == message_kind::external) {
      mismatch("body without a valid sequence number delivered to %s", addr);
      return;
    }
    if (expected_sum_[seq] == 0) expected_sum_[seq] = fnv1a(plan_.body(seq)) | 1;
    if ((fnv1a(cm.body) | 1) != expected_sum_[seq]) {
      mismatch("body checksum mismatch: message %llu to %s", static_cast<unsigned long long>(seq), addr);
      return;
    }
  }
  const bool chat = plan_.kind_of(seq) == message_kind::chat;
  if (chat && plan_.sender_of(seq) == idx) {
    mismatch("chat message %llu came back to its sender %s", static_cast<unsigned long long>(seq), addr);
    return;
  }
  std::string_view from = cm.from() ? cm.from()->uri : std::string_view();
  if (chat ? from != address_of(plan_.sender_of(seq)) : from != conference_uri) {
    mismatch("CPIM From %.*s on %s message %llu to %s", static_cast<int>(from.size()), from.data(),
             to_string(plan_.kind_of(seq)), static_cast<unsigned long long>(seq), addr);
    return;
  }
  std::uint64_t local = idx / cfg_.procs;
  auto& bits = bits_[seq];
  if (bits.empty()) bits.assign((local_capacity_ + 63) / 64, 0);
  std::uint64_t mask = std::uint64_t{1} << (local % 64);
  if (bits[local / 64] & mask) {
    bump(me_.duplicates);
    example("duplicate: message %llu delivered twice to %s", static_cast<unsigned long long>(seq), addr);
    return;
  }
  bits[local / 64] |= mask;
  message_result& r = results_[seq];
  if (r.count == 0) r.first_ns = now;
  r.last_ns = now;
  r.last_participant = static_cast<std::uint32_t>(idx);
  ++r.count;
  std::uint64_t due = t0() + plan_.offset_ns(seq);
  std::uint64_t us = now > due ? (now - due) / 1000 : 0;
  bump(me_.latency_counts[histogram::bucket_of(us)]);
  if (us < me_.latency_min_us.load(std::memory_order_relaxed))
    me_.latency_min_us.store(us, std::memory_order_relaxed);
  if (us > me_.latency_max_us.load(std::memory_order_relaxed))
    me_.latency_max_us.store(us, std::memory_order_relaxed);
  me_.last_delivery_ns.store(now, std::memory_order_relaxed);
  if (chat) bump(me_.chat_delivered);
  bump(me_.delivered);
}

// Every message that was sent must have reached every local recipient (but its sender) exactly once.
void worker::finish() {
  std::uint64_t missing = 0;
  for (std::uint64_t seq = 0; seq < plan_.count; ++seq) {
    if (shared_.sends[seq].load(std::memory_order_acquire) != send_state::sent) continue;
    bool chat = plan_.kind_of(seq) == message_kind::chat;
    std::uint64_t sender = chat ? plan_.sender_of(seq) : UINT64_MAX;
    bool sender_here = chat && sender % cfg_.procs == cfg_.index;
    std::uint64_t expected = local_count_ - (sender_here ? 1 : 0);
    if (results_[seq].count >= expected) continue;
    missing += expected - results_[seq].count;
    const auto& bits = bits_[seq];
    for (std::uint64_t j = 0; j < local_count_; ++j) {
      std::uint64_t i = j * cfg_.procs + cfg_.index;
      if (i == sender || (!bits.empty() && (bits[j / 64] >> (j % 64) & 1))) continue;
      example("missing: message %llu (%s) never reached %s", static_cast<unsigned long long>(seq),
              to_string(plan_.kind_of(seq)), address_of(i).c_str());
      break;
    }
  }
  me_.missing.store(missing, std::memory_order_relaxed);
}

// Every worker stops reading before any checks: a chat message's last delivery anywhere (another
// worker's results) must be final before it explains a miss here.
void worker::wait_for_check() {
  me_.state.store(worker_state::stopped, std::memory_order_release);
  std::uint64_t deadline = monotonic_ns() + 120'000'000'000ULL;
  while (shared_.control->check.load(std::memory_order_acquire) == 0 && monotonic_ns() < deadline)
    usleep(1000);
}

// --churn: every local participant that was ever registered, judged per message by membership.hpp's
// rules against heraldd's report (API messages) or the message's last delivery anywhere (chat).
void worker::finish_churn() {
  const std::uint64_t cap = plan_.capacity();
  std::vector<std::uint64_t> locals;
  std::vector<member_times> times;
  for (std::uint64_t i = cfg_.index; i < cap; i += cfg_.procs) {
    const member_slot& m = shared_.members[i];
    member_times t{m.reg_start.load(std::memory_order_acquire), m.reg_done.load(std::memory_order_acquire),
                   m.bound.load(std::memory_order_acquire), m.del_start.load(std::memory_order_acquire),
                   m.del_done.load(std::memory_order_acquire)};
    if (t.reg_start == 0) continue;  // a joiner that never registered (the schedule ended first)
    if (t.bound == 0 && t.del_start == 0) {
      bump(me_.bind_failed);
      example("joiner %s registered but its session never bound", address_of(i).c_str());
    }
    locals.push_back(i);
    times.push_back(t);
  }
  // heraldd's failures for this worker's participants, keyed by message and participant.
  std::unordered_map<std::uint64_t, churn_failure> failed;
  const std::uint64_t n =
      std::min(shared_.control->failures.load(std::memory_order_acquire), shared_.max_failures);
  for (std::uint64_t k = 0; k < n; ++k) {
    const failure_entry& e = shared_.failures[k];
    if (e.participant % cfg_.procs != cfg_.index) continue;
    if (shared_.members[e.participant].reg_start.load(std::memory_order_acquire) == 0) {
      bump(me_.unexplained_failures);
      example("message %llu: heraldd reports a failure for %s, never registered",
              static_cast<unsigned long long>(e.seq), address_of(e.participant).c_str());
      continue;
    }
    failed.emplace(e.seq * cap + e.participant, static_cast<churn_failure>(e.why));
  }
  std::uint64_t missing_total = 0;
  for (std::uint64_t seq = 0; seq < plan_.count; ++seq) {
    if (shared_.sends[seq].load(std::memory_order_acquire) != send_state::sent) continue;
    const message_meta& meta = shared_.meta[seq];
    const bool chat = plan_.kind_of(seq) == message_kind::chat;
    const std::uint64_t sender = chat ? plan_.sender_of(seq) : UINT64_MAX;
    send_window w;
    w.start = meta.start_ns.load(std::memory_order_acquire);
    if (std::uint64_t ok = meta.ok_ns.load(std::memory_order_acquire)) w.ok = ok;
    const bool reported = !chat && meta.report.load(std::memory_order_acquire) == report_state::complete;
    std::uint64_t last_seen = 0;
    for (std::size_t wk = 0; wk < cfg_.procs; ++wk) {
      const message_result& r = shared_.results_of(wk)[seq];
      if (r.count) last_seen = std::max(last_seen, r.last_ns);
    }
    const auto& bits = bits_[seq];
    std::uint32_t missing = 0, received_failed = 0;
    for (std::size_t k = 0; k < locals.size(); ++k) {
      const std::uint64_t i = locals[k];
      const member_times& t = times[k];
      if (i == sender) continue;
      const std::uint64_t local = i / cfg_.procs;
      const bool received = !bits.empty() && (bits[local / 64] >> (local % 64) & 1);
      if (received && !may_receive(t, w)) {
        bump(me_.outside_membership);
        example("message %llu (%s) reached %s outside its membership", static_cast<unsigned long long>(seq),
                to_string(plan_.kind_of(seq)), address_of(i).c_str());
      }
      auto f = chat ? failed.end() : failed.find(seq * cap + i);
      if (f != failed.end()) {
        const bool received_ok = !received || f->second == churn_failure::participant_removed;
        if (!failure_explained(f->second, t, w) || !received_ok) {
          bump(me_.unexplained_failures);
          example("message %llu: heraldd reports %s failed (%s) and churn does not explain it",
                  static_cast<unsigned long long>(seq), address_of(i).c_str(),
                  f->second == churn_failure::participant_removed ? "participant_removed"
                  : f->second == churn_failure::not_connected     ? "not_connected"
                                                                  : "other reason");
        }
        // Written to the socket before the removal, settled failed by it: heraldd does not count it.
        if (received) ++received_failed;
        continue;
      }
      if (received || !must_be_planned(t, w)) continue;
      // Without heraldd's record (chat, or a report that could not be had) only timing can excuse it.
      if (!reported && chat_miss_explained(t, last_seen)) continue;
      if (missing++ == 0)
        example("missing: message %llu (%s) never reached %s", static_cast<unsigned long long>(seq),
                to_string(plan_.kind_of(seq)), address_of(i).c_str());
    }
    results_[seq].missing = missing;
    results_[seq].received_failed = received_failed;
    missing_total += missing;
  }
  me_.missing.store(missing_total, std::memory_order_relaxed);
}

int worker::run() {
  if (int rc = shard_.init(); rc < 0) {
    example("io_uring setup failed: %s", std::strerror(-rc));
    me_.state.store(worker_state::failed, std::memory_order_release);
    return 1;
  }
  if (!connect_all()) {
    me_.state.store(worker_state::failed, std::memory_order_release);
    return 1;
  }
  queue_binds();
  std::uint64_t deadline = monotonic_ns() + static_cast<std::uint64_t>(cfg_.bind_timeout_ms) * 1'000'000ULL;
  while (me_.bound.load(std::memory_order_relaxed) + me_.bind_failed.load(std::memory_order_relaxed) <
             local_count_ &&
         monotonic_ns() < deadline && !stop_requested())
    shard_.run_once(5'000'000);
  if (me_.bound.load(std::memory_order_relaxed) != local_count_) {
    if (me_.bind_failed.load(std::memory_order_relaxed) == 0) example("session binds timed out");
    me_.state.store(worker_state::failed, std::memory_order_release);
    return 1;
  }
  me_.state.store(worker_state::ready, std::memory_order_release);

  std::vector<std::uint64_t> chats;  // chat messages this worker's participants send, in order
  for (std::uint64_t seq = 0; seq < plan_.count; ++seq)
    if (plan_.kind_of(seq) == message_kind::chat && plan_.sender_of(seq) % cfg_.procs == cfg_.index)
      chats.push_back(seq);
  std::size_t next = 0;
  while (!stop_requested()) {
    if (shared_.members) queue_joiner_binds();
    std::uint64_t wait = 5'000'000;
    if (std::uint64_t start = t0(); start != 0) {
      std::uint64_t now = monotonic_ns();
      while (next < chats.size() && start + plan_.offset_ns(chats[next]) <= now) send_chat(chats[next++]);
      if (next < chats.size()) {
        std::uint64_t due = start + plan_.offset_ns(chats[next]);
        wait = std::min<std::uint64_t>(wait, due > now ? due - now : 0);
      }
    }
    shard_.run_once(wait);
  }
  stopping_ = true;
  wait_for_check();
  if (shared_.members) {
    finish_churn();
  } else {
    finish();
  }
  me_.state.store(worker_state::done, std::memory_order_release);
  return 0;
}

}  // namespace

int run_worker(const worker_config& cfg, const plan& p, const std::vector<std::string>& herald_paths,
               shared_region& shared) {
  auto w = std::make_unique<worker>(cfg, p, herald_paths, shared);
  return w->run();
}

}  // namespace herald::load
