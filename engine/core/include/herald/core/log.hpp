// Structured one-line logs: `ts=… level=… msg="…" key=value …`, safe to call from any shard thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace herald::log {

enum class level : std::uint8_t { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(level l);
level current_level();
bool parse_level(std::string_view name, level& out);

// A log line under construction; written atomically (one write(2)) when it goes out of scope.
class line {
 public:
  line(level l, std::string_view msg);
  ~line();
  line(const line&) = delete;
  line& operator=(const line&) = delete;

  line& kv(std::string_view key, std::string_view value);
  line& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  line& kv(std::string_view key, std::int64_t value);
  line& kv(std::string_view key, std::uint64_t value);
  line& kv(std::string_view key, int value) { return kv(key, static_cast<std::int64_t>(value)); }
  line& kv(std::string_view key, unsigned value) { return kv(key, static_cast<std::uint64_t>(value)); }
  line& kv(std::string_view key, double value);

 private:
  void append(std::string_view s);
  void append_quoted(std::string_view s);
  bool enabled_;
  std::size_t len_ = 0;
  char buf_[1024];
};

}  // namespace herald::log

#define HERALD_LOG(lvl, msg) ::herald::log::line(::herald::log::level::lvl, msg)
