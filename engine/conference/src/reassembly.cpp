// Chunk reassembly implementation.
#include "herald/conference/reassembly.hpp"

#include <algorithm>
#include <cstring>

namespace herald::conference {

std::uint64_t incoming_message::received() const {
  std::uint64_t n = 0;
  for (const auto& [b, e] : ranges) n += e - b;
  return n;
}

namespace {
void add_range(std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges, std::uint64_t b,
               std::uint64_t e) {
  if (b == e) return;
  ranges.emplace_back(b, e);
  std::sort(ranges.begin(), ranges.end());
  std::size_t out = 0;
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first <= ranges[out].second) {
      ranges[out].second = std::max(ranges[out].second, ranges[i].second);
    } else {
      ranges[++out] = ranges[i];
    }
  }
  ranges.resize(out + 1);
}
}  // namespace

std::size_t reassembler::bytes() const {
  std::size_t n = 0;
  for (const auto& m : messages_) n += m.data.size();
  return n;
}

chunk_outcome reassembler::add(std::uint32_t slot, std::uint32_t generation, const msrp::message& chunk,
                               std::uint64_t deadline_ns, std::size_t bytes_limit, std::size_t memory_limit,
                               incoming_message& done) {
  auto it = std::find_if(messages_.begin(), messages_.end(), [&](const incoming_message& m) {
    return m.slot == slot && m.generation == generation && m.message_id == chunk.message_id;
  });
  if (chunk.flag == msrp::continuation::abort) {
    if (it != messages_.end()) messages_.erase(it);
    return chunk_outcome::aborted;
  }
  msrp::byte_range range = chunk.byte_range.value_or(msrp::byte_range{1, 0, true, 0, true});
  std::uint64_t begin = range.start - 1;
  std::uint64_t end = begin + chunk.body.size();
  if (!range.end_unknown && range.end != 0 && range.end != end) return chunk_outcome::bad_range;
  if (!range.total_unknown && end > range.total) return chunk_outcome::bad_range;
  if (end > bytes_limit || (!range.total_unknown && range.total > bytes_limit)) {
    if (it != messages_.end()) messages_.erase(it);
    return chunk_outcome::too_large;
  }
  if (it == messages_.end()) {
    if (bytes() + (range.total_unknown ? end : range.total) > memory_limit) return chunk_outcome::too_large;
    incoming_message m;
    m.slot = slot;
    m.generation = generation;
    m.message_id = std::string(chunk.message_id);
    m.content_type = std::string(chunk.content_type);
    m.success_report = chunk.success_report;
    m.failure_report = chunk.failure_report;
    m.deadline_ns = deadline_ns;
    messages_.push_back(std::move(m));
    it = messages_.end() - 1;
  }
  incoming_message& m = *it;
  if (!range.total_unknown) {
    if (m.total_known && m.total != range.total) return chunk_outcome::bad_range;
    m.total = range.total;
    m.total_known = true;
  }
  if (m.content_type.empty()) m.content_type = std::string(chunk.content_type);
  if (m.data.size() < end) m.data.resize(end);
  if (!chunk.body.empty()) std::memcpy(m.data.data() + begin, chunk.body.data(), chunk.body.size());
  add_range(m.ranges, begin, end);
  if (chunk.flag == msrp::continuation::complete) {
    m.saw_last = true;
    m.last_end = std::max(m.last_end, end);
  }
  std::uint64_t want = m.total_known ? m.total : (m.saw_last ? m.last_end : UINT64_MAX);
  bool whole = want != UINT64_MAX &&
               (want == 0 || (m.ranges.size() == 1 && m.ranges[0].first == 0 && m.ranges[0].second == want));
  if (!whole) return chunk_outcome::in_progress;
  m.data.resize(want);
  done = std::move(m);
  messages_.erase(it);
  return chunk_outcome::complete;
}

std::size_t reassembler::expire(std::uint64_t now_ns) {
  return std::erase_if(messages_, [&](const incoming_message& m) { return m.deadline_ns <= now_ns; });
}

void reassembler::drop_session(std::uint32_t slot) {
  std::erase_if(messages_, [&](const incoming_message& m) { return m.slot == slot; });
}

}  // namespace herald::conference
