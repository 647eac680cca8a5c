// The body of an upload request: a multipart/form-data form with one file and
// perhaps a few short text fields, taken as a stream (http::BodyStream). The
// file's bytes are kept in memory up to the upload limit, and the request is
// refused the moment the file passes it or the form holds anything the route
// does not expect, without reading the rest.
//
// Errors (ApiError): 415 when the request is not multipart/form-data; 400
// (validation) for a missing boundary, malformed multipart, a second file, an
// unknown field or a missing file; 413 (payload_too_large) for a file over the
// limit.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "http/body_stream.hpp"
#include "media/multipart.hpp"

namespace samwaad::media {

// Multipart framing (boundaries, part headers, text fields) allowed on top of
// the file: the contract counts only the file against the upload limit.
constexpr std::size_t kFramingAllowanceBytes = std::size_t{64} * 1024;

struct UploadFormSpec {
  std::string file_field = "file";  // the part that carries the file
  bool file_required = true;
  std::set<std::string> text_fields;  // other parts accepted, as short text
  std::size_t max_file_bytes = std::size_t{5} * 1024 * 1024;
  std::size_t max_text_bytes = std::size_t{4} * 1024;  // per text field
};

class UploadForm final : public http::BodyStream, private MultipartHandler {
 public:
  // `content_type` is the request's Content-Type header. Throws ApiError.
  // `lease` is kept as long as the form (a slot among the uploads in flight).
  UploadForm(const std::optional<std::string>& content_type, UploadFormSpec spec,
             std::shared_ptr<void> lease = nullptr);

  std::size_t max_bytes() const override;
  void append(std::string_view bytes) override;
  void finish() override;

  // After finish(): the file's bytes, or nullopt when the form had none.
  const std::optional<std::string>& file() const { return file_; }
  std::optional<std::string> text(const std::string& field) const;

 private:
  void on_part_begin(const PartHeaders& headers) override;
  void on_part_data(std::string_view data) override;
  void on_part_end() override;

  static std::string boundary_of(const std::optional<std::string>& content_type);

  UploadFormSpec spec_;
  MultipartParser parser_;
  std::string current_field_;  // the part being read; empty between parts
  std::optional<std::string> file_;
  std::map<std::string, std::string> texts_;
  std::shared_ptr<void> lease_;
};

}  // namespace samwaad::media
