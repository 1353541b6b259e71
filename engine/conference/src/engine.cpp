// The conference engine: shard lifecycle, cross-shard dispatch of fan-out slices, control operations.
#include "herald/conference/engine.hpp"

#include <algorithm>
#include <thread>

#include "herald/core/ascii.hpp"
#include "herald/core/clock.hpp"
#include "herald/core/log.hpp"
#include "herald/cpim/external_body.hpp"
#include "herald/cpim/parser.hpp"

namespace herald::conference {

std::string_view to_string(submit_error e) {
  switch (e) {
    case submit_error::ok:
      return "ok";
    case submit_error::no_such_conference:
      return "no_such_conference";
    case submit_error::unknown_recipients:
      return "unknown_recipients";
    case submit_error::draining:
      return "draining";
    case submit_error::too_many_pending:
      return "too_many_pending";
    case submit_error::body_too_large:
      return "body_too_large";
    case submit_error::unreadable_content:
      return "unreadable_content";
    case submit_error::unusable_content:
      return "unusable_content";
  }
  return "unknown";
}

engine::engine(engine_config cfg)
    : cfg_(std::move(cfg)),
      dir_(directory_limits{cfg_.max_conferences, cfg_.max_participants_per_conference}),
      tracker_(cfg_.message_retention_ns) {
  if (cfg_.shards == 0) cfg_.shards = std::max(1u, std::thread::hardware_concurrency());
}

engine::~engine() {
  stop();
}

int engine::start(std::string_view host, std::uint16_t port) {
  reactor::shard_config sc;
  sc.max_queue_bytes = cfg_.max_queue_bytes;
  // One message's worth of input may sit unconsumed while its end-line is awaited.
  sc.max_input_bytes = cfg_.max_message_bytes + 64 * 1024;
  services_.resize(cfg_.shards);
  shard_descriptions_.resize(cfg_.shards);
  int rc = shards_.start(
      cfg_.shards, sc,
      [this](reactor::shard& s) -> reactor::connection_handler* {
        services_[s.id()] = std::make_unique<shard_service>(*this, s);
        shard_descriptions_[s.id()] = s.features().describe();
        return services_[s.id()].get();
      },
      cfg_.pin_threads);
  if (rc < 0) return rc;
  started_ = true;
  if (host.empty()) return 0;
  return shards_.listen(host, port);
}

int engine::listen_tls(std::string_view host, std::uint16_t port,
                       std::shared_ptr<const reactor::tls_endpoint> tls) {
  return shards_.listen(host, port, 1024, std::move(tls));
}

shard_service* engine::attach_caller_shard(reactor::shard& s) {
  services_.clear();
  services_.push_back(std::make_unique<shard_service>(*this, s));
  shard_descriptions_.assign(1, s.features().describe());
  s.set_handler(services_.back().get());
  caller_shard_ = &s;
  return services_.back().get();
}

void engine::post(std::size_t shard, reactor::task t) {
  if (caller_shard_) {
    caller_shard_->post(std::move(t));
  } else {
    shards_.post(static_cast<std::uint16_t>(shard), std::move(t));
  }
}

std::string engine::session_path(std::string_view session_id, bool tls) const {
  std::string path = tls ? "msrps://" : "msrp://";
  path += tls ? cfg_.advertise_tls : cfg_.advertise;
  path += '/';
  path += session_id;
  path += ";tcp";
  return path;
}

host_port engine::advertised(bool tls) const {
  std::string_view a = tls ? cfg_.advertise_tls : cfg_.advertise;
  const std::size_t colon = a.rfind(':');
  host_port out;
  std::uint64_t port = 0;
  if (colon != std::string_view::npos && ascii::parse_u64(a.substr(colon + 1), port) && port <= 65535) {
    out.port = static_cast<std::uint16_t>(port);
    a = a.substr(0, colon);
  }
  if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  out.host.assign(a);
  return out;
}

std::string engine::describe_shard(std::size_t i) const {
  return i < shard_descriptions_.size() ? shard_descriptions_[i] : std::string();
}

std::shared_ptr<std::atomic<std::size_t>> engine::reserve_pending(const std::string& conference_id,
                                                                  std::size_t n) {
  std::shared_ptr<std::atomic<std::size_t>> counter;
  {
    std::lock_guard lock(pending_mutex_);
    auto slot = pending_by_conference_.find(conference_id);
    if (slot != pending_by_conference_.end()) {
      counter = slot->second;
    } else {
      counter = std::make_shared<std::atomic<std::size_t>>(0);
      // A conference deleted since the caller planned this message must not get its counter back: that
      // entry would outlive the conference. Checked under the lock delete_conference() erases under, after
      // the directory has dropped the conference, so either the check sees it gone or the erase follows.
      conference_info info;
      if (dir_.get_conference(conference_id, info) == directory_error::ok)
        pending_by_conference_.emplace(conference_id, counter);
    }
  }
  std::size_t seen = counter->load(std::memory_order_acquire);
  do {
    if (seen + n > cfg_.max_pending_deliveries) return nullptr;
  } while (!counter->compare_exchange_weak(seen, seen + n, std::memory_order_acq_rel));
  return counter;
}

message_memory engine::memory() const {
  message_memory m;
  {
    std::lock_guard lock(records_mutex_);
    std::erase_if(records_, [](const registered_record& e) { return e.record.expired(); });
    m.records_live = records_.size();
  }
  m.slices_live = slices_live_.load(std::memory_order_acquire);
  m.templates_live = templates_live_.load(std::memory_order_acquire);
  m.body_bytes_live = body_bytes_live_.load(std::memory_order_acquire);
  {
    std::lock_guard lock(pending_mutex_);
    m.pending_counters = pending_by_conference_.size();
  }
  return m;
}

void engine::register_record(const std::shared_ptr<message_record>& record) {
  std::lock_guard lock(records_mutex_);
  if (records_.size() >= records_prune_at_) {
    // Amortised: each prune at least halves the entries kept relative to the next threshold.
    std::erase_if(records_, [](const registered_record& e) { return e.record.expired(); });
    records_prune_at_ = std::max<std::size_t>(64, 2 * records_.size());
  }
  records_.push_back({record, records_sequence_++});
}

std::vector<std::shared_ptr<message_record>> engine::unfinished_messages(std::uint64_t& next) const {
  std::vector<std::shared_ptr<message_record>> out;
  std::lock_guard lock(records_mutex_);
  for (const registered_record& e : records_)
    if (auto r = e.record.lock(); r && !r->complete()) out.push_back(std::move(r));
  next = records_sequence_;
  return out;
}

std::vector<std::shared_ptr<message_record>> engine::messages_since(std::uint64_t first) const {
  std::vector<std::shared_ptr<message_record>> out;
  std::lock_guard lock(records_mutex_);
  for (const registered_record& e : records_)
    if (e.sequence >= first)
      if (auto r = e.record.lock()) out.push_back(std::move(r));
  return out;
}

message_outcome outcome_of(const message_record& r) {
  message_outcome o;
  o.recipients = r.recipients();
  for (std::size_t i = 0; i < o.recipients; ++i) {
    switch (r.state(i)) {
      case delivery_state::delivered:
        ++o.delivered;
        break;
      case delivery_state::sent:
        ++o.sent;
        break;
      case delivery_state::failed:
        ++o.failed;
        ++o.failed_by_reason[static_cast<std::size_t>(r.reason(i))];
        break;
      case delivery_state::pending:
        ++o.pending;
        break;
    }
  }
  return o;
}

std::vector<shard_metrics> engine::metrics() const {
  std::vector<shard_metrics> out;
  for (const auto& s : services_)
    if (s) out.push_back(s->metrics());
  return out;
}

void engine::dispatch(const std::shared_ptr<message_record>& record,
                      const std::shared_ptr<const fanout::frame_template>& tmpl,
                      const std::vector<fanout_target>& targets, int local_shard) {
  register_record(record);
  std::vector<std::vector<fanout_target>> slices(services_.size());
  // Recipients that cannot be reached fail here, claimed one by one and counted once: a conference where
  // most participants are registered but not connected must not cost three shared atomics per recipient.
  std::size_t removed = 0, not_connected = 0;
  for (const fanout_target& t : targets) {
    if (!t.where.bound() || static_cast<std::size_t>(t.where.shard) >= slices.size()) {
      // Removed between the roster being taken and its walk, or never bound.
      const bool gone = t.where.shard == binding::removed;
      if (record->claim(t.recipient, delivery_state::failed,
                        gone ? failure_reason::participant_removed : failure_reason::not_connected, 0))
        ++(gone ? removed : not_connected);
      continue;
    }
    slices[static_cast<std::size_t>(t.where.shard)].push_back(t);
  }
  if (removed + not_connected > 0) {
    record->add_settled(0, 0, removed + not_connected);
    failed_outside_[static_cast<std::size_t>(failure_reason::participant_removed)].fetch_add(
        removed, std::memory_order_relaxed);
    failed_outside_[static_cast<std::size_t>(failure_reason::not_connected)].fetch_add(
        not_connected, std::memory_order_relaxed);
  }
  // The shards get counted handles (one allocation per message and per slice, never per recipient): the
  // deleters lower the /metrics gauges that show per-message state being released.
  std::shared_ptr<const fanout::frame_template> counted_tmpl;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    if (slices[i].empty()) continue;
    if (!counted_tmpl) {
      const std::size_t body_bytes = tmpl->body().size();
      templates_live_.fetch_add(1, std::memory_order_acq_rel);
      body_bytes_live_.fetch_add(body_bytes, std::memory_order_acq_rel);
      counted_tmpl = std::shared_ptr<const fanout::frame_template>(
          tmpl.get(), [this, keep = tmpl, body_bytes](const fanout::frame_template*) mutable {
            keep.reset();
            body_bytes_live_.fetch_sub(body_bytes, std::memory_order_acq_rel);
            templates_live_.fetch_sub(1, std::memory_order_acq_rel);
          });
    }
    slices_live_.fetch_add(1, std::memory_order_acq_rel);
    std::shared_ptr<message_record> counted_record(record.get(),
                                                   [this, keep = record](message_record*) mutable {
                                                     keep.reset();
                                                     slices_live_.fetch_sub(1, std::memory_order_acq_rel);
                                                   });
    fanout_slice slice{std::move(counted_record), counted_tmpl, std::move(slices[i])};
    if (static_cast<int>(i) == local_shard) {
      services_[i]->start_fanout(std::move(slice));
      continue;
    }
    shard_service* svc = services_[i].get();
    post(i, [svc, s = std::make_shared<fanout_slice>(std::move(slice))]() mutable {
      svc->start_fanout(std::move(*s));
    });
  }
}

namespace {

bool is_cpim(std::string_view content_type) {
  return ascii::iequals(ascii::trim_wsp(content_type.substr(0, content_type.find(';'))), "message/cpim");
}

// The domain of a conference URI (sip:team@example.com -> example.com), for generated Content-IDs.
std::string_view uri_domain(std::string_view uri) {
  const auto at = uri.find('@');
  std::string_view host = at == std::string_view::npos ? uri.substr(uri.find(':') + 1) : uri.substr(at + 1);
  host = host.substr(0, host.find_first_of(";?>:"));
  return host.empty() ? std::string_view("herald.invalid") : host;
}

}  // namespace

result<fanout::frame_template, submit_error> engine::build_template(message_submission& msg,
                                                                    const fanout_plan& plan,
                                                                    std::string_view message_id,
                                                                    std::string& detail) {
  auto failed = [&detail](submit_error e, std::string_view why) {
    detail.assign(why);
    return e;
  };
  auto made_or = [&](result<fanout::frame_template, fanout::fanout_error> made)
      -> result<fanout::frame_template, submit_error> {
    if (made.ok()) return std::move(made).value();
    return failed(made.error() == fanout::fanout_error::bad_cpim_headers ? submit_error::unreadable_content
                                                                         : submit_error::unusable_content,
                  fanout::to_string(made.error()));
  };
  fanout::template_spec spec;
  spec.max_chunk_bytes = cfg_.max_chunk_bytes;
  spec.success_report = msg.success_report;
  spec.failure_report = msg.failure_report;
  std::string inner;
  if (msg.sender) {
    // A participant's message: CPIM From becomes its authenticated address (no spoofing), To is stamped
    // per recipient, everything else passes through; a non-CPIM body is wrapped in CPIM.
    const std::string_view bytes = msg.body.view();
    // Moved, not shared: an unshared buffer's headroom can take the CPIM suffix (frame_template).
    spec.body_storage = std::move(msg.body);
    if (is_cpim(msg.content_type)) {
      cpim::message parsed;
      if (cpim::parse_final(bytes, parsed) != cpim::parse_error::ok)
        return failed(submit_error::unreadable_content, "message/cpim body does not parse");
      spec.body = parsed.body;
      return made_or(fanout::frame_template::from_participant(parsed, msg.sender->address,
                                                              msg.sender->display_name, std::move(spec)));
    }
    if (msg.content_type.empty()) return failed(submit_error::unreadable_content, "no Content-Type");
    inner = "Content-Type: " + msg.content_type + "\r\n";
    spec.from_uri = msg.sender->address;
    spec.from_name = msg.sender->display_name;
    spec.datetime = wall_seconds();
    spec.inner_headers = inner;
    spec.body = bytes;
    return made_or(fanout::frame_template::make(std::move(spec)));
  }
  // OMA IM TS 7.2.3.4: From is the conference's authenticated address, To each recipient's.
  spec.from_uri = plan.conference_uri;
  spec.from_name = plan.conference_display_name;
  spec.datetime = wall_seconds();
  std::string extra;
  if (!msg.subject.empty()) extra = "Subject: " + msg.subject + "\r\n";
  spec.extra_cpim_headers = extra;
  if (msg.external) {
    // RFC 4483: the body names content outside the session; the phantom headers are the body. RFC 2046
    // §5.2.3 wants their Content-ID, so one is made from the message id when the sender gave none.
    const external_reference& x = *msg.external;
    const std::string generated =
        x.content_id.empty() ? std::string(message_id) + "@" + std::string(uri_domain(plan.conference_uri))
                             : "";
    cpim::external_body eb;
    eb.url = x.url;
    eb.content_type = x.content_type;
    eb.content_id = x.content_id.empty() ? std::string_view(generated) : std::string_view(x.content_id);
    eb.size = x.size;
    eb.has_size = x.has_size;
    eb.expiration = x.expiration;
    eb.has_expiration = x.has_expiration;
    eb.permission_read = true;
    std::string buf(cpim::external_body_bytes(eb), '\0');
    auto parts = cpim::build_external_body(eb, buf);
    if (!parts.ok()) return failed(submit_error::unusable_content, cpim::to_string(parts.error()));
    inner = "Content-Type: " + std::string(parts->content_type_value) + "\r\n";
    spec.body_storage = shared_buffer::copy_of(parts->phantom, fanout::body_headroom_bytes + inner.size());
  } else {
    inner = "Content-Type: " + msg.content_type + "\r\n";
    spec.body_storage = std::move(msg.body);
  }
  spec.body = spec.body_storage.view();
  spec.inner_headers = inner;
  return made_or(fanout::frame_template::make(std::move(spec)));
}

submit_result engine::submit(message_submission msg) {
  submit_result out;
  if (draining()) {
    out.error = submit_error::draining;
    return out;
  }
  if (msg.body.size() > cfg_.max_message_bytes) {
    out.error = submit_error::body_too_large;
    return out;
  }
  fanout_plan plan;
  if (dir_.plan(msg.conference_id, msg.to, msg.sender ? msg.sender->member : member_ref{}, plan) !=
      directory_error::ok) {
    out.error = submit_error::no_such_conference;
    return out;
  }
  if (!plan.unknown.empty()) {
    out.error = submit_error::unknown_recipients;
    out.unknown = std::move(plan.unknown);
    return out;
  }
  std::string id;
  make_object_id('m', id);
  auto made = build_template(msg, plan, id, out.detail);
  if (!made.ok()) {
    out.error = made.error();
    return out;
  }
  auto pending = reserve_pending(msg.conference_id, plan.recipients());
  if (!pending) {
    out.error = submit_error::too_many_pending;
    return out;
  }
  auto tmpl = std::make_shared<const fanout::frame_template>(std::move(made).value());
  out.record =
      std::make_shared<message_record>(std::move(id), plan.members_of, std::move(plan.who), monotonic_ns());
  out.record->track_pending(std::move(pending));
  tracker_.add(out.record);
  dispatch(out.record, tmpl, plan.targets, msg.sender ? msg.sender->shard : -1);
  return out;
}

directory_error engine::remove_participant(std::string_view conference_id, std::string_view participant_id,
                                           bool end_dialog) {
  binding gone;
  participant left;
  directory_error e = dir_.remove_participant(conference_id, participant_id, gone, &left);
  if (e == directory_error::ok && end_dialog && signalling_ && left.sip && left.sip->dialog)
    signalling_->end_dialog(std::move(*left.sip->dialog));
  if (e == directory_error::ok && gone.bound()) {
    shard_service* svc = services_[static_cast<std::size_t>(gone.shard)].get();
    post(static_cast<std::size_t>(gone.shard),
         [svc, gone] { svc->drop_sessions({gone}, failure_reason::participant_removed); });
  }
  return e;
}

directory_error engine::delete_conference(std::string_view conference_id) {
  std::vector<binding> gone;
  std::vector<sip_dialog> dialogs;
  directory_error e = dir_.delete_conference(conference_id, gone, signalling_ ? &dialogs : nullptr);
  if (e != directory_error::ok) return e;
  // The conference's SIP participants leave with it: their dialogs end as a removal's would.
  for (sip_dialog& d : dialogs) signalling_->end_dialog(std::move(d));
  {
    // Records still pending keep their counter alive; only the lookup entry goes.
    std::lock_guard lock(pending_mutex_);
    pending_by_conference_.erase(std::string(conference_id));
  }
  for (std::size_t i = 0; i < services_.size(); ++i) {
    std::vector<binding> mine;
    for (const binding& b : gone)
      if (static_cast<std::size_t>(b.shard) == i) mine.push_back(b);
    shard_service* svc = services_[i].get();
    // Every shard sweeps, bound sessions or not: targets that never bound also belong to this conference.
    post(i, [svc, mine = std::move(mine)] { svc->drop_sessions(mine, failure_reason::conference_deleted); });
  }
  return e;
}

bool engine::drain(std::uint64_t deadline_ns) {
  draining_.store(true, std::memory_order_release);
  // Stop accepting MSRP connections: a peer arriving now could only be refused work.
  if (started_ && !caller_shard_) {
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      reactor::shard* s = &shards_.at(static_cast<std::uint16_t>(i));
      shards_.post(static_cast<std::uint16_t>(i), [s] { s->close_listeners(); });
    }
  }
  while (monotonic_ns() < deadline_ns) {
    if (tracker_.pending_total() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return tracker_.pending_total() == 0;
}

void engine::stop() {
  if (!started_) return;
  started_ = false;
  draining_.store(true, std::memory_order_release);
  // Fail what is still pending on each shard's own thread, then stop the loops.
  std::atomic<std::size_t> done{0};
  for (std::size_t i = 0; i < services_.size(); ++i) {
    shard_service* svc = services_[i].get();
    shards_.post(static_cast<std::uint16_t>(i), [svc, &done] {
      svc->fail_all(failure_reason::shutdown);
      done.fetch_add(1, std::memory_order_release);
    });
  }
  std::uint64_t deadline = monotonic_ns() + 2'000'000'000ULL;
  while (done.load(std::memory_order_acquire) < services_.size() && monotonic_ns() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  shards_.stop();
  failed_outside_[static_cast<std::size_t>(failure_reason::shutdown)].fetch_add(
      tracker_.fail_pending(failure_reason::shutdown), std::memory_order_relaxed);
  services_.clear();
}

}  // namespace herald::conference
