// A shard's outbound side: stamp each target's frames in front of the shared body, queue them on the
// target's connection, and track every delivery to delivered or failed (response, timeout, close).
#include <algorithm>

#include "connection_state.hpp"
#include "herald/conference/engine.hpp"
#include "herald/conference/shard_service.hpp"
#include "herald/conference/transaction_id.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"

namespace herald::conference {

namespace {
// Frame tokens name (outbound slot, generation) so written/failed frames are counted per message.
constexpr std::uint64_t token_flag = 1ULL << 63;
std::uint64_t make_token(std::uint32_t slot, std::uint32_t generation) {
  return token_flag | (std::uint64_t(slot) << 32) | generation;
}
constexpr std::uint64_t tick_ns = 100'000'000;
// A fan-out hands its queued frames to the kernel after about this many, at a connection boundary: the
// headers stamped since the last submit (~370 B each) then fit in L2 when the kernel copies them.
constexpr std::size_t submit_every_frames = 512;
// Frames stamped per loop iteration before the rest of a fan-out waits for the next one.
constexpr std::size_t stamp_slice_frames = 2048;
// Queued messages stamped together, connection by connection (the oldest this many).
constexpr std::size_t stamp_merge_window = 16;
// How far ahead a fan-out fetches a target's session, then its frame bytes: a stamp takes ~100-200 ns,
// so a few targets of lead cover a memory miss.
constexpr std::uint32_t kPrefetchSession = 16;
constexpr std::uint32_t kPrefetchBytes = 8;
}  // namespace

shard_service::shard_service(engine& eng, reactor::shard& shard) : engine_(eng), shard_(shard) {
  limits_.max_body_bytes = std::max<std::size_t>(eng.config().max_message_bytes, 64 * 1024);
  limits_.check_byte_range_length = true;
  // Responses are matched by transaction id and connection; their paths are never used.
  limits_.validate_response_paths = false;
  tick_timer_ = shard_.add_timer(monotonic_ns() + tick_ns, [this] { on_tick(); });
}

shard_service::~shard_service() {
  flush_claims();  // the loop has stopped: what it claimed last still has to be counted
  for (connection_state* cs : connections_) delete cs;
}

void shard_service::deliver(fanout_slice slice) {
  std::uint32_t slot;
  if (!free_outbound_.empty()) {
    slot = free_outbound_.back();
    free_outbound_.pop_back();
  } else if (outbox_.size() < max_outbound_slots) {
    slot = static_cast<std::uint32_t>(outbox_.size());
    outbox_.emplace_back();
  } else {
    for (const auto& t : slice.targets) slice.record->mark_failed(t.recipient, failure_reason::shutdown, 503);
    HERALD_LOG(error, "outbox full").kv("shard", shard_.id());
    return;
  }
  outbound& o = outbox_[slot];
  o.generation = o.generation + 1;
  o.active = true;
  o.record = std::move(slice.record);
  o.tmpl = std::move(slice.tmpl);
  o.targets = std::move(slice.targets);
  group_by_connection(o.targets, o.group_ends, o.group_keys);
  o.next_group = 0;
  o.next_target = 0;
  o.stamping = true;
  o.unsettled = o.targets.size();
  o.frames_outstanding = 0;
  o.frames_queued = 0;
  ++counters_.outbound_messages;
  if (o.group_ends.empty()) {  // no targets on this shard
    finish_stamping(slot);
    return;
  }
  // Each connection gets its messages in arrival order (stamp_pending), so a recipient never sees a
  // later message first.
  stamp_queue_.push_back(slot);
  if (stamp_queue_.size() == 1) stamp_pending();
}

// Stamps queued messages for about stamp_slice_frames frames, then defers the rest to the next loop
// iteration. Between slices the loop reaps send completions (their header chunks go back to the pool and
// are reused while still in cache) and settles responses.
//
// With several messages queued (a backlog), they are stamped together connection by connection: the
// smallest connection key any of them still has to do, in every message that has it, oldest first. Each
// message's runs are in ascending key order, so a connection still gets its messages in arrival order,
// and one sendmsg carries all their frames for it instead of one message's. A run longer than a slice
// (a relay) is cut, and the messages after it wait for its end. Queued frames are submitted at
// connection boundaries.
void shard_service::stamp_pending() {
  stamp_deferred_ = false;
  std::size_t frames_since_submit = 0;
  std::size_t slice_frames = 0;
  while (!stamp_queue_.empty()) {
    const std::size_t window = std::min(stamp_queue_.size(), stamp_merge_window);
    std::uint32_t key = UINT32_MAX;
    for (std::size_t q = 0; q < window; ++q) {
      const outbound& o = outbox_[stamp_queue_[q]];
      key = std::min(key, o.group_keys[o.next_group]);
    }
    bool cut = false;
    for (std::size_t q = 0; q < window && !cut; ++q) {
      const std::uint32_t slot = stamp_queue_[q];
      outbound& o = outbox_[slot];  // nothing below adds outbound slots
      if (o.group_keys[o.next_group] != key) continue;
      const std::uint32_t group_end = o.group_ends[o.next_group];
      const std::uint32_t end = std::min<std::uint32_t>(group_end, o.next_target + stamp_slice_frames);
      for (std::uint32_t i = o.next_target; i < end; ++i) {
        if (i + kPrefetchSession < end) sessions_.prefetch(o.targets[i + kPrefetchSession].where.slot);
        if (i + kPrefetchBytes < end)
          sessions_.prefetch_frame_bytes(o.targets[i + kPrefetchBytes].where.slot);
        frames_since_submit += stamp_target(slot, o, i);
      }
      o.next_target = end;
      if (end == group_end) {
        ++o.next_group;
      } else {
        cut = true;
      }
    }
    // Messages with nothing left to stamp leave the queue, whatever their place in it.
    for (std::size_t q = 0, left = window; q < left;) {
      const std::uint32_t slot = stamp_queue_[q];
      if (outbox_[slot].next_group < outbox_[slot].group_keys.size()) {
        ++q;
        continue;
      }
      stamp_queue_.erase(stamp_queue_.begin() + static_cast<std::ptrdiff_t>(q));
      --left;
      finish_stamping(slot);
    }
    if (frames_since_submit < submit_every_frames && !cut) continue;
    shard_.submit_sends();
    slice_frames += frames_since_submit;
    frames_since_submit = 0;
    if (slice_frames >= stamp_slice_frames && !stamp_queue_.empty()) {
      defer_stamping();
      return;
    }
  }
}

void shard_service::defer_stamping() {
  if (stamp_deferred_) return;
  stamp_deferred_ = true;
  shard_.defer([this] { stamp_pending(); });
}

void shard_service::finish_stamping(std::uint32_t slot) {
  outbound& o = outbox_[slot];
  o.stamping = false;
  std::vector<std::uint32_t>().swap(o.group_ends);
  std::vector<std::uint32_t>().swap(o.group_keys);
  // Every frame stamped so far may already be written: then the fan-out is on the wire now.
  if (o.frames_queued > 0 && o.frames_outstanding == 0) o.record->note_written(monotonic_ns());
  if (o.unsettled > 0) {
    const std::uint32_t generation = o.generation;
    o.timer = shard_.add_timer(monotonic_ns() + engine_.config().transaction_timeout_ns,
                               [this, slot, generation] { on_timeout(slot, generation); });
  }
  maybe_release(slot);
}

// Rosters interleave connections (a relay binds its sessions whenever its users join), so stamping in
// roster order touches a different connection, frame queue and header buffer for nearly every target.
// A stable counting sort by connection keeps each connection's targets together: its queue and header
// chunk stay in cache while its frames are stamped, and each connection still gets its frames in roster
// order. group_ends receives the end index of each connection's run, group_keys its connection key.
void shard_service::group_by_connection(std::vector<fanout_target>& targets,
                                        std::vector<std::uint32_t>& group_ends,
                                        std::vector<std::uint32_t>& group_keys) {
  group_ends.clear();
  group_keys.clear();
  constexpr std::uint32_t gone = 0;  // settled as failed in stamp_target whatever their place
  target_conn_.resize(targets.size());
  std::uint32_t buckets = 1;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    // Roster order is not slot order (sessions bind connection by connection): fetch ahead.
    if (i + kPrefetchSession < targets.size()) sessions_.prefetch(targets[i + kPrefetchSession].where.slot);
    const session* s = sessions_.get(targets[i].where.slot, targets[i].where.generation);
    const std::uint32_t key = s ? s->conn.index + 1 : gone;
    target_conn_[i] = key;
    buckets = std::max(buckets, key + 1);
  }
  conn_start_.assign(buckets + 1, 0);
  for (std::uint32_t key : target_conn_) ++conn_start_[key + 1];
  for (std::uint32_t b = 1; b <= buckets; ++b) {
    if (conn_start_[b] != 0) {
      group_ends.push_back(conn_start_[b - 1] + conn_start_[b]);
      group_keys.push_back(b - 1);
    }
    conn_start_[b] += conn_start_[b - 1];
  }
  if (group_ends.size() < 2) return;  // one connection (or none): already grouped
  std::vector<fanout_target> sorted(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) sorted[conn_start_[target_conn_[i]]++] = targets[i];
  targets.swap(sorted);
}

std::size_t shard_service::stamp_target(std::uint32_t slot, outbound& o, std::uint32_t index) {
  const fanout_target& t = o.targets[index];
  std::size_t queued = 0;
  session* s = sessions_.get(t.where.slot, t.where.generation);
  if (!s) {
    settle_failed(o, index, sessions_.why_gone(t.where.slot, t.where.generation), 0);
    return queued;
  }
  char tid[delivery_tid_chars];
  fanout::recipient r(s->frame_bytes);
  std::size_t max_bytes = o.tmpl->max_stamp_bytes(r);
  std::uint64_t total = o.tmpl->msrp_body_bytes(r);
  std::size_t chunk = engine_.config().max_chunk_bytes;
  fanout::chunk_cursor cursor;
  while (true) {
    char* out = shard_.header_alloc(s->conn, max_bytes);
    if (!out) {
      // A closing connection (e.g. just cut loose as a slow consumer) is settled by on_closed with the
      // reason it closed for; an open one refused only because the header exceeds the pool's chunk.
      if (shard_.is_open(s->conn)) settle_failed(o, index, failure_reason::error_response, 500);
      return queued;
    }
    delivery_key key{slot, o.generation % 62, index, cursor.offset + chunk >= total};
    result<fanout::stamped_frame, fanout::fanout_error> stamped = fanout::fanout_error::ok;
    // A tid whose end-line occurs in the body is redrawn (RFC 4975 §7.1); the random tail changes.
    for (int attempt = 0; attempt < 8; ++attempt) {
      encode_delivery_tid(key, rng_, tid);
      r.transaction_id = std::string_view(tid, delivery_tid_chars);
      stamped = o.tmpl->stamp(r, std::span<char>(out, max_bytes), cursor, rng_);
      if (stamped.error() != fanout::fanout_error::unsafe_transaction_id) break;
    }
    if (!stamped.ok()) {
      HERALD_LOG(error, "stamp failed").kv("error", fanout::to_string(stamped.error()));
      settle_failed(o, index, failure_reason::error_response, 500);
      return queued;
    }
    const fanout::stamped_frame& fr = stamped.value();
    reactor::frame f;
    f.add(fr.header);
    f.add(fr.body);
    f.add(fr.end_line);
    f.token = make_token(slot, o.generation);
    reactor::send_error e = shard_.send(s->conn, std::move(f));
    if (e != reactor::send_error::ok) {
      if (e == reactor::send_error::slow_consumer) {
        settle_failed(o, index, failure_reason::slow_consumer, 0);
      } else if (shard_.is_open(s->conn)) {
        settle_failed(o, index, failure_reason::disconnected, 0);
      }  // else closing: on_closed settles it with the close's reason
      return queued;
    }
    ++o.frames_outstanding;
    ++o.frames_queued;
    ++queued;
    ++counters_.frames_stamped;
    if (fr.last) return queued;
  }
}

bool shard_service::settle_delivered(outbound& o, std::uint32_t index) {
  if (!o.record->claim(o.targets[index].recipient, delivery_state::delivered, failure_reason::none, 200))
    return false;
  --o.unsettled;
  ++counters_.delivered;
  note_claim(o, true);
  return true;
}

bool shard_service::settle_failed(outbound& o, std::uint32_t index, failure_reason why,
                                  std::uint16_t status) {
  if (!o.record->claim(o.targets[index].recipient, delivery_state::failed, why, status)) return false;
  --o.unsettled;
  ++counters_.failed[static_cast<std::size_t>(why)];
  note_claim(o, false);
  return true;
}

// Claims reach the record's shared counters once per loop iteration (flush_claims), or when the
// outbound is released, whichever comes first.
void shard_service::note_claim(outbound& o, bool delivered) {
  if (o.claimed_delivered + o.claimed_failed == 0)
    claimed_slots_.push_back(static_cast<std::uint32_t>(&o - outbox_.data()));
  ++(delivered ? o.claimed_delivered : o.claimed_failed);
  if (claims_flush_deferred_) return;
  claims_flush_deferred_ = true;
  shard_.defer([this] { flush_claims(); });
}

void shard_service::flush_claims() {
  claims_flush_deferred_ = false;
  for (std::uint32_t slot : claimed_slots_) publish_claims(outbox_[slot]);
  claimed_slots_.clear();
}

void shard_service::publish_claims(outbound& o) {
  if (o.claimed_delivered + o.claimed_failed == 0 || !o.record) return;
  o.record->add_settled(o.claimed_delivered, o.claimed_failed);
  o.claimed_delivered = 0;
  o.claimed_failed = 0;
}

void shard_service::on_timeout(std::uint32_t slot, std::uint32_t generation) {
  if (slot >= outbox_.size()) return;
  outbound& o = outbox_[slot];
  if (!o.active || o.generation != generation) return;
  o.timer = 0;
  for (std::uint32_t i = 0; i < o.targets.size() && o.unsettled > 0; ++i)
    if (o.record->state(o.targets[i].recipient) == delivery_state::pending)
      settle_failed(o, i, failure_reason::timeout, 408);
  maybe_release(slot);
}

void shard_service::frame_done(std::uint64_t token) {
  if (!(token & token_flag)) return;
  std::uint32_t slot = static_cast<std::uint32_t>((token & ~token_flag) >> 32);
  std::uint32_t generation = static_cast<std::uint32_t>(token);
  if (slot >= outbox_.size()) return;
  outbound& o = outbox_[slot];
  if (!o.active || o.generation != generation || o.frames_outstanding == 0) return;
  --o.frames_outstanding;
  if (o.frames_outstanding == 0 && !o.stamping) o.record->note_written(monotonic_ns());
  maybe_release(slot);
}

void shard_service::on_frames_written(reactor::shard&, reactor::connection_ref,
                                      std::span<const std::uint64_t> tokens) {
  for (std::uint64_t token : tokens) frame_done(token);
}

void shard_service::maybe_release(std::uint32_t slot) {
  outbound& o = outbox_[slot];
  if (!o.active || o.stamping) return;  // frames not stamped yet still need the template
  // The body goes as soon as its last frame is written; the record stays until every target settled.
  if (o.frames_outstanding == 0) o.tmpl.reset();
  if (o.unsettled > 0 || o.frames_outstanding > 0) return;
  if (o.timer) shard_.cancel_timer(o.timer);
  o.timer = 0;
  o.active = false;
  publish_claims(o);
  o.record.reset();
  o.tmpl.reset();
  std::vector<fanout_target>().swap(o.targets);
  free_outbound_.push_back(slot);
}

void shard_service::schedule_sweep() {
  if (sweep_scheduled_) return;
  sweep_scheduled_ = true;
  // After the current batch of completions: many closes (a mass disconnect) cost one sweep.
  shard_.post([this] { sweep(); });
}

// Fails pending targets whose session has gone (disconnect, slow consumer, removal).
void shard_service::sweep() {
  sweep_scheduled_ = false;
  for (std::uint32_t slot = 0; slot < outbox_.size(); ++slot) {
    outbound& o = outbox_[slot];
    if (!o.active || o.unsettled == 0) continue;
    for (std::uint32_t i = 0; i < o.targets.size(); ++i) {
      const fanout_target& t = o.targets[i];
      if (sessions_.get(t.where.slot, t.where.generation)) continue;
      if (o.record->state(t.recipient) != delivery_state::pending) continue;
      settle_failed(o, i, sessions_.why_gone(t.where.slot, t.where.generation), 0);
    }
    maybe_release(slot);
  }
}

void shard_service::drop_sessions(const std::vector<binding>& gone, failure_reason why) {
  for (const binding& b : gone) {
    if (b.shard != shard_.id()) continue;
    session* s = sessions_.get(b.slot, b.generation);
    if (!s) continue;
    connection_state* cs = state_of(s->conn);
    if (cs) {
      std::erase(cs->sessions, b.slot);
      update_queue_limit(*cs);
      cs->chunks.drop_session(b.slot);
    }
    sessions_.release(b.slot, why);
  }
  sweep();
}

void shard_service::fail_all(failure_reason why) {
  // Nothing more goes out: targets not stamped yet fail with the rest.
  for (std::uint32_t slot : stamp_queue_) {
    outbox_[slot].next_group = outbox_[slot].group_ends.size();
    finish_stamping(slot);
  }
  stamp_queue_.clear();
  for (std::uint32_t slot = 0; slot < outbox_.size(); ++slot) {
    outbound& o = outbox_[slot];
    if (!o.active) continue;
    for (std::uint32_t i = 0; i < o.targets.size() && o.unsettled > 0; ++i)
      if (o.record->state(o.targets[i].recipient) == delivery_state::pending) settle_failed(o, i, why, 0);
    maybe_release(slot);
  }
}

std::size_t shard_service::frames_outstanding() const {
  std::size_t n = 0;
  for (const outbound& o : outbox_)
    if (o.active) n += o.frames_outstanding;
  return n;
}

void shard_service::on_tick() {
  std::uint64_t now = monotonic_ns();
  const engine_config& cfg = engine_.config();
  for (std::size_t i = 0; i < connections_.size();) {
    connection_state* cs = connections_[i++];
    cs->chunks.expire(now);
    // Slowloris: a message started but not finished within the header timeout closes the connection.
    if (cs->partial_since_ns && now - cs->partial_since_ns > cfg.header_timeout_ns && !cs->closing) {
      cs->closing = true;
      HERALD_LOG(info, "closing slow sender").kv("shard", shard_.id());
      shard_.close(cs->ref, reactor::close_reason::timeout);
    }
  }
  publish_metrics();
  tick_timer_ = shard_.add_timer(now + tick_ns, [this] { on_tick(); });
}

void shard_service::publish_metrics() {
  shard_metrics m = counters_;
  m.loop = shard_.stats();
  m.sessions = sessions_.live();
  m.connections = shard_.open_connections();
  std::uint64_t queued = 0, reassembly = 0;
  for (connection_state* cs : connections_) {
    queued += shard_.queued_bytes(cs->ref);
    reassembly += cs->chunks.bytes();
  }
  m.queued_bytes = queued;
  m.reassembly_bytes = reassembly;
  m.stamp_backlog = stamp_queue_.size();
  std::lock_guard lock(published_mutex_);
  published_ = m;
}

shard_metrics shard_service::metrics() const {
  std::lock_guard lock(published_mutex_);
  return published_;
}

}  // namespace herald::conference
