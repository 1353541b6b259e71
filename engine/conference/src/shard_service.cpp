// One shard's MSRP service: the reactor's events routed to the inbound and outbound sides, and the
// shard's /metrics snapshot.
#include "herald/conference/shard_service.hpp"

#include "herald/core/clock.hpp"
#include "shard_inbound.hpp"
#include "shard_outbound.hpp"

namespace herald::conference {

namespace {
constexpr std::uint64_t tick_ns = 100'000'000;
}  // namespace

shard_service::shard_service(engine& eng, reactor::shard& shard)
    : shard_(shard),
      outbound_(std::make_unique<shard_outbound>(eng, shard, sessions_)),
      inbound_(std::make_unique<shard_inbound>(eng, shard, sessions_, *outbound_)) {
  tick_timer_ = shard_.add_timer(monotonic_ns() + tick_ns, [this] { on_tick(); });
}

shard_service::~shard_service() {
  outbound_->publish_claims();  // the loop has stopped: what it claimed last still has to be counted
}

void shard_service::start_fanout(fanout_slice slice) {
  outbound_->start_fanout(std::move(slice));
}

void shard_service::drop_sessions(const std::vector<binding>& gone, failure_reason why) {
  inbound_->drop_sessions(gone, why);
  outbound_->sweep();
}

void shard_service::fail_all(failure_reason why) {
  outbound_->fail_all(why);
}

std::size_t shard_service::frames_outstanding() const {
  return outbound_->frames_outstanding();
}

void shard_service::on_open(reactor::shard&, reactor::connection_ref c) {
  inbound_->on_open(c);
}

std::size_t shard_service::on_data(reactor::shard&, reactor::connection_ref c, std::string_view bytes) {
  return inbound_->on_data(c, bytes);
}

void shard_service::on_frames_written(reactor::shard&, reactor::connection_ref,
                                      std::span<const std::uint64_t> tokens) {
  outbound_->frames_done(tokens, true);
}

void shard_service::on_closed(reactor::shard&, reactor::connection_ref c, reactor::close_reason why,
                              std::span<const std::uint64_t> unsent_tokens) {
  outbound_->frames_done(unsent_tokens, false);
  inbound_->on_closed(c, why);
  outbound_->schedule_sweep();
}

void shard_service::on_tick() {
  const std::uint64_t now = monotonic_ns();
  inbound_->on_tick(now);
  publish_metrics();
  tick_timer_ = shard_.add_timer(now + tick_ns, [this] { on_tick(); });
}

void shard_service::publish_metrics() {
  shard_metrics m;
  m.loop = shard_.stats();
  m.in = inbound_->counters();
  m.out = outbound_->counters();
  m.out.failed[static_cast<std::size_t>(failure_reason::outbox_full)] += outbound_->outbox_full_targets();
  m.sessions = sessions_.live();
  m.connections = shard_.open_connections();
  m.queued_bytes = inbound_->queued_bytes();
  m.reassembly_bytes = inbound_->reassembly_bytes();
  m.outbound_messages = outbound_->fanouts_started();
  m.frames_stamped = outbound_->frames_stamped();
  m.stamp_backlog = outbound_->stamp_backlog();
  m.outbox_full = outbound_->outbox_full_slices();
  std::lock_guard lock(published_mutex_);
  published_ = m;
}

shard_metrics shard_service::metrics() const {
  std::lock_guard lock(published_mutex_);
  return published_;
}

}  // namespace herald::conference
