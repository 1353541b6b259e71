// A shard's outbound side: stamp each target's frames in front of the shared body, queue them on the
// target's connection, and settle every target to delivered, sent or failed.
#include "shard_outbound.hpp"

#include <algorithm>

#include "herald/conference/engine.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"

namespace herald::conference {

namespace {
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

shard_outbound::shard_outbound(engine& eng, reactor::shard& shard, session_table& sessions)
    : engine_(eng),
      shard_(shard),
      sessions_(sessions),
      outbox_([this] { shard_.defer([this] { outbox_.publish_claims(); }); },
              eng.config().max_messages_in_flight) {}

void shard_outbound::start_fanout(fanout_slice slice) {
  const std::uint32_t slot = outbox_.open(std::move(slice));
  if (slot == outbox::no_slot) {
    // Every slot holds a message in flight: this slice cannot even be tracked here, so it fails at once.
    for (const auto& t : slice.targets)
      slice.record->mark_failed(t.recipient, failure_reason::outbox_full, 503);
    ++outbox_full_slices_;
    outbox_full_targets_ += slice.targets.size();
    HERALD_LOG(error, "outbox full")
        .kv("shard", shard_.id())
        .kv("targets", static_cast<std::uint64_t>(slice.targets.size()));
    return;
  }
  outbound& o = outbox_.at(slot);
  group_by_connection(o.targets, o.group_ends, o.group_keys);
  ++fanouts_started_;
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
void shard_outbound::stamp_pending() {
  stamp_deferred_ = false;
  std::size_t frames_since_submit = 0;
  std::size_t slice_frames = 0;
  while (!stamp_queue_.empty()) {
    const std::size_t window = std::min(stamp_queue_.size(), stamp_merge_window);
    std::uint32_t key = UINT32_MAX;
    for (std::size_t q = 0; q < window; ++q) {
      const outbound& o = outbox_.at(stamp_queue_[q]);
      key = std::min(key, o.group_keys[o.next_group]);
    }
    bool cut = false;
    for (std::size_t q = 0; q < window && !cut; ++q) {
      const std::uint32_t slot = stamp_queue_[q];
      outbound& o = outbox_.at(slot);  // nothing below opens outbound slots
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
      if (outbox_.at(slot).next_group < outbox_.at(slot).group_keys.size()) {
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

void shard_outbound::defer_stamping() {
  if (stamp_deferred_) return;
  stamp_deferred_ = true;
  shard_.defer([this] { stamp_pending(); });
}

void shard_outbound::finish_stamping(std::uint32_t slot) {
  outbound& o = outbox_.at(slot);
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
void shard_outbound::group_by_connection(std::vector<fanout_target>& targets,
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

std::size_t shard_outbound::stamp_target(std::uint32_t slot, outbound& o, std::uint32_t index) {
  const fanout_target& t = o.targets[index];
  std::size_t queued = 0;
  session* s = sessions_.get(t.where.slot, t.where.generation);
  if (!s) {
    outbox_.settle(o, index, delivery_state::failed, sessions_.why_gone(t.where.slot, t.where.generation));
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
      if (shard_.is_open(s->conn))
        outbox_.settle(o, index, delivery_state::failed, failure_reason::error_response, 500);
      return queued;
    }
    const bool last = cursor.offset + chunk >= total;
    delivery_key key{slot, o.generation % 62, index, last};
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
      outbox_.settle(o, index, delivery_state::failed, failure_reason::error_response, 500);
      return queued;
    }
    const fanout::stamped_frame& fr = stamped.value();
    reactor::frame f;
    f.add(fr.header);
    f.add(fr.body);
    f.add(fr.end_line);
    f.token = outbox::token(slot, o.generation, index, fr.last);
    reactor::send_error e = shard_.send(s->conn, std::move(f));
    if (e != reactor::send_error::ok) {
      if (e == reactor::send_error::slow_consumer) {
        outbox_.settle(o, index, delivery_state::failed, failure_reason::slow_consumer);
      } else if (shard_.is_open(s->conn)) {
        outbox_.settle(o, index, delivery_state::failed, failure_reason::disconnected);
      }  // else closing: on_closed settles it with the close's reason
      return queued;
    }
    ++o.frames_outstanding;
    ++o.frames_queued;
    ++queued;
    ++frames_stamped_;
    if (fr.last) return queued;
  }
}

outbound* shard_outbound::target_on(reactor::connection_ref conn, const delivery_key& key) {
  outbound* o = outbox_.find(key);
  if (!o) return nullptr;
  const fanout_target& t = o->targets[key.target];
  const session* s = sessions_.get(t.where.slot, t.where.generation);
  // Only the connection the SEND went out on may answer it.
  return s && s->conn == conn ? o : nullptr;
}

void shard_outbound::on_response(reactor::connection_ref conn, const delivery_key& key,
                                 std::uint16_t status) {
  outbound* o = target_on(conn, key);
  if (!o) return;
  if (status / 100 == 2) {
    // A transaction answered; with a success report asked for, the REPORT is what confirms it.
    if (key.last_chunk && o->confirm != confirmation::success_report)
      outbox_.settle(*o, key.target, delivery_state::delivered);
  } else {
    outbox_.settle(*o, key.target, delivery_state::failed, failure_reason::error_response, status);
  }
  maybe_release(key.outbound);
}

void shard_outbound::on_report(reactor::connection_ref conn, const delivery_key& key, std::uint16_t status,
                               bool covers_whole_message) {
  outbound* o = target_on(conn, key);
  if (!o) return;
  if (status != 200) {
    outbox_.settle(*o, key.target, delivery_state::failed, failure_reason::error_response, status);
  } else if (covers_whole_message && o->confirm == confirmation::success_report) {
    outbox_.settle(*o, key.target, delivery_state::delivered);
  }
  maybe_release(key.outbound);
}

void shard_outbound::on_timeout(std::uint32_t slot, std::uint32_t generation) {
  if (slot >= outbox_.slots()) return;
  outbound& o = outbox_.at(slot);
  if (!o.active || o.generation != generation) return;
  o.timer = 0;
  for (std::uint32_t i = 0; i < o.targets.size() && o.unsettled > 0; ++i) {
    if (o.record->state(o.targets[i].recipient) != delivery_state::pending) continue;
    // Failure-Report partial: no error within the timeout is all the sender ever learns (RFC 4975 §7.1.2),
    // for a target whose frames did reach its connection.
    if (o.confirm == confirmation::errors_only && o.written[i]) {
      outbox_.settle(o, i, delivery_state::sent);
    } else {
      outbox_.settle(o, i, delivery_state::failed, failure_reason::timeout, 408);
    }
  }
  maybe_release(slot);
}

void shard_outbound::frames_done(std::span<const std::uint64_t> tokens, bool written) {
  for (std::uint64_t token : tokens) {
    const outbox::frame_ref f = outbox_.frame_done(token);
    if (f.slot == outbox::no_slot) continue;
    outbound& o = outbox_.at(f.slot);
    if (written && f.last) {
      // Failure-Report no: nothing will come back, so a target is sent once its last frame is written.
      if (o.confirm == confirmation::none) outbox_.settle(o, f.target, delivery_state::sent);
      if (o.confirm == confirmation::errors_only) o.written[f.target] = true;
    }
    if (o.frames_outstanding == 0 && !o.stamping) o.record->note_written(monotonic_ns());
    maybe_release(f.slot);
  }
}

void shard_outbound::maybe_release(std::uint32_t slot) {
  outbound& o = outbox_.at(slot);
  if (!o.active || o.stamping) return;  // frames not stamped yet still need the template
  // The body goes as soon as its last frame is written; the record stays until every target settled.
  if (o.frames_outstanding == 0) o.tmpl.reset();
  if (!outbox::finished(o)) return;
  if (o.timer) shard_.cancel_timer(o.timer);
  outbox_.release(slot);
}

void shard_outbound::schedule_sweep() {
  if (sweep_scheduled_) return;
  sweep_scheduled_ = true;
  // After the current batch of completions: many closes (a mass disconnect) cost one sweep.
  shard_.post([this] { sweep(); });
}

void shard_outbound::sweep() {
  sweep_scheduled_ = false;
  outbox_.for_each_active([this](std::uint32_t slot, outbound& o) {
    if (o.unsettled == 0) return;
    for (std::uint32_t i = 0; i < o.targets.size(); ++i) {
      const fanout_target& t = o.targets[i];
      if (sessions_.get(t.where.slot, t.where.generation)) continue;
      if (o.record->state(t.recipient) != delivery_state::pending) continue;
      outbox_.settle(o, i, delivery_state::failed, sessions_.why_gone(t.where.slot, t.where.generation));
    }
    maybe_release(slot);
  });
}

void shard_outbound::fail_all(failure_reason why) {
  // Nothing more goes out: targets not stamped yet fail with the rest.
  for (std::uint32_t slot : stamp_queue_) {
    outbox_.at(slot).next_group = static_cast<std::uint32_t>(outbox_.at(slot).group_ends.size());
    finish_stamping(slot);
  }
  stamp_queue_.clear();
  outbox_.for_each_active([this, why](std::uint32_t slot, outbound& o) {
    for (std::uint32_t i = 0; i < o.targets.size() && o.unsettled > 0; ++i)
      if (o.record->state(o.targets[i].recipient) == delivery_state::pending)
        outbox_.settle(o, i, delivery_state::failed, why);
    maybe_release(slot);
  });
}

}  // namespace herald::conference
