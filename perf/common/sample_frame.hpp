// A Herald-shaped MSRP SEND (what heraldd writes per recipient of a system message), so the perf
// programs push the same bytes per delivery as the daemon does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "herald/core/random.hpp"
#include "herald/fanout/frame_template.hpp"

namespace herald::perf {

// One recipient's frame as the three parts heraldd hands to sendmsg.
struct sample_frame {
  std::string header;
  std::string body;
  std::string end_line;
  std::size_t size() const { return header.size() + body.size() + end_line.size(); }
};

// The paths and addresses mirror heraldd's: msrp://127.0.0.1:<port>/<session>;tcp towards a peer whose
// path is msrp://127.0.0.1:9/c<conn>-<n>;tcp (tools/client), CPIM To sip:u<n>@example.com.
inline sample_frame make_sample_frame(std::size_t body_bytes, std::size_t recipient) {
  std::string body(body_bytes, 'x');
  herald::fanout::template_spec spec;
  spec.from_uri = "sip:team@example.com";
  spec.from_name = "Team";
  spec.datetime = 1'700'000'000;
  spec.inner_headers = "Content-Type: text/plain\r\n";
  spec.body = body;
  spec.max_chunk_bytes = body_bytes + 4096;  // one chunk: the perf runs use messages below --max-chunk
  auto made = herald::fanout::frame_template::make(std::move(spec));
  sample_frame out;
  if (!made.ok()) return out;
  const herald::fanout::frame_template& t = made.value();
  std::string to_path = "msrp://127.0.0.1:9/c0-" + std::to_string(recipient) + ";tcp";
  std::string from_path =
      "msrp://127.0.0.1:40000/s" + std::to_string(100000000 + recipient) + "abcdefghijkl;tcp";
  std::string to_uri = "sip:u" + std::to_string(recipient) + "@example.com";
  auto bytes = herald::fanout::recipient_bytes::make(to_path, from_path, to_uri);
  if (!bytes.ok()) return out;
  herald::fanout::recipient r(bytes.value());
  std::vector<char> buf(t.max_stamp_bytes(r));
  herald::fanout::chunk_cursor cursor;
  herald::fast_rng rng(recipient + 1);
  auto stamped = t.stamp(r, std::span<char>(buf.data(), buf.size()), cursor, rng);
  if (!stamped.ok()) return out;
  out.header = std::string(stamped->header);
  out.body = std::string(stamped->body);
  out.end_line = std::string(stamped->end_line);
  return out;
}

}  // namespace herald::perf
