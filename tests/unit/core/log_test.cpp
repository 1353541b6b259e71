// Structured logs: one line per record, values quoted and escaped so a record never spans lines.
#include "herald/core/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace herald::log {
namespace {

// Captures what is written to stderr while it is alive.
class capture_stderr {
 public:
  capture_stderr() {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    read_ = fds[0];
    saved_ = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
  }
  std::string finish() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(read_, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    close(read_);
    return out;
  }

 private:
  int read_ = -1;
  int saved_ = -1;
};

TEST(Log, LineHasLevelMessageAndFields) {
  set_level(level::info);
  capture_stderr cap;
  HERALD_LOG(info, "shard started").kv("shard", 1).kv("flags", "single_issuer defer_taskrun");
  std::string out = cap.finish();
  EXPECT_NE(out.find("level=info msg=\"shard started\" shard=1 flags=\"single_issuer defer_taskrun\"\n"),
            std::string::npos)
      << out;
}

TEST(Log, ControlCharactersCannotBreakTheLine) {
  set_level(level::info);
  capture_stderr cap;
  HERALD_LOG(warn, "bad\r\ninput").kv("value", "a\nb");
  std::string out = cap.finish();
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
  EXPECT_NE(out.find("bad\\x0d\\x0ainput"), std::string::npos) << out;
}

TEST(Log, BelowLevelWritesNothing) {
  set_level(level::warn);
  capture_stderr cap;
  HERALD_LOG(info, "quiet").kv("k", 1);
  EXPECT_EQ(cap.finish(), "");
  set_level(level::info);
}

TEST(Log, ParseLevelNames) {
  level l;
  EXPECT_TRUE(parse_level("debug", l));
  EXPECT_EQ(l, level::debug);
  EXPECT_FALSE(parse_level("loud", l));
}

}  // namespace
}  // namespace herald::log
