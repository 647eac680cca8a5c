// Conditional and range requests (RFC 9110, sections 13 and 14) for a
// resource of known size and entity tag: what the media route needs to serve
// large images to browsers and resuming downloads. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace samwaad::http {

struct ByteRangeRequest {
  enum class Kind {
    whole,          // no usable Range: serve everything with 200
    partial,        // serve [first, last] with 206
    unsatisfiable,  // 416 with Content-Range: bytes */size
  };
  Kind kind = Kind::whole;
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

// One `bytes=` range (first-last, first-, or -suffix). A malformed header, an
// other unit, or several ranges are answered with the whole resource, which
// RFC 9110 allows (a server may ignore Range).
ByteRangeRequest parse_byte_range(const std::optional<std::string>& range, uint64_t size);

// Whether an If-None-Match header names `etag` (or is "*"), comparing weakly.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace samwaad::http
