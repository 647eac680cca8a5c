// UTF-8 checks for client-controlled text: lengths in the contract are counted
// in Unicode code points, and invalid UTF-8 is refused rather than stored.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace samwaad {

// Number of code points, or nullopt if `s` is not valid UTF-8 (overlongs,
// surrogates and code points above U+10FFFF are invalid).
std::optional<std::size_t> utf8_length(std::string_view s);
bool is_valid_utf8(std::string_view s);
// True if `s` holds a C0 control character other than tab/newline/CR, or DEL.
bool has_control_chars(std::string_view s, bool allow_newlines);
// Trims ASCII whitespace at both ends.
std::string trim(std::string_view s);

}  // namespace samwaad
