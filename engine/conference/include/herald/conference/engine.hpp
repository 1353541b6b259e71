// The conference engine: the directory, delivery records and the MSRP shards, and the operations the
// control API drives (messages, removals, metrics, drain). Every message, from the API or from a
// participant's SEND, enters through submit().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "herald/conference/config.hpp"
#include "herald/conference/delivery.hpp"
#include "herald/conference/directory.hpp"
#include "herald/conference/shard_service.hpp"
#include "herald/core/result.hpp"
#include "herald/core/shared_buffer.hpp"
#include "herald/fanout/frame_template.hpp"
#include "herald/msrp/types.hpp"
#include "herald/reactor/shard_group.hpp"

namespace herald::conference {

enum class submit_error : std::uint8_t {
  ok = 0,
  no_such_conference,  // HTTP 404, MSRP 481
  unknown_recipients,  // HTTP 422, listed in submit_result::unknown
  draining,            // HTTP 503 (MSRP 413): shutting down
  too_many_pending,    // HTTP 429 (MSRP 413): --max-pending-deliveries for the conference
  body_too_large,      // 413
  unreadable_content,  // MSRP 400 (HTTP 422): a CPIM body or header block that does not parse
  unusable_content,    // MSRP 415 (HTTP 422): content type, addresses or external-body fields unusable
};
std::string_view to_string(submit_error);

// message/external-body reference (RFC 4483): what the API's "external" object carries.
struct external_reference {
  std::string url;
  std::string content_type;
  std::string content_id;  // of the encapsulated headers (RFC 2046 §5.2.3); empty: one is generated
  std::uint64_t size = 0;
  bool has_size = false;
  std::int64_t expiration = 0;  // epoch seconds
  bool has_expiration = false;
};

// The participant a message comes from (its session's grant).
struct participant_sender {
  std::string address;  // authenticated: becomes CPIM From
  std::string display_name;
  member_ref member;  // left out of the recipients
  int shard = -1;     // the shard its SEND arrived on: its slice runs there inline
};

// One message, whoever sends it.
struct message_submission {
  std::string conference_id;
  std::vector<std::string> to;                 // empty: every participant (but the sender)
  std::string content_type;                    // of body; for a participant, its SEND's Content-Type
  shared_buffer body;                          // allocate with fanout::body_headroom_bytes of headroom
  std::optional<external_reference> external;  // instead of a body (system messages)
  std::string subject;                         // CPIM Subject (system messages)
  msrp::report_mode success_report = msrp::report_mode::unset;  // the SENDs' report headers
  msrp::report_mode failure_report = msrp::report_mode::unset;
  std::optional<participant_sender> sender;  // absent: a system message, From is the conference
};

// The signalling front end's side of participants that joined through SIP (heraldd --sip-rpc).
class signalling_sink {
 public:
  virtual ~signalling_sink() = default;
  // The participant left (removed through the API): end its dialog. Any thread; must not block.
  virtual void end_dialog(sip_dialog dialog) = 0;
  // Its MSRP session ended (the connection closed or was cut as a slow consumer) while it was still a
  // participant: remove it and end its dialog. Called on a shard thread: must only queue the work.
  virtual void session_ended(std::string conference_id, std::string participant_id) = 0;
};

struct submit_result {
  submit_error error = submit_error::ok;
  std::shared_ptr<message_record> record;
  std::vector<std::string> unknown;
  std::string detail;
};

// One message's outcome counted by reason: what heraldd logs for each message a shutdown settled.
struct message_outcome {
  std::size_t recipients = 0;
  std::size_t delivered = 0;
  std::size_t sent = 0;
  std::size_t failed = 0;
  std::size_t pending = 0;
  std::size_t failed_by_reason[failure_reason_count] = {};
};
message_outcome outcome_of(const message_record& r);

// What per-message state is still held, for /metrics: each returns to 0 once every message has settled,
// its frames are written and --message-retention has passed.
struct message_memory {
  std::size_t records_live = 0;      // message records referenced anywhere (tracker, shards, API)
  std::size_t slices_live = 0;       // fan-out slices a shard holds (in its mailbox or an outbound slot)
  std::size_t templates_live = 0;    // frame templates (one per message until its last frame is written)
  std::size_t body_bytes_live = 0;   // message body bytes those templates keep
  std::size_t pending_counters = 0;  // conferences with a --max-pending-deliveries counter
};

class engine {
 public:
  explicit engine(engine_config cfg);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Starts the shards and their SO_REUSEPORT MSRP listeners; the bound port or -errno. An empty host
  // starts the shards with no plaintext listener (an msrps-only focus) and returns 0.
  int start(std::string_view host, std::uint16_t port);
  // After start(): an msrps listener on every shard; the bound port or -errno.
  int listen_tls(std::string_view host, std::uint16_t port, std::shared_ptr<const reactor::tls_endpoint> tls);
  // For fuzzing and single-threaded tests: serve MSRP on a shard the caller runs (run_once) on its
  // own thread, instead of start(). The shard must be init()ed; returns its service (engine-owned).
  shard_service* attach_caller_shard(reactor::shard& s);
  // Refuses new messages and MSRP connections (listeners closed) and returns once every record is
  // complete or the deadline passes.
  // Returns true when everything completed in time.
  bool drain(std::uint64_t deadline_ns);
  // Fails every pending delivery with reason shutdown and stops the shards.
  void stop();

  // Plans the message against the conference's roster, builds its frame template, records it and hands
  // each shard its slice: the one place a message enters.
  submit_result submit(message_submission msg);
  // Removes the participant; with end_dialog, a SIP participant's dialog is ended through the
  // signalling sink (not when the front end itself reports the BYE).
  directory_error remove_participant(std::string_view conference_id, std::string_view participant_id,
                                     bool end_dialog = true);
  // Before start(); the sink outlives the engine's shards.
  void set_signalling(signalling_sink* sink) { signalling_ = sink; }
  signalling_sink* signalling() const { return signalling_; }
  directory_error delete_conference(std::string_view conference_id);

  const engine_config& config() const { return cfg_; }
  directory& dir() { return dir_; }
  delivery_tracker& tracker() { return tracker_; }
  // msrp://<advertise>/<id>;tcp, or msrps://<advertise_tls>/<id>;tcp for a TLS session.
  std::string session_path(std::string_view session_id, bool tls = false) const;
  // The host and port of --advertise (or --advertise-msrps): what SDP answers put in c= and m=.
  host_port advertised(bool tls = false) const;
  // Call after start() (the port may have been 0) and before any participant is registered.
  void set_advertise(std::string host_port) { cfg_.advertise = std::move(host_port); }
  void set_advertise_tls(std::string host_port) { cfg_.advertise_tls = std::move(host_port); }
  bool serves_plaintext() const { return !cfg_.advertise.empty(); }
  bool serves_tls() const { return !cfg_.advertise_tls.empty(); }
  std::vector<shard_metrics> metrics() const;
  std::size_t shard_count() const { return services_.size(); }
  std::string describe_shard(std::size_t i) const;
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  // Deliveries failed outside any shard (never bound, shutdown), by failure_reason.
  std::uint64_t failed_outside_shards(failure_reason why) const {
    return failed_outside_[static_cast<std::size_t>(why)].load(std::memory_order_relaxed);
  }

  message_memory memory() const;
  // Shutdown accounting: the messages not complete now; `next` receives the registration sequence that
  // messages_since() continues from, so a message racing the drain is not missed.
  std::vector<std::shared_ptr<message_record>> unfinished_messages(std::uint64_t& next) const;
  // Live messages registered (dispatched) at or after sequence `first`.
  std::vector<std::shared_ptr<message_record>> messages_since(std::uint64_t first) const;

 private:
  void post(std::size_t shard, reactor::task t);
  void register_record(const std::shared_ptr<message_record>& record);
  // The frame template for msg, planned as plan, whose record id is message_id.
  result<fanout::frame_template, submit_error> build_template(message_submission& msg,
                                                              const fanout_plan& plan,
                                                              std::string_view message_id,
                                                              std::string& detail);
  // Splits the targets by owning shard; targets that are not bound fail at once. The slice for
  // `local_shard` runs inline on the calling shard (no mailbox hop).
  void dispatch(const std::shared_ptr<message_record>& record,
                const std::shared_ptr<const fanout::frame_template>& tmpl,
                const std::vector<fanout_target>& targets, int local_shard);
  // Reserves n pending deliveries against the conference's --max-pending-deliveries: the counter the
  // record must track (record::track_pending), or nullptr when the conference is at its limit.
  std::shared_ptr<std::atomic<std::size_t>> reserve_pending(const std::string& conference_id, std::size_t n);

  struct registered_record {
    std::weak_ptr<message_record> record;
    std::uint64_t sequence = 0;
  };

  engine_config cfg_;
  directory dir_;
  delivery_tracker tracker_;
  // Declared before the shards: slices still in a mailbox when the shards go lower these on destruction.
  std::atomic<std::size_t> slices_live_{0};
  std::atomic<std::size_t> templates_live_{0};
  std::atomic<std::size_t> body_bytes_live_{0};
  mutable std::mutex records_mutex_;                // guards records_ (per message, never per recipient)
  mutable std::vector<registered_record> records_;  // pruned of expired entries as it grows and when read
  mutable std::size_t records_prune_at_ = 64;
  std::uint64_t records_sequence_ = 0;
  reactor::shard_group shards_;
  std::vector<std::unique_ptr<shard_service>> services_;
  reactor::shard* caller_shard_ = nullptr;  // attach_caller_shard() mode
  std::vector<std::string> shard_descriptions_;
  std::atomic<bool> draining_{false};
  mutable std::mutex pending_mutex_;  // guards the map only; the counters are atomics the shards lower
  std::unordered_map<std::string, std::shared_ptr<std::atomic<std::size_t>>> pending_by_conference_;
  std::atomic<std::uint64_t> failed_outside_[failure_reason_count] = {};
  signalling_sink* signalling_ = nullptr;
  bool started_ = false;
};

}  // namespace herald::conference
