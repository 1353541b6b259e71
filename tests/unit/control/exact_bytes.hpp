// Test helper: input copied into a heap block of exactly its size, so ASan reports any over-read.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>

namespace herald::control::testing_support {

struct exact {
  explicit exact(std::string_view s) : bytes(new char[s.size() ? s.size() : 1]), size(s.size()) {
    if (!s.empty()) std::memcpy(bytes.get(), s.data(), s.size());
  }
  std::string_view view() const { return {bytes.get(), size}; }
  std::unique_ptr<char[]> bytes;
  std::size_t size;
};

}  // namespace herald::control::testing_support
