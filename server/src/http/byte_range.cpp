#include "http/byte_range.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace samwaad::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only; a number too large for 64 bits saturates (it is past any size).
std::optional<uint64_t> parse_position(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (end != digits.data() + digits.size()) {
    bool all_digits = true;
    for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
    if (!all_digits) return std::nullopt;
  }
  if (error == std::errc::result_out_of_range) return std::numeric_limits<uint64_t>::max();
  if (error != std::errc()) return std::nullopt;
  return value;
}

std::string_view opaque_tag(std::string_view tag) {
  tag = trim(tag);
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}

}  // namespace

ByteRangeRequest parse_byte_range(const std::optional<std::string>& range, uint64_t size) {
  using Kind = ByteRangeRequest::Kind;
  if (!range) return {};
  std::string_view spec = trim(*range);
  constexpr std::string_view kUnit = "bytes=";
  if (spec.size() < kUnit.size()) return {};
  for (std::size_t i = 0; i < kUnit.size(); ++i) {
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(spec[i]))) != kUnit[i]) return {};
  }
  spec = trim(spec.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return {};
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view first_text = trim(spec.substr(0, dash));
  const std::string_view last_text = trim(spec.substr(dash + 1));

  if (first_text.empty()) {  // suffix: the last N bytes
    auto suffix = parse_position(last_text);
    if (!suffix) return {};
    if (*suffix == 0 || size == 0) return {Kind::unsatisfiable, 0, 0};
    const uint64_t length = std::min(*suffix, size);
    return {Kind::partial, size - length, size - 1};
  }
  auto first = parse_position(first_text);
  if (!first) return {};
  std::optional<uint64_t> last;
  if (!last_text.empty()) {
    last = parse_position(last_text);
    if (!last || *last < *first) return {};  // invalid: ignored
  }
  if (*first >= size) return {Kind::unsatisfiable, 0, 0};
  return {Kind::partial, *first, std::min(last.value_or(size - 1), size - 1)};
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    if (opaque_tag(if_none_match.substr(0, comma)) == opaque_tag(etag)) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace samwaad::http
