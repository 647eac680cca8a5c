#include "core/utf8.hpp"

#include <cstdint>

namespace samwaad {

std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t count = 0;
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  while (i < n) {
    unsigned char c = p[i];
    uint32_t cp = 0;
    std::size_t len = 0;
    if (c < 0x80) {
      ++i;
      ++count;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > n) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
      return std::nullopt;  // overlong
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += len;
    ++count;
  }
  return count;
}

bool is_valid_utf8(std::string_view s) { return utf8_length(s).has_value(); }

bool has_control_chars(std::string_view s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (c == 0x7F) return true;
    if (c < 0x20) {
      if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) continue;
      return true;
    }
  }
  return false;
}

std::string trim(std::string_view s) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace samwaad
