// Instructions per delivery, for perf/callgrind.sh: the real engine on a shard this thread runs
// (engine::attach_caller_shard), one system message to 10,000 recipients bound over one loopback
// connection, answered with 200s. Callgrind collects only while the engine runs (CALLGRIND_TOGGLE_COLLECT
// around engine::submit and shard::run_once), not while this program plays the MSRP peer.
// --mode template counts frame_template::stamp alone (what each recipient costs before the kernel).
#include <valgrind/callgrind.h>

#include <csignal>
#include <vector>

#include "../common/perf_util.hpp"
#include "../common/sample_frame.hpp"
#include "herald/conference/engine.hpp"
#include "herald/core/log.hpp"
#include "herald/msrp/encoder.hpp"
#include "herald/msrp/parser.hpp"
#include "herald/reactor/shard.hpp"

using namespace herald;
using namespace herald::perf;

namespace {

// Toggled in pairs so collection is on exactly inside engine code.
struct collect_scope {
  collect_scope() { CALLGRIND_TOGGLE_COLLECT; }
  ~collect_scope() { CALLGRIND_TOGGLE_COLLECT; }
};

// The peer side: reads what the shard wrote, answers SENDs with 200, counts responses and SENDs.
struct peer {
  int fd = -1;
  std::string in;
  std::string out;
  std::size_t ok_responses = 0;
  std::size_t sends = 0;
  bool closed = false;

  void pump() {
    char buf[65536];
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) closed = true;
      if (n <= 0) break;
      in.append(buf, std::size_t(n));
    }
    std::size_t off = 0;
    char resp[1024];
    while (off < in.size()) {
      msrp::message m;
      msrp::parse_result r = msrp::parse(std::string_view(in).substr(off), m);
      if (r.status != msrp::parse_status::complete) break;
      off += r.consumed;
      if (m.kind == msrp::message_kind::response) {
        if (m.status_code == 200) ++ok_responses;
        continue;
      }
      if (m.method != msrp::request_method::send) continue;
      ++sends;
      if (m.failure_report == msrp::report_mode::no) continue;
      auto e = msrp::encode_response(resp, m.transaction_id, 200, "OK",
                                     m.from_path.substr(0, m.from_path.find(' ')),
                                     m.to_path.substr(0, m.to_path.find(' ')));
      if (e.ok()) out.append(resp, e.value());
    }
    in.erase(0, off);
    if (!out.empty()) {
      write_all(fd, out);
      out.clear();
    }
  }
};

int run_engine(std::size_t recipients, std::size_t size) {
  ::signal(SIGPIPE, SIG_IGN);
  if (std::getenv("PERF_DEBUG")) log::set_level(log::level::debug);
  conference::engine_config cfg;
  cfg.shards = 1;
  conference::engine eng(cfg);
  reactor::shard_config sc;
  reactor::shard shard(sc);
  if (int e = shard.init(); e != 0) {
    std::fprintf(stderr, "shard init: %s\n", std::strerror(-e));
    return 77;
  }
  eng.attach_caller_shard(shard);
  conference::conference_info conf;
  if (eng.dir().create_conference("sip:team@example.com", "Team", conf) != conference::directory_error::ok)
    return 1;
  std::vector<conference::new_participant> adds;
  for (std::size_t i = 0; i < recipients; ++i)
    adds.push_back({"sip:u" + std::to_string(i) + "@example.com", ""});
  std::vector<conference::participant> parts;
  std::string dup;
  if (eng.dir().add_participants(conf.id, std::move(adds), parts, dup) != conference::directory_error::ok)
    return 1;

  // The shard listens as heraldd's do; this thread connects as the peer and the shard accepts it.
  int port = shard.listen("127.0.0.1", 0);
  if (port <= 0) return 1;
  peer p;
  p.fd = connect_loopback(static_cast<std::uint16_t>(port));
  if (p.fd < 0) return 1;

  auto turn = [&] {
    shard.run_once(1'000'000);
    p.pump();
  };
  // Bind every session with a bodiless SEND (as tools/client's msrp_peer does), in slices.
  for (std::size_t base = 0; base < parts.size(); base += 500) {
    std::string binds;
    for (std::size_t i = base; i < std::min(parts.size(), base + 500); ++i) {
      std::string tid = "bind" + std::to_string(i);  // RFC 4975 §9: tids and Message-IDs are 4..32 chars
      binds += "MSRP " + tid + " SEND\r\nTo-Path: " + eng.session_path(parts[i].session_id) +
               "\r\nFrom-Path: msrp://127.0.0.1:9/p-" + std::to_string(i) + ";tcp\r\nMessage-ID: mesg" +
               std::to_string(i) + "\r\nByte-Range: 1-0/0\r\n-------" + tid + "$\r\n";
    }
    write_all(p.fd, binds);
    double give_up = now_s() + 30;
    while (p.ok_responses < std::min(parts.size(), base + 500) && !p.closed && now_s() < give_up) turn();
  }
  if (p.ok_responses != parts.size()) {
    std::fprintf(stderr, "bound %zu of %zu\n", p.ok_responses, parts.size());
    return 1;
  }

  conference::message_submission msg;
  msg.conference_id = conf.id;
  msg.content_type = "text/plain";
  msg.body = shared_buffer::copy_of(std::string(size, 'x'));
  std::shared_ptr<conference::message_record> record;
  {
    collect_scope on;
    conference::submit_result sent = eng.submit(std::move(msg));
    record = sent.record;
  }
  if (!record) return 1;
  double give_up = now_s() + 60;
  while (!record->complete() && now_s() < give_up) {
    {
      collect_scope on;
      shard.run_once(1'000'000);
    }
    p.pump();
  }
  std::printf("{\"mode\":\"engine\",\"recipients\":%zu,\"size\":%zu,\"delivered\":%zu,\"sends_seen\":%zu}\n",
              recipients, size, record->delivered(), p.sends - parts.size());
  eng.stop();
  ::close(p.fd);
  return record->delivered() == recipients ? 0 : 1;
}

// frame_template::stamp for every recipient into one reused buffer: the per-recipient CPU floor.
int run_template(std::size_t recipients, std::size_t size) {
  std::string body(size, 'x');
  fanout::template_spec spec;
  spec.from_uri = "sip:team@example.com";
  spec.from_name = "Team";
  spec.datetime = 1'700'000'000;
  spec.inner_headers = "Content-Type: text/plain\r\n";
  spec.body = body;
  auto made = fanout::frame_template::make(std::move(spec));
  if (!made.ok()) return 1;
  std::vector<std::string> to_paths, from_paths, uris;
  for (std::size_t i = 0; i < recipients; ++i) {
    to_paths.push_back("msrp://127.0.0.1:9/c0-" + std::to_string(i) + ";tcp");
    from_paths.push_back("msrp://127.0.0.1:2855/s" + std::to_string(100000000 + i) + "abcdefghijkl;tcp");
    uris.push_back("sip:u" + std::to_string(i) + "@example.com");
  }
  // Per-session bytes are built when sessions bind, outside the measured fan-out.
  std::vector<fanout::recipient_bytes> frame_bytes;
  for (std::size_t i = 0; i < recipients; ++i)
    frame_bytes.push_back(
        std::move(fanout::recipient_bytes::make(to_paths[i], from_paths[i], uris[i]).value()));
  std::vector<char> out(4096);
  fast_rng rng(1);
  std::size_t bytes = 0;
  {
    collect_scope on;
    for (std::size_t i = 0; i < recipients; ++i) {
      fanout::recipient r(frame_bytes[i]);
      fanout::chunk_cursor cursor;
      auto f = made->stamp(r, std::span<char>(out.data(), out.size()), cursor, rng);
      if (f.ok()) bytes += f->size();
    }
  }
  std::printf("{\"mode\":\"template\",\"recipients\":%zu,\"size\":%zu,\"bytes\":%zu}\n", recipients, size,
              bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t recipients = std::size_t(flag_int(argc, argv, "--recipients", 10000));
  std::size_t size = std::size_t(flag_int(argc, argv, "--size", 256));
  std::string mode = flag(argc, argv, "--mode", "engine");
  if (mode == "engine") return run_engine(recipients, size);
  if (mode == "template") return run_template(recipients, size);
  std::fprintf(stderr, "usage: perf_fanout_instr [--mode engine|template] [--recipients N] [--size B]\n");
  return 2;
}
