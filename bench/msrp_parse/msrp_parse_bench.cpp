// Benchmarks the MSRP parser (small CPIM SEND, 4 KiB, 64 KiB bodies) and request-header stamping.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "herald/core/random.hpp"
#include "herald/msrp/encoder.hpp"
#include "herald/msrp/parser.hpp"

namespace {
using namespace herald::msrp;

// Text with CRLF line breaks every 72 bytes (what IM bodies look like), or raw random bytes.
std::string make_body(std::size_t n, bool binary) {
  herald::fast_rng rng(1);
  std::string b;
  b.reserve(n);
  while (b.size() < n) {
    if (binary) {
      b += static_cast<char>(rng.next() & 0xff);
    } else if (b.size() % 74 == 72) {
      b += "\r\n";
    } else {
      b += static_cast<char>('a' + rng.next() % 26);
    }
  }
  b.resize(n);
  return b;
}

std::string make_frame(std::string_view content_type, const std::string& body) {
  request_header h;
  h.transaction_id = "f3Kq9ZpLx2Wm7TbA";
  h.to_path = "msrp://bob.example.com:8888/9di4eae923wzd;tcp";
  h.from_path = "msrp://conf.example.net:2855/iau39soe2843z;tcp";
  h.message_id = "mid-4564dpWdQ93k";
  h.byte_range = byte_range{1, body.size(), false, body.size(), false};
  h.success_report = report_mode::no;
  h.failure_report = report_mode::yes;
  h.content_type = content_type;
  std::vector<char> out(body.size() + 1024);
  auto n = encode_request(out, h, body, continuation::complete);
  return {out.data(), n.ok() ? *n : 0};
}

std::string cpim_body() {
  std::string cpim =
      "From: Alice <im:alice@example.com>\r\n"
      "To: Conference <im:conf@example.net>\r\n"
      "DateTime: 2026-11-26T01:14:24Z\r\n"
      "\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n";
  return cpim + make_body(200, false);
}

// A connection's parser, reused message after message (what the server does).
void BM_Parse(benchmark::State& state, std::string frame) {
  message m;
  parser p;
  std::uint64_t allocs = herald::bench::allocation_count();
  for (auto _ : state) {
    parse_result r = p.feed(frame, m);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(m.body.data());
    if (r.status != parse_status::complete) state.SkipWithError("frame did not parse");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(herald::bench::allocation_count() - allocs) /
                         static_cast<double>(state.iterations()));
  state.counters["frame_bytes"] = static_cast<double>(frame.size());
}

BENCHMARK_CAPTURE(BM_Parse, small_cpim_send, make_frame("message/cpim", cpim_body()));

// A recipient's 200 to one fan-out SEND (delivery-naming 16-character tid), parsed as the shards do:
// response paths unchecked, since a response is matched by its tid on the connection it arrived on. A
// fan-out brings one back per delivery, so this is part of every delivery's cost.
void BM_ParseResponse(benchmark::State& state) {
  std::vector<char> out(512);
  auto n =
      encode_response(out, "000100042LcAkceS", 200, "OK", "msrp://conf.example.net:2855/iau39soe2843z;tcp",
                      "msrp://bob.example.com:8888/9di4eae923wzd;tcp");
  const std::string frame(out.data(), n.ok() ? *n : 0);
  limits lim;
  lim.validate_response_paths = false;
  message m;
  parser p(lim);
  for (auto _ : state) {
    parse_result r = p.feed(frame, m);
    benchmark::DoNotOptimize(r);
    if (r.status != parse_status::complete || m.status_code != 200) state.SkipWithError("200 did not parse");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["frame_bytes"] = static_cast<double>(frame.size());
}
BENCHMARK(BM_ParseResponse)->Name("BM_Parse/response_200");

// The stateless parse(): no per-connection To-Path/From-Path cache, so both paths are URI-validated.
void BM_ParseStateless(benchmark::State& state, std::string frame) {
  message m;
  for (auto _ : state) {
    parse_result r = parse(frame, m);
    benchmark::DoNotOptimize(r);
    if (r.status != parse_status::complete) state.SkipWithError("frame did not parse");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_ParseStateless, small_cpim_send, make_frame("message/cpim", cpim_body()));
BENCHMARK_CAPTURE(BM_Parse, body_4k, make_frame("text/plain", make_body(4096, false)));
BENCHMARK_CAPTURE(BM_Parse, body_64k, make_frame("text/plain", make_body(64 * 1024, false)));
BENCHMARK_CAPTURE(BM_Parse, body_64k_binary,
                  make_frame("application/octet-stream", make_body(64 * 1024, true)));

// Per-recipient stamping: one header per recipient with its own tid, into a reused buffer.
void BM_EncodeRequestHeader(benchmark::State& state) {
  herald::fast_rng rng(3);
  std::string body = cpim_body();
  body_guard guard(body);
  request_header h;
  h.to_path = "msrp://bob.example.com:8888/9di4eae923wzd;tcp";
  h.from_path = "msrp://conf.example.net:2855/iau39soe2843z;tcp";
  h.message_id = "mid-4564dpWdQ93k";
  h.byte_range = byte_range{1, body.size(), false, body.size(), false};
  h.failure_report = report_mode::yes;
  h.content_type = "message/cpim";
  char tid[default_transaction_id_chars];
  char out[512];
  char end[max_end_line_chars];
  std::uint64_t allocs = herald::bench::allocation_count();
  for (auto _ : state) {
    make_safe_transaction_id(rng, guard, tid, sizeof(tid));
    h.transaction_id = {tid, sizeof(tid)};
    auto n = encode_request_header(out, h);
    std::size_t e = encode_end_line(end, h.transaction_id, continuation::complete);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(herald::bench::allocation_count() - allocs) /
                         static_cast<double>(state.iterations()));
}
BENCHMARK(BM_EncodeRequestHeader);

// The one-time body scan a fan-out pays per message, over a 64 KiB text body.
void BM_BodyGuard64k(benchmark::State& state) {
  std::string body = make_body(64 * 1024, false);
  for (auto _ : state) {
    body_guard g(body);
    benchmark::DoNotOptimize(g.candidate_count());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_BodyGuard64k);

}  // namespace

BENCHMARK_MAIN();
