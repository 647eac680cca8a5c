// The one error shape of the contract: {"error": {code, message, fields?}}.
// Domain code throws ApiError (or returns it as a value); the HTTP and realtime
// boundaries are the only places that turn it into a response.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace samwaad {

enum class ErrorCode {
  validation,
  unauthorized,
  forbidden,
  not_found,
  conflict,
  payload_too_large,
  unsupported_media_type,
  rate_limited,
  unavailable,
  internal,
};

std::string_view code_name(ErrorCode code);
int http_status(ErrorCode code);

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, std::string message, std::map<std::string, std::string> fields = {});

  ErrorCode code() const { return code_; }
  const std::map<std::string, std::string>& fields() const { return fields_; }
  // Seconds a client should wait before retrying; only for rate_limited / unavailable.
  int retry_after() const { return retry_after_; }
  ApiError& with_retry_after(int seconds) {
    retry_after_ = seconds;
    return *this;
  }

  // The inner object: {code, message, fields?}.
  nlohmann::json to_json() const;
  // The full body: {"error": {...}}.
  nlohmann::json to_body() const { return {{"error", to_json()}}; }

 private:
  ErrorCode code_;
  std::map<std::string, std::string> fields_;
  int retry_after_ = 0;
};

// Shorthand for the common validation error naming one field.
ApiError field_error(const std::string& field, const std::string& problem);

}  // namespace samwaad
