// What participants send to a shard: session binding (RFC 4975 §7.1, connection reuse), responses to
// our deliveries, chunked participant messages, reports; and the one place errors become statuses.
#include <algorithm>
#include <cstring>

#include "connection_state.hpp"
#include "herald/conference/engine.hpp"
#include "herald/conference/shard_service.hpp"
#include "herald/conference/transaction_id.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"
#include "herald/cpim/parser.hpp"
#include "herald/msrp/encoder.hpp"
#include "herald/msrp/uri.hpp"

namespace herald::conference {

namespace {

std::string_view first_uri(std::string_view path) {
  return path.substr(0, path.find(' '));
}
std::string_view last_uri(std::string_view path) {
  auto sp = path.rfind(' ');
  return sp == std::string_view::npos ? path : path.substr(sp + 1);
}

bool is_cpim(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return cpim::iequals(type, "message/cpim");
}

// RFC 4975 §7.2: Failure-Report "no" suppresses every response, "partial" all but errors.
bool wants_response(msrp::report_mode failure_report, int status) {
  if (failure_report == msrp::report_mode::no) return false;
  if (failure_report == msrp::report_mode::partial) return status != msrp::status_ok;
  return true;
}

}  // namespace

void shard_service::on_open(reactor::shard& s, reactor::connection_ref c) {
  auto* cs = new connection_state;
  cs->ref = c;
  cs->parser = msrp::parser(limits_);
  cs->index = connections_.size();
  connections_.push_back(cs);
  if (by_index_.size() <= c.index) by_index_.resize(c.index + 1, nullptr);
  by_index_[c.index] = cs;
  s.set_user(c, cs);
}

shard_service::connection_state* shard_service::state_of(reactor::connection_ref c) const {
  if (c.index >= by_index_.size()) return nullptr;
  connection_state* cs = by_index_[c.index];
  return cs && cs->ref == c ? cs : nullptr;
}

std::size_t shard_service::on_data(reactor::shard& s, reactor::connection_ref c, std::string_view bytes) {
  auto* cs = static_cast<connection_state*>(s.user(c));
  if (!cs || cs->closing) return bytes.size();
  std::size_t consumed = 0;
  // One message object for the whole batch: value-initialising it zeroes ~1 KiB of header slots, which
  // cost more than parsing a 200 response; the parser resets what it uses.
  msrp::message m;
  while (consumed < bytes.size()) {
    msrp::parse_result r = cs->parser.feed(bytes.substr(consumed), m);
    if (r.status == msrp::parse_status::need_more) break;
    if (r.status == msrp::parse_status::error) {
      cs->parser.reset();
      long skip = answer_malformed(*cs, bytes.substr(consumed), r.error);
      if (skip == 0) break;
      ++counters_.malformed;
      if (skip < 0) {
        // Framing is lost: RFC 4975 gives no way to resynchronise, so the connection goes.
        cs->closing = true;
        shard_.close(c, reactor::close_reason::local);
        return bytes.size();
      }
      consumed += static_cast<std::size_t>(skip);
      continue;
    }
    cs->parser.reset();
    consumed += r.consumed;
    if (m.kind == msrp::message_kind::response) {
      handle_response(*cs, m);
    } else {
      handle_request(*cs, m);
    }
    if (cs->closing) return bytes.size();
  }
  cs->partial_since_ns =
      consumed < bytes.size() ? (cs->partial_since_ns ? cs->partial_since_ns : monotonic_ns()) : 0;
  return consumed;
}

// A malformed message whose end-line can be found is answered (requests only) with the status its
// error maps to and skipped. Returns the bytes to skip, 0 to wait for more input, or -1 when framing
// is lost and the connection must go.
long shard_service::answer_malformed(connection_state& cs, std::string_view input, msrp::error_code error) {
  // "MSRP " tid SP ...: recover the tid by hand, since the parser rejected the message.
  if (input.size() < 5) return 0;
  if (input.substr(0, 5) != "MSRP ") return -1;
  std::size_t tid_end = input.find(' ', 5);
  if (tid_end == std::string_view::npos) return input.size() > 5 + msrp::max_transaction_id_chars ? -1 : 0;
  std::string_view tid = input.substr(5, tid_end - 5);
  if (!msrp::is_valid_ident(tid)) return -1;
  std::string end_line = "-------" + std::string(tid);
  std::size_t at = input.find(end_line);
  if (at == std::string_view::npos || at + end_line.size() + 3 > input.size()) {
    // The rest may still come; but never hold more than a header block plus one chunk for it.
    return input.size() > limits_.max_header_bytes + limits_.max_body_bytes ? -1 : 0;
  }
  std::size_t after = at + end_line.size();
  if (input.substr(after + 1, 2) != "\r\n") return -1;
  bool is_response =
      tid_end + 4 <= input.size() && std::isdigit(static_cast<unsigned char>(input[tid_end + 1]));
  // RFC 4975 §7.1.2: a REPORT is never answered, not even a malformed one.
  bool is_report = input.substr(tid_end + 1, 8) == "REPORT\r\n";
  auto header = [&](std::string_view name) -> std::string_view {
    std::size_t p = input.find(name);
    if (p == std::string_view::npos || p > at) return {};
    p += name.size();
    std::size_t e = input.find("\r\n", p);
    return e == std::string_view::npos ? std::string_view{} : input.substr(p, e - p);
  };
  std::string_view to = first_uri(header("\r\nFrom-Path: "));
  std::string_view from = last_uri(header("\r\nTo-Path: "));
  if (!is_response && !is_report && !to.empty() && !from.empty() && msrp::parse_uri(to).ok() &&
      msrp::parse_uri(from).ok())
    respond(cs.ref, tid, msrp::status_for(error), to, from);
  HERALD_LOG(debug, "malformed msrp").kv("error", msrp::to_string(error)).kv("shard", shard_.id());
  return static_cast<long>(after + 3);
}

void shard_service::respond(reactor::connection_ref c, std::string_view tid, int status,
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

void shard_service::handle_request(connection_state& cs, const msrp::message& m) {
  if (m.method == msrp::request_method::report) return;  // RFC 4975 §7.1.2: REPORTs get no response
  std::string_view reply_to = first_uri(m.from_path);
  std::string_view reply_from = last_uri(m.to_path);
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

void shard_service::update_queue_limit(connection_state& cs) {
  const engine_config& cfg = engine_.config();
  std::size_t scaled = cs.sessions.size() * cfg.max_queue_bytes_per_session;
  shard_.set_queue_limit(cs.ref, scaled > cfg.max_queue_bytes ? scaled : 0);
}

std::uint32_t shard_service::bind_session(connection_state& cs, const msrp::message& m, int& status) {
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
    auto bound_peer = msrp::parse_uri(first_uri(s->peer_path()));
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
                                                           : msrp::status_session_does_not_exist;
    return no_slot;
  }
  s.conn = cs.ref;
  auto frame_bytes = fanout::recipient_bytes::make(m.from_path, engine_.session_path(our->session_id),
                                                   grant.address, grant.display_name);
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

void shard_service::handle_chunk(connection_state& cs, std::uint32_t slot, const msrp::message& m) {
  session& s = sessions_.at(slot);
  std::string_view reply_to = first_uri(m.from_path);
  std::string_view reply_from = last_uri(m.to_path);
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
      status = accept_participant_message(s, m.content_type,
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
        status = accept_participant_message(s, done.content_type, std::move(body));
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

// A complete message from a participant: CPIM From becomes the authenticated sender (no spoofing),
// To is stamped per recipient, everything else passes through; a non-CPIM body is wrapped in CPIM.
int shard_service::accept_participant_message(session& s, std::string_view content_type, shared_buffer body) {
  const engine_config& cfg = engine_.config();
  if (engine_.draining()) return msrp::status_stop_sending;
  fanout::template_spec spec;
  const std::string_view bytes = body.view();
  // Moved, not shared: an unshared buffer's headroom can take the CPIM suffix (frame_template).
  spec.body_storage = std::move(body);
  spec.max_chunk_bytes = cfg.max_chunk_bytes;
  result<fanout::frame_template, fanout::fanout_error> made = fanout::fanout_error::ok;
  cpim::message parsed;
  std::string inner;
  const std::string sender_name = s.display_name();
  if (is_cpim(content_type)) {
    if (cpim::parse_final(bytes, parsed) != cpim::parse_error::ok) return msrp::status_unintelligible;
    spec.body = parsed.body;
    made = fanout::frame_template::from_participant(parsed, s.address(), sender_name, std::move(spec));
  } else {
    if (content_type.empty()) return msrp::status_unintelligible;
    inner = "Content-Type: " + std::string(content_type) + "\r\n";
    spec.from_uri = s.address();
    spec.from_name = sender_name;
    spec.datetime = wall_seconds();
    spec.inner_headers = inner;
    spec.body = bytes;
    made = fanout::frame_template::make(std::move(spec));
  }
  if (!made.ok())
    return made.error() == fanout::fanout_error::bad_cpim_headers ? msrp::status_unintelligible
                                                                  : msrp::status_media_not_understood;
  auto tmpl = std::make_shared<const fanout::frame_template>(std::move(made).value());
  fanout_plan plan;
  if (engine_.dir().plan(s.conference_id.view(), {}, s.participant_id.view(), plan) != directory_error::ok)
    return msrp::status_session_does_not_exist;
  auto pending = engine_.reserve_pending(std::string(s.conference_id.view()), plan.recipients());
  // MSRP has no "busy" status; 413 (RFC 4975 §7.2: stop sending this message) is the nearest.
  if (!pending) return msrp::status_stop_sending;
  std::string id = engine_.new_message_id();
  auto record = std::make_shared<message_record>(std::move(id), plan.members_of, plan.everyone,
                                                 std::move(plan.members), monotonic_ns());
  record->track_pending(std::move(pending));
  engine_.tracker().add(record);
  ++counters_.participant_messages;
  engine_.dispatch(record, tmpl, plan, shard_.id());
  return msrp::status_ok;
}

void shard_service::send_success_report(session& s, std::string_view message_id, std::uint64_t total) {
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

void shard_service::handle_response(connection_state& cs, const msrp::message& m) {
  ++counters_.responses_received;
  auto key = decode_delivery_tid(m.transaction_id);
  if (!key || key->outbound >= outbox_.size()) return;
  outbound& o = outbox_[key->outbound];
  if (!o.active || o.generation % 62 != key->generation || key->target >= o.targets.size()) return;
  const fanout_target& t = o.targets[key->target];
  session* s = sessions_.get(t.where.slot, t.where.generation);
  // Only the connection the SEND went out on may answer it.
  if (!s || !(s->conn == cs.ref)) return;
  if (m.status_code / 100 == 2) {
    if (key->last_chunk) settle_delivered(o, key->target);
  } else {
    settle_failed(o, key->target, failure_reason::error_response, m.status_code);
  }
  maybe_release(key->outbound);
}

void shard_service::release_connection_sessions(connection_state& cs, failure_reason why) {
  for (std::uint32_t slot : cs.sessions) {
    session& s = sessions_.at(slot);
    engine_.dir().unbind(s.session_id(), binding{shard_.id(), slot, s.generation});
    sessions_.release(slot, why);
  }
  cs.sessions.clear();
}

void shard_service::on_closed(reactor::shard&, reactor::connection_ref c, reactor::close_reason why,
                              std::span<const std::uint64_t> unsent_tokens) {
  for (std::uint64_t token : unsent_tokens) frame_done(token);
  connection_state* cs = state_of(c);
  if (!cs) return;
  failure_reason reason = why == reactor::close_reason::slow_consumer    ? failure_reason::slow_consumer
                          : why == reactor::close_reason::shard_stopping ? failure_reason::shutdown
                                                                         : failure_reason::disconnected;
  release_connection_sessions(*cs, reason);
  // Swap-remove from the connection list.
  connections_[cs->index] = connections_.back();
  connections_[cs->index]->index = cs->index;
  connections_.pop_back();
  by_index_[c.index] = nullptr;
  delete cs;
  schedule_sweep();
}

}  // namespace herald::conference
