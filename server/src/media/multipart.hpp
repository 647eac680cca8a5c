// A streaming parser for multipart/form-data bodies (RFC 7578 on RFC 2046).
// It is fed the body piece by piece as it arrives and reports each part's
// headers, then its content in pieces: it holds back at most one part's header
// block, or one boundary's length of content, never the body. Pure: no I/O,
// and the work is linear in the input whatever the input is.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace samwaad::media {

// The body is not well-formed multipart, or exceeds the parser's limits.
struct MultipartError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct PartHeaders {
  std::string name;                         // Content-Disposition's `name`
  std::optional<std::string> filename;      // set for file parts (may be empty)
  std::optional<std::string> content_type;  // as the client said: never trusted
};

// Receives the parts in order. Whatever a method throws propagates out of
// MultipartParser::feed, which is how a consumer refuses a part.
class MultipartHandler {
 public:
  virtual ~MultipartHandler() = default;
  virtual void on_part_begin(const PartHeaders& headers) = 0;
  virtual void on_part_data(std::string_view data) = 0;
  virtual void on_part_end() = 0;
};

struct MultipartLimits {
  std::size_t max_header_bytes = std::size_t{8} * 1024;  // one part's header block
  std::size_t max_parts = 16;
};

class MultipartParser {
 public:
  // `boundary` as in the Content-Type parameter (see form_data_boundary).
  MultipartParser(const std::string& boundary, MultipartHandler& handler,
                  MultipartLimits limits = {});
  MultipartParser(const MultipartParser&) = delete;
  MultipartParser& operator=(const MultipartParser&) = delete;

  // The next piece of the body. Throws MultipartError, or what the handler throws.
  void feed(std::string_view bytes);
  // The body ended. Throws MultipartError unless the closing boundary was seen.
  void finish();
  // The closing boundary was seen; anything after it is ignored (epilogue).
  bool done() const { return state_ == State::epilogue; }

 private:
  enum class State { preamble, boundary_line, headers, content, epilogue };

  // Each returns false when it needs more input.
  bool skip_preamble();
  bool read_boundary_line();
  bool read_headers();
  bool read_content();
  std::size_t find_delimiter() const;

  // "\r\n--" + boundary: what ends a part's content. The body's first
  // boundary has no CRLF before it, so the parser starts with one buffered.
  std::string delimiter_;
  MultipartHandler& handler_;
  MultipartLimits limits_;
  State state_ = State::preamble;
  std::string pending_;  // input not consumed yet
  std::size_t parts_ = 0;
};

// A header value split into its main value and its parameters, e.g.
// `form-data; name="file"; filename="a.png"`. Parameter names are lower-cased;
// quoted values are unquoted. nullopt if the value is malformed.
struct HeaderValue {
  std::string value;  // lower-cased
  std::map<std::string, std::string> params;
};
std::optional<HeaderValue> parse_header_value(std::string_view text);

// The boundary of a `multipart/form-data` Content-Type, if it is one and its
// boundary is valid (1-70 characters of RFC 2046's set, not ending in a space).
std::optional<std::string> form_data_boundary(std::string_view content_type);
// Whether the Content-Type names multipart/form-data (boundary or not).
bool is_form_data(std::string_view content_type);

}  // namespace samwaad::media
