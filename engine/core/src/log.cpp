// Structured logging to stderr; one write per line so lines from different shards never interleave.
#include "herald/core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace herald::log {

namespace {
std::atomic<level> g_level{level::info};
constexpr std::string_view kNames[] = {"debug", "info", "warn", "error", "off"};
}  // namespace

void set_level(level l) {
  g_level.store(l, std::memory_order_relaxed);
}
level current_level() {
  return g_level.load(std::memory_order_relaxed);
}

bool parse_level(std::string_view name, level& out) {
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    if (kNames[i] == name) {
      out = static_cast<level>(i);
      return true;
    }
  }
  return false;
}

line::line(level l, std::string_view msg) : enabled_(l >= current_level() && l != level::off) {
  if (!enabled_) return;
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  char stamp[40];
  int n = std::snprintf(stamp, sizeof stamp, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ", t.tm_year + 1900,
                        t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000);
  append(std::string_view(stamp, n > 0 ? static_cast<std::size_t>(n) : 0));
  append("level=");
  append(kNames[static_cast<int>(l)]);
  append(" msg=");
  append_quoted(msg);
}

line::~line() {
  if (!enabled_) return;
  if (len_ >= sizeof buf_) len_ = sizeof buf_ - 1;
  buf_[len_++] = '\n';
  ssize_t rc = ::write(STDERR_FILENO, buf_, len_);
  (void)rc;
}

void line::append(std::string_view s) {
  std::size_t room = sizeof buf_ - 1 - len_;  // keep one byte for the newline
  std::size_t n = s.size() < room ? s.size() : room;
  for (std::size_t i = 0; i < n; ++i) buf_[len_ + i] = s[i];
  len_ += n;
}

void line::append_quoted(std::string_view s) {
  append("\"");
  for (char c : s) {
    // Escape anything that could break the one-line, one-record property of the log.
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', c};
      append(std::string_view(esc, 2));
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      append(std::string_view(hex, 4));
    } else {
      append(std::string_view(&c, 1));
    }
  }
  append("\"");
}

line& line::kv(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  append(" ");
  append(key);
  append("=");
  bool plain = !value.empty();
  for (char c : value)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x21) plain = false;
  if (plain) {
    append(value);
  } else {
    append_quoted(value);
  }
  return *this;
}

line& line::kv(std::string_view key, std::int64_t value) {
  if (!enabled_) return *this;
  char num[24];
  int n = std::snprintf(num, sizeof num, "%lld", static_cast<long long>(value));
  return kv(key, std::string_view(num, static_cast<std::size_t>(n)));
}

line& line::kv(std::string_view key, std::uint64_t value) {
  if (!enabled_) return *this;
  char num[24];
  int n = std::snprintf(num, sizeof num, "%llu", static_cast<unsigned long long>(value));
  return kv(key, std::string_view(num, static_cast<std::size_t>(n)));
}

line& line::kv(std::string_view key, double value) {
  if (!enabled_) return *this;
  char num[32];
  int n = std::snprintf(num, sizeof num, "%.3f", value);
  return kv(key, std::string_view(num, static_cast<std::size_t>(n)));
}

}  // namespace herald::log
