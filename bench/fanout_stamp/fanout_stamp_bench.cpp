// Measures frame_template::stamp per recipient (must allocate nothing) and cpim::parse per message.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "herald/core/arena.hpp"
#include "herald/cpim/parser.hpp"
#include "herald/fanout/frame_template.hpp"

namespace {

using namespace herald;

constexpr std::size_t kRecipients = 1024;

struct recipients {
  std::vector<std::string> to_paths, uris, names;
  std::vector<fanout::recipient_bytes> bytes;  // per session, built once when it binds
  std::vector<fanout::recipient> list;
  recipients() {
    for (std::size_t i = 0; i < kRecipients; ++i) {
      to_paths.push_back("msrp://10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
                         ":40123/s9Qz" + std::to_string(i) + "xYk;tcp");
      uris.push_back("sip:+1555000" + std::to_string(1000 + i) + "@ims.example.com");
      names.push_back(i % 2 ? "Participant " + std::to_string(i) : "");
    }
    for (std::size_t i = 0; i < kRecipients; ++i)
      bytes.push_back(
          std::move(fanout::recipient_bytes::make(
                        to_paths[i], "msrp://herald.example.com:2855/kjhd37s2s20w2a;tcp", uris[i], names[i])
                        .value()));
    for (const auto& b : bytes) list.emplace_back(b);
  }
};

fanout::frame_template make_template(std::size_t body_bytes) {
  fanout::template_spec s;
  s.from_uri = "sip:conf-factory-1234@conf.example.com";
  s.from_name = "Conference";
  s.datetime = 1798761600;
  s.extra_cpim_headers = "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: 34jk324j\r\n";
  s.inner_headers = "Content-Type: text/plain; charset=utf-8\r\n";
  std::string body(body_bytes, 'a');
  s.body = body;
  s.failure_report = msrp::report_mode::yes;
  s.success_report = msrp::report_mode::no;
  return std::move(fanout::frame_template::make(std::move(s)).value());
}

// caller_tid: the daemon's way, each frame's tid supplied (it encodes where the 200 goes); otherwise
// stamp() draws it from the rng.
void run_stamp(benchmark::State& state, std::size_t body_bytes, bool caller_tid = false) {
  recipients rs;
  std::vector<std::string> tids;
  for (std::size_t i = 0; i < kRecipients; ++i)
    tids.push_back("dLv" + std::to_string(100000 + i) + "x7Qa9Zk");
  fanout::frame_template t = make_template(body_bytes);
  fast_rng rng(42);
  // Per-shard scratch as the daemon uses it; warmed so its one chunk exists before measuring.
  arena scratch(1 << 20);
  (void)scratch.allocate(1);
  scratch.reset();
  std::size_t i = 0, frames = 0, bytes = 0;
  std::uint64_t allocs = 0;
  for (auto _ : state) {
    fanout::recipient& r = rs.list[i % kRecipients];
    if (caller_tid) r.transaction_id = tids[i % kRecipients];
    ++i;
    if (i % 64 == 0) scratch.reset();  // a send batch: 64 recipients x <= 32 chunks fit one chunk
    fanout::chunk_cursor cursor;
    std::uint64_t before = bench::allocation_count();
    do {
      std::span<char> out = scratch.allocate_span(t.max_stamp_bytes(r));
      auto f = t.stamp(r, out, cursor, rng);
      if (!f.ok()) {
        state.SkipWithError("stamp failed");
        return;
      }
      scratch.shrink_last(out.data(), f->header.size() + f->end_line.size());
      benchmark::DoNotOptimize(f->body.data());
      bytes += f->size();
      ++frames;
    } while (!cursor.done);
    allocs += bench::allocation_count() - before;
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.SetBytesProcessed(std::int64_t(bytes));
  state.counters["allocs_per_recipient"] = double(allocs) / double(state.iterations());
  state.counters["frames_per_recipient"] = double(frames) / double(state.iterations());
}

void BM_Stamp_single_chunk_300B(benchmark::State& state) {
  run_stamp(state, 300);
}
void BM_Stamp_single_chunk_300B_caller_tid(benchmark::State& state) {
  run_stamp(state, 300, true);
}
void BM_Stamp_single_chunk_1500B(benchmark::State& state) {
  run_stamp(state, 1500);
}
void BM_Stamp_chunked_64KB(benchmark::State& state) {
  run_stamp(state, 64 * 1024);
}

void BM_CpimParse(benchmark::State& state) {
  const std::string msg =
      "From: \"Alice\" <sip:alice@example.com>\r\n"
      "To: <sip:conf-1@example.com>\r\n"
      "NS: imdn <urn:ietf:params:imdn>\r\n"
      "imdn.Message-ID: 34jk324j\r\n"
      "DateTime: 2006-04-04T12:16:49-05:00\r\n"
      "imdn.Disposition-Notification: positive-delivery, display\r\n"
      "\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n" +
      std::string(300, 'x');
  cpim::message m;
  std::uint64_t allocs = 0;
  for (auto _ : state) {
    std::uint64_t before = bench::allocation_count();
    auto e = cpim::parse(msg, m);
    allocs += bench::allocation_count() - before;
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(m.body.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.SetBytesProcessed(std::int64_t(state.iterations() * msg.size()));
  state.counters["allocs_per_message"] = double(allocs) / double(state.iterations());
}

}  // namespace

BENCHMARK(BM_Stamp_single_chunk_300B)->Name("BM_Stamp/single_chunk_300B");
BENCHMARK(BM_Stamp_single_chunk_300B_caller_tid)->Name("BM_Stamp/single_chunk_300B_caller_tid");
BENCHMARK(BM_Stamp_single_chunk_1500B)->Name("BM_Stamp/single_chunk_1500B");
BENCHMARK(BM_Stamp_chunked_64KB)->Name("BM_Stamp/chunked_64KB");
BENCHMARK(BM_CpimParse)->Name("BM_CpimParse/rcs_imdn_300B");

BENCHMARK_MAIN();
