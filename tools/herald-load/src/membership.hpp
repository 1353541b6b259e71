// Churn accounting: what a participant that joined or left during the run may, must and must not have
// received, judged only from times the load client observed (its own request/response timestamps).
#pragma once

#include <cstdint>

namespace herald::load {

// When the client saw a participant's membership change (CLOCK_MONOTONIC ns; 0 = never happened).
struct member_times {
  std::uint64_t reg_start = 0;  // registration POST issued
  std::uint64_t reg_done = 0;   // its 201 received
  std::uint64_t bound = 0;      // the session's bind SEND answered 200
  std::uint64_t del_start = 0;  // DELETE issued
  std::uint64_t del_done = 0;   // its 204 received
};

// When the client sent a message and when heraldd accepted it (POST 202 or the chat SEND's 200).
// heraldd takes its recipient list somewhere in between. ok = UINT64_MAX when no acceptance was seen.
struct send_window {
  std::uint64_t start = 0;
  std::uint64_t ok = UINT64_MAX;
};

// Failure reasons heraldd reports that churn can explain; anything else is an error.
enum class churn_failure : std::uint8_t { none = 0, participant_removed = 1, not_connected = 2, other = 3 };

// The participant could have been in the message's recipient list: its registration began before the
// message was accepted, and its removal had not completed before the message was sent. Receiving
// outside this window means a message sent after it left, or accepted before it joined, reached it.
inline bool may_receive(const member_times& t, const send_window& w) {
  return t.reg_start != 0 && t.reg_start < w.ok && (t.del_done == 0 || t.del_done > w.start);
}

// The participant was certainly a bound recipient: its session was bound before the message was sent
// and its removal began only after the message was accepted.
inline bool must_be_planned(const member_times& t, const send_window& w) {
  return t.bound != 0 && t.bound < w.start && (t.del_start == 0 || t.del_start > w.ok);
}

// A failure heraldd reported for this recipient is explained by churn: participant_removed for one that
// was removed, not_connected for one whose session was not yet bound when the message was sent.
inline bool failure_explained(churn_failure why, const member_times& t, const send_window& w) {
  if (!may_receive(t, w)) return false;
  switch (why) {
    case churn_failure::participant_removed:
      return t.del_start != 0;
    case churn_failure::not_connected:
      return t.bound == 0 || t.bound > w.start;
    case churn_failure::none:
    case churn_failure::other:
      break;
  }
  return false;
}

// A chat message (no server record to ask) that a certainly-planned participant did not receive is
// explained only if its removal began before the message's last delivery anywhere: heraldd stamps a
// shard's slice before any of that slice reaches the client, so a removal after the last delivery
// was too late to stop this one.
inline bool chat_miss_explained(const member_times& t, std::uint64_t last_delivery_ns) {
  return t.del_start != 0 && t.del_start < last_delivery_ns;
}

}  // namespace herald::load
