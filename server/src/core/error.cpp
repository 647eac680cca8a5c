#include "core/error.hpp"

namespace samwaad {

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::validation: return "validation";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::payload_too_large: return "payload_too_large";
    case ErrorCode::unsupported_media_type: return "unsupported_media_type";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::validation: return 400;
    case ErrorCode::unauthorized: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::conflict: return 409;
    case ErrorCode::payload_too_large: return 413;
    case ErrorCode::unsupported_media_type: return 415;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

ApiError::ApiError(ErrorCode code, std::string message, std::map<std::string, std::string> fields)
    : std::runtime_error(std::move(message)), code_(code), fields_(std::move(fields)) {}

nlohmann::json ApiError::to_json() const {
  nlohmann::json j{{"code", code_name(code_)}, {"message", what()}};
  if (!fields_.empty()) j["fields"] = fields_;
  return j;
}

ApiError field_error(const std::string& field, const std::string& problem) {
  return ApiError(ErrorCode::validation, field + " " + problem, {{field, problem}});
}

}  // namespace samwaad
