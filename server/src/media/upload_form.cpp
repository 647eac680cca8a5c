#include "media/upload_form.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace samwaad::media {
namespace {

// Field names come from the client: keep error messages short and printable.
std::string printable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out.empty() ? "(unnamed)" : out;
}

std::string describe_limit(std::size_t bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", static_cast<double>(bytes) / (1024.0 * 1024.0));
  std::string mb = text;
  while (mb.back() == '0') mb.pop_back();
  if (mb.back() == '.') mb.pop_back();
  return mb + " MB (" + std::to_string(bytes) + " bytes)";
}

}  // namespace

std::string UploadForm::boundary_of(const std::optional<std::string>& content_type) {
  if (!content_type || !is_form_data(*content_type)) {
    throw ApiError(ErrorCode::unsupported_media_type,
                   "the request body must be multipart/form-data");
  }
  auto boundary = form_data_boundary(*content_type);
  if (!boundary) {
    throw ApiError(ErrorCode::validation,
                   "the multipart/form-data Content-Type has no valid boundary");
  }
  return *boundary;
}

UploadForm::UploadForm(const std::optional<std::string>& content_type, UploadFormSpec spec,
                       std::shared_ptr<void> lease)
    : spec_(std::move(spec)), parser_(boundary_of(content_type), *this), lease_(std::move(lease)) {}

std::size_t UploadForm::max_bytes() const { return spec_.max_file_bytes + kFramingAllowanceBytes; }

void UploadForm::append(std::string_view bytes) {
  try {
    parser_.feed(bytes);
  } catch (const MultipartError& e) {
    throw ApiError(ErrorCode::validation, std::string("malformed multipart body: ") + e.what());
  }
}

void UploadForm::finish() {
  try {
    parser_.finish();
  } catch (const MultipartError& e) {
    throw ApiError(ErrorCode::validation, std::string("malformed multipart body: ") + e.what());
  }
  // An HTML form with no file chosen still sends the part, empty: for an
  // optional file that means none.
  if (file_ && file_->empty() && !spec_.file_required) file_.reset();
  if (!file_ && spec_.file_required) throw field_error(spec_.file_field, "is required");
  if (file_ && file_->empty()) throw field_error(spec_.file_field, "is empty");
}

std::optional<std::string> UploadForm::text(const std::string& field) const {
  auto it = texts_.find(field);
  if (it == texts_.end()) return std::nullopt;
  return it->second;
}

void UploadForm::on_part_begin(const PartHeaders& headers) {
  if (headers.name == spec_.file_field) {
    if (file_) throw field_error(spec_.file_field, "must be sent once: one file per request");
    file_.emplace();
  } else if (headers.filename) {
    throw field_error(spec_.file_field, "must be the only file: one file per request (got " +
                                            printable(headers.name) + ")");
  } else if (spec_.text_fields.count(headers.name)) {
    if (texts_.count(headers.name)) throw field_error(headers.name, "must be sent once");
    texts_[headers.name];
  } else {
    throw field_error(printable(headers.name), "is not a field of this form");
  }
  current_field_ = headers.name;
}

void UploadForm::on_part_data(std::string_view data) {
  if (current_field_ == spec_.file_field) {
    if (file_->size() + data.size() > spec_.max_file_bytes) {
      throw ApiError(ErrorCode::payload_too_large, "the file is larger than the upload limit of " +
                                                       describe_limit(spec_.max_file_bytes));
    }
    file_->append(data);
    return;
  }
  std::string& text = texts_.at(current_field_);
  if (text.size() + data.size() > spec_.max_text_bytes) {
    throw field_error(current_field_, "is too long");
  }
  text.append(data);
}

void UploadForm::on_part_end() { current_field_.clear(); }

}  // namespace samwaad::media
