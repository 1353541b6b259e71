// Incoming chunked messages (RFC 4975 §5.1, §7.1.1): put back together by Message-ID and Byte-Range,
// in any order, until every byte of the message has arrived; '#' aborts (RFC 4975 §7.1).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "herald/msrp/parser.hpp"

namespace herald::conference {

struct incoming_message {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  std::string message_id;
  std::string content_type;
  msrp::report_mode success_report = msrp::report_mode::unset;
  msrp::report_mode failure_report = msrp::report_mode::unset;
  std::string data;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // received [begin, end), merged, sorted
  std::uint64_t total = 0;
  bool total_known = false;
  std::uint64_t last_end = 0;  // end of the '$' chunk when total is '*'
  bool saw_last = false;
  std::uint64_t deadline_ns = 0;
  std::uint64_t received() const;
};

enum class chunk_outcome : std::uint8_t { in_progress, complete, aborted, too_large, bad_range };

class reassembler {
 public:
  // Adds one chunk for (slot, generation). On complete, `done` holds the whole message and the entry
  // is removed. bytes_limit bounds one message; memory_limit bounds all messages in progress here.
  chunk_outcome add(std::uint32_t slot, std::uint32_t generation, const msrp::message& chunk,
                    std::uint64_t deadline_ns, std::size_t bytes_limit, std::size_t memory_limit,
                    incoming_message& done);
  // Drops messages whose deadline passed; returns how many.
  std::size_t expire(std::uint64_t now_ns);
  void drop_session(std::uint32_t slot);
  std::size_t in_progress() const { return messages_.size(); }
  std::size_t bytes() const;

 private:
  std::vector<incoming_message> messages_;  // few per connection: a linear scan beats a map
};

}  // namespace herald::conference
