// Helpers for fanout tests: stamp every chunk of a recipient and parse each frame back with herald::msrp.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "herald/fanout/frame_template.hpp"
#include "herald/msrp/parser.hpp"

namespace herald::fanout::test {

struct parsed_frame {
  std::string wire;  // header + body + end-line, owned
  msrp::message msg;
};

// Stamps all chunks for r, parsing each one; fails the test on any error.
inline std::vector<parsed_frame> stamp_all(const frame_template& t, const recipient& r, fast_rng& rng) {
  std::vector<parsed_frame> frames;
  chunk_cursor cursor;
  std::vector<char> buf(t.max_stamp_bytes(r));
  for (int guard = 0; guard < 100000; ++guard) {
    auto f = t.stamp(r, buf, cursor, rng);
    EXPECT_TRUE(f.ok()) << to_string(f.error());
    if (!f.ok()) break;
    EXPECT_LE(f->header.size() + f->end_line.size(), buf.size());
    frames.push_back({});
    auto& pf = frames.back();
    pf.wire = std::string(f->header) + std::string(f->body) + std::string(f->end_line);
    msrp::parse_result pr = msrp::parse(pf.wire, pf.msg);
    EXPECT_EQ(pr.status, msrp::parse_status::complete) << pf.wire;
    EXPECT_EQ(pr.consumed, pf.wire.size());
    if (f->last) break;
  }
  // msg views point into wire; vector growth moved the strings, so re-parse in place.
  for (auto& pf : frames) (void)msrp::parse(pf.wire, pf.msg);
  return frames;
}

inline std::string reassemble(const std::vector<parsed_frame>& frames) {
  std::string all;
  for (const auto& f : frames) all += f.msg.body;
  return all;
}

}  // namespace herald::fanout::test
