// heraldd flags: every error names what is wrong, sizes take every spelling, switches take no value.
#include "herald/daemon/options.hpp"

#include <gtest/gtest.h>

namespace herald::daemon {
namespace {

struct outcome {
  bool ok = false;
  std::string error;
  options opt;
};
outcome parse(std::vector<std::string_view> args) {
  outcome o;
  o.ok = parse_options(args, o.opt, o.error);
  return o;
}

TEST(DaemonOptions, UnknownFlagIsNamedAsUnknown) {
  for (auto args : {std::vector<std::string_view>{"--bogus"}, {"--bogus", "1"}, {"--bogus=1"}}) {
    outcome o = parse(args);
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(o.error, "unknown flag --bogus (see --help)");
  }
}

TEST(DaemonOptions, SwitchesTakeNoValueAndStrayArgumentsAreNamed) {
  outcome o = parse({"--pin-threads", "1"});
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "unexpected argument '1' (flags start with --; see --help)");
  o = parse({"--pin-threads=yes"});
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "flag --pin-threads takes no value");
  o = parse({"--pin-threads", "--shards", "2"});
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_TRUE(o.opt.engine.pin_threads);
  EXPECT_EQ(o.opt.engine.shards, 2u);
}

TEST(DaemonOptions, AFlagWithoutItsValueSaysSo) {
  for (auto args : {std::vector<std::string_view>{"--shards"}, {"--shards", "--pin-threads"}}) {
    outcome o = parse(args);
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(o.error, "flag --shards needs a value");
  }
  outcome o = parse({"--shards", "x"});
  EXPECT_EQ(o.error, "bad value for --shards: 'x'");
}

TEST(DaemonOptions, SizesTakeEveryCommonSpellingAsBinaryMultiples) {
  struct row {
    std::string_view text;
    std::size_t bytes;
  };
  for (const row& r :
       {row{"8M", 8u << 20}, row{"8MB", 8u << 20}, row{"8MiB", 8u << 20}, row{"8mb", 8u << 20},
        row{"64k", 64u << 10}, row{"64KB", 64u << 10}, row{"64KiB", 64u << 10}, row{"2048", 2048},
        row{"2048B", 2048}, row{"1G", 1u << 30}, row{"1GB", 1u << 30}, row{"1gib", 1u << 30}}) {
    std::size_t n = 0;
    EXPECT_TRUE(parse_size(r.text, n)) << r.text;
    EXPECT_EQ(n, r.bytes) << r.text;
  }
  std::size_t n = 0;
  for (std::string_view bad : {"", "M", "8 MB", "8MBs", "8TB", "-1M", "18446744073709551615G"})
    EXPECT_FALSE(parse_size(bad, n)) << bad;
  outcome o = parse({"--max-queue-bytes", "8MB"});
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.opt.engine.max_queue_bytes, 8u << 20);
}

TEST(DaemonOptions, VersionAndHelpAreSwitches) {
  outcome o = parse({"--version"});
  ASSERT_TRUE(o.ok);
  EXPECT_TRUE(o.opt.version);
  EXPECT_TRUE(version_string().starts_with("heraldd "));
  EXPECT_NE(usage().find("--version"), std::string::npos);
  EXPECT_TRUE(parse({"-h"}).opt.help);
}

TEST(DaemonOptions, MessagesInFlightAreBoundedByTheTransactionIdLayout) {
  outcome o = parse({"--max-messages-in-flight", "1"});
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.opt.engine.max_messages_in_flight, 1u);
  EXPECT_FALSE(parse({"--max-messages-in-flight", "0"}).ok);
  EXPECT_FALSE(parse({"--max-messages-in-flight", "238329"}).ok);
}

}  // namespace
}  // namespace herald::daemon
