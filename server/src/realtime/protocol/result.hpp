// Errors as values for the protocol codecs. Everything they decode comes straight off the
// network, so a malformed packet is an ordinary outcome, not an exceptional one: callers get a
// Result and decide (close the session, answer 400/413) without try/catch around every read.
// C++20 has no std::expected, hence this small stand-in.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace samwaad::realtime::protocol {

enum class ErrorKind {
  malformed,  // not valid per the protocol: the peer is broken or hostile, close the session
  too_large,  // over a configured bound: HTTP long-polling answers 413 for this one
};

struct Error {
  ErrorKind kind = ErrorKind::malformed;
  std::string message;
};

inline Error malformed(std::string message) { return {ErrorKind::malformed, std::move(message)}; }
inline Error too_large(std::string message) { return {ErrorKind::too_large, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose, so that `return value;` and `return malformed("…");` both work.
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Reading the wrong side throws std::bad_variant_access: a caller bug, never UB.
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace samwaad::realtime::protocol
