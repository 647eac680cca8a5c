// Wall-clock time as milliseconds since the epoch, and its contract form
// (ISO-8601 UTC with milliseconds: 2026-11-25T08:24:17.123Z).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace samwaad {

int64_t now_ms();
std::string format_iso8601(int64_t epoch_ms);
std::optional<int64_t> parse_iso8601(std::string_view s);

}  // namespace samwaad
