// Identifiers in MongoDB ObjectId layout: 4-byte big-endian seconds, 5 random
// bytes fixed per process, 3-byte counter; 24 lower-case hex characters. They
// sort by creation time, which the message pagination relies on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace samwaad {

std::string new_object_id();
// Deterministic variant for tests.
std::string make_object_id(uint32_t seconds, uint64_t random40, uint32_t counter24);
bool is_object_id(std::string_view s);
// The creation time encoded in an id, in seconds since the epoch.
uint32_t object_id_seconds(std::string_view id);

// `n` cryptographically random bytes as lower-case hex (2n characters).
std::string random_hex(std::size_t n);
// `n` cryptographically random bytes.
std::string random_bytes(std::size_t n);

}  // namespace samwaad
