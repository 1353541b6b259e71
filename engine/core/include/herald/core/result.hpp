// result<T, E>: a value or a layer's error code, so hot paths return errors instead of throwing.
#pragma once

#include <type_traits>
#include <utility>

namespace herald {

template <typename T, typename E>
class [[nodiscard]] result {
  static_assert(std::is_enum_v<E>, "error type is a per-layer enum whose zero value means success");

 public:
  result(T value) : value_(std::move(value)), error_(E{}) {}  // NOLINT: implicit by design
  result(E error) : value_(), error_(error) {}                // NOLINT: implicit by design

  bool ok() const { return error_ == E{}; }
  explicit operator bool() const { return ok(); }
  E error() const { return error_; }

  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }

  // simdjson-style: copies the value out and returns the error.
  E get(T& out) && {
    if (ok()) out = std::move(value_);
    return error_;
  }

 private:
  T value_;
  E error_;
};

}  // namespace herald
