// task: a move-only void() callable with inline storage, for mailbox posts and timer callbacks.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace herald::reactor {

class task {
 public:
  static constexpr std::size_t inline_bytes = 48;

  task() = default;
  template <typename F>
  requires(!std::is_same_v<std::decay_t<F>, task> && std::is_invocable_r_v<void, std::decay_t<F>&>)
      task(F&& f) {  // NOLINT: implicit, so lambdas convert at call sites
    using D = std::decay_t<F>;
    if constexpr (sizeof(D) <= inline_bytes && alignof(D) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<D>) {
      new (buf_) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      // Captures bigger than the inline space cost one allocation; posts are per message, not per recipient.
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }
  task(task&& o) noexcept : ops_(o.ops_) {
    if (ops_) ops_->move(buf_, o.buf_);
    o.ops_ = nullptr;
  }
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      if (ops_) ops_->move(buf_, o.buf_);
      o.ops_ = nullptr;
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { reset(); }

  void operator()() { ops_->invoke(buf_); }
  explicit operator bool() const { return ops_ != nullptr; }
  void reset() {
    if (ops_) ops_->destroy(buf_);
    ops_ = nullptr;
  }

 private:
  struct ops_t {
    void (*invoke)(void*);
    void (*move)(void* dst, void* src);  // move-constructs into dst and destroys src
    void (*destroy)(void*);
  };
  template <typename D>
  static constexpr ops_t inline_ops{[](void* p) { (*static_cast<D*>(p))(); },
                                    [](void* dst, void* src) {
                                      new (dst) D(std::move(*static_cast<D*>(src)));
                                      static_cast<D*>(src)->~D();
                                    },
                                    [](void* p) { static_cast<D*>(p)->~D(); }};
  template <typename D>
  static constexpr ops_t heap_ops{
      [](void* p) { (**static_cast<D**>(p))(); },
      [](void* dst, void* src) { *static_cast<D**>(dst) = *static_cast<D**>(src); },
      [](void* p) { delete *static_cast<D**>(p); }};

  alignas(std::max_align_t) unsigned char buf_[inline_bytes];
  const ops_t* ops_ = nullptr;
};

}  // namespace herald::reactor
