// Delivery tracking: every recipient of every message ends delivered or failed, with a reason.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::conference {

// delivered: the recipient confirmed it (a 200, or a success REPORT when one was asked for). sent: it was
// written to the recipient's connection and no error came back, the most a message that asked for no
// positive confirmation (Failure-Report partial or no, RFC 4975 §7.1.2) can say.
enum class delivery_state : std::uint8_t { pending = 0, delivered = 1, failed = 2, sent = 3 };

// Why a recipient failed; each maps to one stable string in the API.
enum class failure_reason : std::uint8_t {
  none = 0,
  error_response,  // recipient answered a non-2xx status
  timeout,         // no response within --transaction-timeout (408)
  disconnected,    // connection closed before the response
  participant_removed,
  conference_deleted,
  slow_consumer,  // connection exceeded --max-queue-bytes
  not_connected,  // participant registered but no MSRP session bound
  shutdown,       // daemon drained past --drain-timeout
  outbox_full,    // the shard had no free outbound slot for the message (max_outbound_slots in flight)
};
inline constexpr std::size_t failure_reason_count = 10;
std::string_view to_string(failure_reason);

// A directory member as a fan-out plan names it: its slot, and the generation that slot had, so a slot
// reused by a later participant is never mistaken for it.
struct member_ref {
  std::uint32_t slot = UINT32_MAX;
  std::uint32_t generation = 0;
  friend bool operator==(const member_ref&, const member_ref&) = default;
};

// The participants of a conference in registration order, frozen while membership does not change: every
// message sent meanwhile refers to it instead of copying 10^5 address strings, and plans walk it without
// the directory's lock. members is empty for a roster built from addresses alone (tests, small records).
struct roster {
  std::vector<std::string> addresses;
  std::vector<member_ref> members;
};

// Which roster entries a message goes to: all of them, all but one (a participant's own message), or
// the listed indices.
struct recipient_set {
  static constexpr std::uint32_t none = UINT32_MAX;
  bool everyone = true;
  std::uint32_t excluded = none;       // with everyone: this roster index is left out
  std::vector<std::uint32_t> members;  // without everyone: recipient number -> roster index
  std::size_t size(std::size_t roster_size) const {
    return everyone ? roster_size - (excluded != none && excluded < roster_size) : members.size();
  }
  std::uint32_t roster_index(std::size_t recipient) const {
    if (!everyone) return members[recipient];
    const auto i = static_cast<std::uint32_t>(recipient);
    return i < excluded ? i : i + 1;
  }
};

// Per-message, per-recipient outcomes. Each shard writes only its own recipients' slots, and each
// slot moves pending -> final exactly once (compare-exchange), so counters never double count.
class message_record {
 public:
  // Recipients are the roster entries `who` selects.
  message_record(std::string id, std::shared_ptr<const roster> r, recipient_set who,
                 std::uint64_t created_ns);
  // Convenience for tests and small messages: a private roster of exactly these addresses.
  message_record(std::string id, std::vector<std::string> addresses, std::uint64_t created_ns);

  const std::string& id() const { return id_; }
  std::size_t recipients() const { return recipients_; }
  // A copy: once the last recipient settles, the record lets go of the roster (a conference with
  // membership churn gets a new one per message, 10^4..10^6 addresses each, which retention would
  // otherwise keep) and keeps only its failed recipients' addresses, the only ones the API reports.
  // Empty for a recipient that was delivered after that point.
  std::string address(std::size_t i) const;
  std::uint64_t created_ns() const { return created_ns_; }

  // Returns false if the recipient had already reached a final state (first outcome wins).
  bool mark_delivered(std::size_t recipient);
  bool mark_sent(std::size_t recipient);
  bool mark_failed(std::size_t recipient, failure_reason reason, std::uint16_t status);

  // A shard's way, the same outcome in two steps: claim() gives the recipient its final state (first
  // outcome wins) and leaves the counters; add_settled() then counts a batch of claims. The counters are
  // shared by every shard settling this message, so they are touched once per loop iteration rather than
  // three times per recipient. Counts lag the states by at most that iteration.
  bool claim(std::size_t recipient, delivery_state to, failure_reason reason, std::uint16_t status);
  void add_settled(std::size_t delivered, std::size_t sent, std::size_t failed);

  delivery_state state(std::size_t recipient) const {
    std::uint8_t s = slots_[recipient].state.load(std::memory_order_acquire);
    return s == claiming ? delivery_state::pending : static_cast<delivery_state>(s);
  }
  failure_reason reason(std::size_t recipient) const { return slots_[recipient].reason; }
  std::uint16_t status(std::size_t recipient) const { return slots_[recipient].status; }

  std::size_t delivered() const { return delivered_.load(std::memory_order_acquire); }
  std::size_t sent() const { return sent_.load(std::memory_order_acquire); }
  std::size_t failed() const { return failed_.load(std::memory_order_acquire); }
  std::size_t pending() const { return recipients() - settled_.load(std::memory_order_acquire); }
  bool complete() const { return pending() == 0; }
  // Monotonic time the last recipient reached a final state (0 while pending).
  std::uint64_t completed_ns() const { return completed_ns_.load(std::memory_order_acquire); }
  // Latest time a shard finished writing its frames of this message (fan-out completion on the wire).
  void note_written(std::uint64_t now_ns) {
    std::uint64_t seen = last_written_ns_.load(std::memory_order_relaxed);
    while (seen < now_ns &&
           !last_written_ns_.compare_exchange_weak(seen, now_ns, std::memory_order_acq_rel)) {
    }
  }
  std::uint64_t last_written_ns() const { return last_written_ns_.load(std::memory_order_acquire); }
  // The conference's pending-deliveries counter (--max-pending-deliveries), already raised by
  // recipients(); each recipient lowers it once as it settles. Set before the first settle.
  void track_pending(std::shared_ptr<std::atomic<std::size_t>> conference_pending) {
    conference_pending_ = std::move(conference_pending);
  }

 private:
  static constexpr std::uint8_t claiming = 0xff;  // a thread is writing the outcome (see claim)
  struct slot {
    std::atomic<std::uint8_t> state{0};
    failure_reason reason = failure_reason::none;
    std::uint16_t status = 0;
  };
  void release_roster();

  std::string id_;
  std::size_t recipients_;
  mutable std::mutex roster_mutex_;  // roster_, members_ and failed_addresses_; never on the data path
  std::shared_ptr<const roster> roster_;
  recipient_set who_;
  std::vector<std::pair<std::uint32_t, std::string>> failed_addresses_;  // by recipient, once complete
  std::unique_ptr<slot[]> slots_;
  std::uint64_t created_ns_;
  std::atomic<std::size_t> delivered_{0};
  std::atomic<std::size_t> sent_{0};
  std::atomic<std::size_t> failed_{0};
  std::atomic<std::size_t> settled_{0};
  std::atomic<std::uint64_t> completed_ns_{0};
  std::atomic<std::uint64_t> last_written_ns_{0};
  std::shared_ptr<std::atomic<std::size_t>> conference_pending_;
};

// Message records by id, kept until --message-retention passes after creation.
class delivery_tracker {
 public:
  explicit delivery_tracker(std::uint64_t retention_ns) : retention_ns_(retention_ns) {}

  void add(std::shared_ptr<message_record> record);
  std::shared_ptr<message_record> find(std::string_view id) const;
  // Drops records older than the retention; returns how many were dropped.
  std::size_t expire(std::uint64_t now_ns);
  std::size_t size() const;
  // Recipients still pending across every record (drain waits for 0).
  std::size_t pending_total() const;
  // Fails whatever is still pending (after the shards stopped: nobody else settles any more).
  std::size_t fail_pending(failure_reason why);

 private:
  std::uint64_t retention_ns_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<message_record>> records_;
};

}  // namespace herald::conference
