// What participants send to a shard: binding, responses and REPORTs to our deliveries, chunked messages,
// and the one place an inbound error becomes a status, a skip or a close.
#include "shard_inbound.hpp"

#include "herald/conference/engine.hpp"
#include "herald/conference/transaction_id.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"
#include "herald/msrp/encoder.hpp"
#include "herald/msrp/uri.hpp"
#include "shard_outbound.hpp"

namespace herald::conference {

struct shard_inbound::connection_state {
  reactor::connection_ref ref;
  msrp::parser parser;
  std::vector<std::uint32_t> sessions;  // slots bound on this connection
  reassembler chunks;
  std::uint64_t partial_since_ns = 0;  // when unconsumed input started waiting (slowloris guard)
  std::size_t index = 0;               // position in connections_
  bool skipping = false;               // discarding a malformed message up to its end-line
  bool closing = false;
};

namespace {

// RFC 4975 §7.2: Failure-Report "no" suppresses every response, "partial" all but errors.
bool wants_response(msrp::report_mode failure_report, int status) {
  if (failure_report == msrp::report_mode::no) return false;
  if (failure_report == msrp::report_mode::partial) return status != msrp::status_ok;
  return true;
}

// The one mapping from a refused submission to the status its SEND is answered with. MSRP has no "busy"
// status: 413 (RFC 4975 §7.2: stop sending this message) is the nearest for a full or draining server.
int msrp_status_for(submit_error e) {
  switch (e) {
    case submit_error::ok:
      return msrp::status_ok;
    case submit_error::no_such_conference:
      return msrp::status_session_does_not_exist;
    case submit_error::draining:
    case submit_error::too_many_pending:
    case submit_error::body_too_large:
      return msrp::status_stop_sending;
    case submit_error::unreadable_content:
    case submit_error::unknown_recipients:
      return msrp::status_unintelligible;
    case submit_error::unusable_content:
      return msrp::status_media_not_understood;
  }
  return msrp::status_unintelligible;
}

}  // namespace

shard_inbound::shard_inbound(engine& eng, reactor::shard& shard, session_table& sessions,
                             shard_outbound& outbound)
    : engine_(eng), shard_(shard), sessions_(sessions), outbound_(outbound) {
  limits_.max_body_bytes = std::max<std::size_t>(eng.config().max_message_bytes, 64 * 1024);
  limits_.check_byte_range_length = true;
  // Responses are matched by transaction id and connection; their paths are never used.
  limits_.validate_response_paths = false;
}

shard_inbound::~shard_inbound() {
  for (connection_state* cs : connections_) delete cs;
}

void shard_inbound::on_open(reactor::connection_ref c) {
  auto* cs = new connection_state;
  cs->ref = c;
  cs->parser = msrp::parser(limits_);
  cs->index = connections_.size();
  connections_.push_back(cs);
  if (by_index_.size() <= c.index) by_index_.resize(c.index + 1, nullptr);
  by_index_[c.index] = cs;
  shard_.set_user(c, cs);
}

shard_inbound::connection_state* shard_inbound::state_of(reactor::connection_ref c) const {
  if (c.index >= by_index_.size()) return nullptr;
  connection_state* cs = by_index_[c.index];
  return cs && cs->ref == c ? cs : nullptr;
}

void shard_inbound::close(connection_state& cs, reactor::close_reason why) {
  cs.closing = true;
  shard_.close(cs.ref, why);
}

std::size_t shard_inbound::on_data(reactor::connection_ref c, std::string_view bytes) {
  auto* cs = static_cast<connection_state*>(shard_.user(c));
  if (!cs || cs->closing) return bytes.size();
  std::size_t consumed = 0;
  // One message object for the whole batch: value-initialising it zeroes ~1 KiB of header slots, which
  // cost more than parsing a 200 response; the parser resets what it uses.
  msrp::message m;
  while (consumed < bytes.size()) {
    if (cs->skipping) {
      msrp::parse_result r = cs->parser.skip(bytes.substr(consumed));
      consumed += r.consumed;
      if (r.status == msrp::parse_status::need_more) break;
      cs->parser.reset();
      cs->skipping = false;
      if (r.status == msrp::parse_status::error) {
        // No end-line where one had to be: RFC 4975 gives no other way to resynchronise.
        ++counters_.malformed_closed;
        close(*cs, reactor::close_reason::local);
        return bytes.size();
      }
      continue;
    }
    msrp::parse_result r = cs->parser.feed(bytes.substr(consumed), m);
    if (r.status == msrp::parse_status::need_more) break;
    if (r.status == msrp::parse_status::error) {
      if (!handle_malformed(*cs, m, r.error)) return bytes.size();
      continue;  // skipping from this message's first byte
    }
    cs->parser.reset();
    consumed += r.consumed;
    if (m.kind == msrp::message_kind::response) {
      handle_response(*cs, m);
    } else if (m.method == msrp::request_method::report) {
      handle_report(*cs, m);
    } else {
      handle_request(*cs, m);
    }
    if (cs->closing) return bytes.size();
  }
  cs->partial_since_ns =
      consumed < bytes.size() ? (cs->partial_since_ns ? cs->partial_since_ns : monotonic_ns()) : 0;
  return consumed;
}

// The parser says what it had read before the error. A request whose transaction id and From-Path were
// read gets its status (RFC 4975 §7.3) and is skipped; a response or REPORT is never answered (§7.1.2,
// §7.2), only skipped; anything else closes the connection: never silence.
bool shard_inbound::handle_malformed(connection_state& cs, const msrp::message& m, msrp::error_code error) {
  const bool request = !m.transaction_id.empty() && m.kind == msrp::message_kind::request;
  const bool answered_by_nobody =
      m.kind == msrp::message_kind::response || m.method == msrp::request_method::report;
  const bool answerable = request && !answered_by_nobody && !m.from_path.empty();
  HERALD_LOG(debug, "malformed msrp")
      .kv("error", msrp::to_string(error))
      .kv("shard", shard_.id())
      .kv("answerable", answerable ? "yes" : "no");
  if (answerable) {
    ++counters_.malformed_answered;
    const int status = msrp::status_for(error);
    if (wants_response(m.failure_report, status))
      respond(cs.ref, m.transaction_id, status, msrp::first_uri(m.from_path), msrp::last_uri(m.to_path));
  }
  const bool skippable =
      cs.parser.can_skip() && (answerable || (answered_by_nobody && !m.transaction_id.empty()));
  if (!skippable) {
    // Framing is lost or nobody can be told: the connection goes, after any answer just queued.
    ++counters_.malformed_closed;
    cs.closing = true;
    shard_.close_after_flush(cs.ref, reactor::close_reason::local);
    return false;
  }
  if (!answerable) ++counters_.malformed_skipped;
  cs.skipping = true;
  return true;
}

void shard_inbound::respond(reactor::connection_ref c, std::string_view tid, int status,
                            std::string_view to_path, std::string_view from_path) {
  std::string_view comment = msrp::status_comment(status);
  // Start line, two path headers and the end-line: 46 fixed bytes plus the variable parts.
  std::size_t n = 64 + comment.size() + to_path.size() + from_path.size() + 2 * tid.size();
  char* out = shard_.header_alloc(c, n);
  if (!out) return;
  auto r = msrp::encode_response(std::span<char>(out, n), tid, status, comment, to_path, from_path);
  if (!r.ok()) return;
  reactor::frame f;
  f.add(std::string_view(out, r.value()));
  shard_.send(c, std::move(f));
}

void shard_inbound::handle_request(connection_state& cs, const msrp::message& m) {
  std::string_view reply_to = msrp::first_uri(m.from_path);
  std::string_view reply_from = msrp::last_uri(m.to_path);
  // Failure-Report applies to every request's response, including refusals (RFC 4975 §7.2).
  if (m.method == msrp::request_method::unknown) {
    if (wants_response(m.failure_report, msrp::status_method_not_understood))
      respond(cs.ref, m.transaction_id, msrp::status_method_not_understood, reply_to, reply_from);
    return;
  }
  ++counters_.sends_received;
  int status = msrp::status_ok;
  std::uint32_t slot = bind_session(cs, m, status);
  if (slot == no_slot) {
    if (wants_response(m.failure_report, status))
      respond(cs.ref, m.transaction_id, status, reply_to, reply_from);
    return;
  }
  if (!m.has_body) {
    if (wants_response(m.failure_report, msrp::status_ok))
      respond(cs.ref, m.transaction_id, msrp::status_ok, reply_to, reply_from);
    return;
  }
  handle_chunk(cs, slot, m);
}

// A REPORT about one of our deliveries names it by its Message-ID, the first chunk's transaction id
// (RFC 4975 §7.1.2). REPORTs are never answered.
void shard_inbound::handle_report(connection_state& cs, const msrp::message& m) {
  ++counters_.reports_received;
  auto key = decode_delivery_tid(m.message_id);
  if (!key || !m.status) return;
  const bool whole =
      !m.byte_range || (m.byte_range->start == 1 && !m.byte_range->end_unknown &&
                        !m.byte_range->total_unknown && m.byte_range->end == m.byte_range->total);
  outbound_.on_report(cs.ref, *key, m.status->code, whole);
}

void shard_inbound::handle_response(connection_state& cs, const msrp::message& m) {
  ++counters_.responses_received;
  if (auto key = decode_delivery_tid(m.transaction_id)) outbound_.on_response(cs.ref, *key, m.status_code);
}

void shard_inbound::update_queue_limit(connection_state& cs) {
  const engine_config& cfg = engine_.config();
  std::size_t scaled = cs.sessions.size() * cfg.max_queue_bytes_per_session;
  shard_.set_queue_limit(cs.ref, scaled > cfg.max_queue_bytes ? scaled : 0);
}

std::uint32_t shard_inbound::bind_session(connection_state& cs, const msrp::message& m, int& status) {
  auto to = msrp::split_path(m.to_path);
  auto from = msrp::split_path(m.from_path);
  if (!to.ok() || !from.ok()) {
    status = msrp::status_unintelligible;
    return no_slot;
  }
  // The last To-Path URI is the destination: ours (relays before us have removed themselves).
  auto our = msrp::parse_uri(to->back());
  if (!our.ok() || our->session_id.empty()) {
    status = msrp::status_session_does_not_exist;
    return no_slot;
  }
  if (std::uint32_t found = sessions_.find_slot(our->session_id); found != session_table::npos) {
    session* s = &sessions_.at(found);
    if (!(s->conn == cs.ref)) {
      // RFC 4975 §7.3 506: the session is bound to another connection.
      status = msrp::status_session_already_bound;
      ++counters_.bind_rejected;
      return no_slot;
    }
    auto bound_peer = msrp::parse_uri(msrp::first_uri(s->peer_path()));
    auto peer = msrp::parse_uri(from->front());
    if (!bound_peer.ok() || !peer.ok() || !msrp::uri_equal(*bound_peer, *peer)) {
      status = msrp::status_action_not_allowed;  // 403: From-Path is not the bound peer
      ++counters_.bind_rejected;
      return no_slot;
    }
    return found;
  }
  if (cs.sessions.size() >= engine_.config().max_sessions_per_connection) {
    status = msrp::status_action_not_allowed;
    ++counters_.bind_rejected;
    return no_slot;
  }
  std::uint32_t slot = sessions_.allocate();
  session& s = sessions_.at(slot);
  session_grant grant;
  directory_error e = engine_.dir().bind(our->session_id, binding{shard_.id(), slot, s.generation}, grant);
  if (e != directory_error::ok) {
    sessions_.release(slot, failure_reason::not_connected);
    ++counters_.bind_rejected;
    status = e == directory_error::session_bound_elsewhere ? msrp::status_session_already_bound
             : e == directory_error::no_such_session       ? msrp::status_session_does_not_exist
                                                           : msrp::status_action_not_allowed;
    return no_slot;
  }
  // RFC 4975 §8.2 / issue 13: a session offered in SDP binds only from the endpoint its a=path named.
  if (!grant.expected_peer.empty()) {
    auto expected = msrp::parse_uri(grant.expected_peer);
    auto endpoint = msrp::parse_uri(from->back());
    if (!expected.ok() || !endpoint.ok() || !msrp::uri_equal(*expected, *endpoint)) {
      engine_.dir().unbind(our->session_id, binding{shard_.id(), slot, s.generation});
      sessions_.release(slot, failure_reason::not_connected);
      ++counters_.bind_rejected;
      status = msrp::status_action_not_allowed;
      return no_slot;
    }
  }
  // An msrps session is not bound over plaintext: its path promised TLS to both ends (RFC 4975 §6).
  if (grant.tls && !shard_.is_tls(cs.ref)) {
    engine_.dir().unbind(our->session_id, binding{shard_.id(), slot, s.generation});
    sessions_.release(slot, failure_reason::not_connected);
    ++counters_.bind_rejected;
    status = msrp::status_action_not_allowed;
    return no_slot;
  }
  s.conn = cs.ref;
  s.member = grant.member;
  s.reports_end = grant.has_dialog;
  auto frame_bytes = fanout::recipient_bytes::make(
      m.from_path, engine_.session_path(our->session_id, grant.tls), grant.address, grant.display_name);
  // The directory's ids always fit inline_id; the check keeps a future longer id from binding half-named.
  if (!frame_bytes.ok() || !s.conference_id.assign(grant.conference_id) ||
      !s.participant_id.assign(grant.participant_id)) {
    // The parser and the control API validated each part; only an oversized From-Path gets here.
    engine_.dir().unbind(our->session_id, binding{shard_.id(), slot, s.generation});
    sessions_.release(slot, failure_reason::not_connected);
    ++counters_.bind_rejected;
    status = msrp::status_unintelligible;
    return no_slot;
  }
  s.frame_bytes = std::move(frame_bytes.value());
  sessions_.index(slot);
  cs.sessions.push_back(slot);
  update_queue_limit(cs);
  ++counters_.bind_ok;
  return slot;
}

void shard_inbound::handle_chunk(connection_state& cs, std::uint32_t slot, const msrp::message& m) {
  session& s = sessions_.at(slot);
  std::string_view reply_to = msrp::first_uri(m.from_path);
  std::string_view reply_from = msrp::last_uri(m.to_path);
  const engine_config& cfg = engine_.config();
  bool single = m.flag == msrp::continuation::complete &&
                (!m.byte_range || (m.byte_range->start == 1 && !m.byte_range->total_unknown &&
                                   m.byte_range->total == m.body.size()));
  int status = msrp::status_ok;
  std::string message_id(m.message_id);
  msrp::report_mode success = m.success_report;
  if (single) {
    if (m.body.size() > cfg.max_message_bytes) {
      status = msrp::status_stop_sending;
    } else {
      status = submit_participant_message(s, m.content_type,
                                          shared_buffer::copy_of(m.body, fanout::body_headroom_bytes));
    }
  } else {
    incoming_message done;
    chunk_outcome outcome = cs.chunks.add(slot, s.generation, m, monotonic_ns() + cfg.reassembly_timeout_ns,
                                          cfg.max_message_bytes, cfg.max_reassembly_bytes, done);
    switch (outcome) {
      case chunk_outcome::in_progress:
        break;
      case chunk_outcome::aborted:
        break;  // RFC 4975 §7.1: '#' — the sender gave up; nothing to deliver
      case chunk_outcome::too_large:
        status = msrp::status_stop_sending;
        break;
      case chunk_outcome::bad_range:
        status = msrp::status_unintelligible;
        break;
      case chunk_outcome::complete: {
        success = done.success_report;
        shared_buffer body = shared_buffer::copy_of(done.data, fanout::body_headroom_bytes);
        status = submit_participant_message(s, done.content_type, std::move(body));
        if (status == msrp::status_ok && success == msrp::report_mode::yes)
          send_success_report(s, done.message_id, done.data.size());
        success = msrp::report_mode::unset;  // already reported
        break;
      }
    }
  }
  if (wants_response(m.failure_report, status))
    respond(cs.ref, m.transaction_id, status, reply_to, reply_from);
  if (single && status == msrp::status_ok && success == msrp::report_mode::yes)
    send_success_report(s, message_id, m.body.size());
}

int shard_inbound::submit_participant_message(session& s, std::string_view content_type, shared_buffer body) {
  message_submission msg;
  msg.conference_id.assign(s.conference_id.view());
  msg.content_type.assign(content_type);
  msg.body = std::move(body);
  msg.sender = participant_sender{std::string(s.address()), s.display_name(), s.member, shard_.id()};
  submit_result r = engine_.submit(std::move(msg));
  if (r.error == submit_error::ok) ++counters_.participant_messages;
  return msrp_status_for(r.error);
}

void shard_inbound::send_success_report(session& s, std::string_view message_id, std::uint64_t total) {
  // RFC 4975 §7.1.2: the conference is this message's endpoint, so it reports receipt of all bytes.
  char tid[msrp::default_transaction_id_chars];
  msrp::make_transaction_id(rng_, tid);
  msrp::request_header h;
  h.method = "REPORT";
  h.transaction_id = std::string_view(tid, sizeof tid);
  h.to_path = s.peer_path();
  h.from_path = s.local_path();
  h.message_id = message_id;
  h.byte_range = msrp::byte_range{1, total, false, total, false};
  h.status = msrp::status_field{0, 200, "OK"};
  std::size_t n = msrp::request_header_size(h) + msrp::max_end_line_chars;
  char* out = shard_.header_alloc(s.conn, n);
  if (!out) return;
  auto r = msrp::encode_request_header(std::span<char>(out, n), h);
  if (!r.ok()) return;
  std::size_t len = r.value() + msrp::encode_bodiless_end_line(out + r.value(), h.transaction_id,
                                                               msrp::continuation::complete);
  reactor::frame f;
  f.add(std::string_view(out, len));
  shard_.send(s.conn, std::move(f));
}

void shard_inbound::release_sessions(connection_state& cs, failure_reason why) {
  signalling_sink* sink = engine_.signalling();
  const bool ended_by_peer = why == failure_reason::disconnected || why == failure_reason::slow_consumer;
  for (std::uint32_t slot : cs.sessions) {
    session& s = sessions_.at(slot);
    engine_.dir().unbind(s.session_id(), binding{shard_.id(), slot, s.generation});
    if (sink && ended_by_peer && s.reports_end)
      sink->session_ended(std::string(s.conference_id.view()), std::string(s.participant_id.view()));
    sessions_.release(slot, why);
  }
  cs.sessions.clear();
}

void shard_inbound::on_closed(reactor::connection_ref c, reactor::close_reason why) {
  connection_state* cs = state_of(c);
  if (!cs) return;
  failure_reason reason = why == reactor::close_reason::slow_consumer    ? failure_reason::slow_consumer
                          : why == reactor::close_reason::shard_stopping ? failure_reason::shutdown
                                                                         : failure_reason::disconnected;
  release_sessions(*cs, reason);
  // Swap-remove from the connection list.
  connections_[cs->index] = connections_.back();
  connections_[cs->index]->index = cs->index;
  connections_.pop_back();
  by_index_[c.index] = nullptr;
  delete cs;
}

void shard_inbound::drop_sessions(const std::vector<binding>& gone, failure_reason why) {
  for (const binding& b : gone) {
    if (b.shard != shard_.id()) continue;
    session* s = sessions_.get(b.slot, b.generation);
    if (!s) continue;
    if (connection_state* cs = state_of(s->conn)) {
      std::erase(cs->sessions, b.slot);
      update_queue_limit(*cs);
      cs->chunks.drop_session(b.slot);
    }
    sessions_.release(b.slot, why);
  }
}

void shard_inbound::on_tick(std::uint64_t now) {
  const engine_config& cfg = engine_.config();
  for (std::size_t i = 0; i < connections_.size();) {
    connection_state* cs = connections_[i++];
    cs->chunks.expire(now);
    // Slowloris: a message started but not finished within the header timeout closes the connection.
    if (cs->partial_since_ns && now - cs->partial_since_ns > cfg.header_timeout_ns && !cs->closing) {
      ++counters_.slow_senders_closed;
      HERALD_LOG(info, "closing slow sender").kv("shard", shard_.id());
      close(*cs, reactor::close_reason::timeout);
    }
  }
}

std::uint64_t shard_inbound::queued_bytes() const {
  std::uint64_t n = 0;
  for (const connection_state* cs : connections_) n += shard_.queued_bytes(cs->ref);
  return n;
}

std::uint64_t shard_inbound::reassembly_bytes() const {
  std::uint64_t n = 0;
  for (const connection_state* cs : connections_) n += cs->chunks.bytes();
  return n;
}

}  // namespace herald::conference
