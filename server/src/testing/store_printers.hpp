// How GoogleTest prints the store's records when an expectation on them
// fails: field by field, instead of as raw bytes.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "store/store.hpp"

namespace samwaad::store {

namespace printers_detail {
template <typename T>
void field(std::ostream& os, const char* name, const std::optional<T>& value) {
  os << ' ' << name << '=';
  if (value) {
    os << *value;
  } else {
    os << "null";
  }
}
}  // namespace printers_detail

inline void PrintTo(const Message& m, std::ostream* os) {
  *os << "Message{id=" << m.id << " conversation=" << m.conversation_id << " from=" << m.from
      << " to=" << m.to;
  printers_detail::field(*os, "text", m.text);
  printers_detail::field(*os, "image", m.image_json);
  printers_detail::field(*os, "call", m.call_json);
  printers_detail::field(*os, "client_id", m.client_id);
  printers_detail::field(*os, "delivered_ms", m.delivered_ms);
  printers_detail::field(*os, "read_ms", m.read_ms);
  *os << " created_ms=" << m.created_ms << '}';
}

}  // namespace samwaad::store
