#include "core/validate.hpp"

#include <algorithm>
#include <charconv>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/utf8.hpp"

namespace samwaad {

nlohmann::json parse_json_object(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    throw ApiError(ErrorCode::validation, "request body must be valid JSON");
  }
  if (!j.is_object()) {
    throw ApiError(ErrorCode::validation, "request body must be a JSON object");
  }
  return j;
}

std::optional<std::string> string_field(const nlohmann::json& obj, const std::string& field,
                                        bool required) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    if (required) throw field_error(field, "is required");
    return std::nullopt;
  }
  if (!it->is_string()) throw field_error(field, "must be a string");
  auto value = it->get<std::string>();
  if (!is_valid_utf8(value)) throw field_error(field, "must be valid UTF-8");
  return value;
}

bool is_valid_email(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) return false;
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at != email.rfind('@')) return false;
  auto local = email.substr(0, at);
  auto domain = email.substr(at + 1);
  if (local.size() > 64 || domain.size() < 3) return false;
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return false;
  }
  auto ok_char = [](unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '(' && c != ')' && c != ',' &&
           c != ';' && c != ':' && c != '\\' && c != '"' && c != '[' && c != ']';
  };
  if (!std::all_of(local.begin(), local.end(), ok_char)) return false;
  for (unsigned char c : domain) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string normalize_email(std::string_view raw, const std::string& field) {
  std::string email = trim(raw);
  std::transform(email.begin(), email.end(), email.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!is_valid_email(email)) throw field_error(field, "must be a valid email");
  return email;
}

std::string validate_name(std::string_view raw, const std::string& field) {
  std::string name = trim(raw);
  auto len = utf8_length(name);
  if (!len) throw field_error(field, "must be valid UTF-8");
  if (*len < 2 || *len > 64) throw field_error(field, "must be 2-64 characters");
  if (has_control_chars(name, false))
    throw field_error(field, "must not contain control characters");
  return name;
}

std::string validate_bio(std::string_view raw, const std::string& field) {
  std::string bio = trim(raw);
  auto len = utf8_length(bio);
  if (!len) throw field_error(field, "must be valid UTF-8");
  if (*len > 280) throw field_error(field, "must be at most 280 characters");
  if (has_control_chars(bio, true)) throw field_error(field, "must not contain control characters");
  return bio;
}

void validate_password(std::string_view raw, const std::string& field) {
  if (raw.size() < 8 || raw.size() > 72) throw field_error(field, "must be 8-72 bytes");
  if (raw.find('\0') != std::string_view::npos) throw field_error(field, "must not contain NUL");
}

void validate_id(std::string_view raw, const std::string& field) {
  if (!is_object_id(raw)) throw field_error(field, "must be a 24-character hex id");
}

int parse_limit(const std::optional<std::string>& raw, int min, int max, int fallback,
                const std::string& field) {
  if (!raw) return fallback;
  int value = 0;
  const char* b = raw->data();
  const char* e = b + raw->size();
  auto [ptr, ec] = std::from_chars(b, e, value);
  if (raw->empty() || ec != std::errc() || ptr != e || value < min || value > max) {
    throw field_error(
        field, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

}  // namespace samwaad
