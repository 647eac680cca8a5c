// Validation of client-controlled values. Each function throws ApiError with
// code `validation` and the offending field named, so handlers stay linear.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace samwaad {

// Parses a request body that must be a JSON object.
nlohmann::json parse_json_object(std::string_view body);

// A string field: absent/null -> nullopt when optional, a validation error when
// required; any other type, or invalid UTF-8, is a validation error.
std::optional<std::string> string_field(const nlohmann::json& obj, const std::string& field,
                                        bool required);

// Lower-cased, trimmed email or a validation error on `field`.
std::string normalize_email(std::string_view raw, const std::string& field = "email");
bool is_valid_email(std::string_view email);

// A display name: trimmed, 2-64 code points, no control characters.
std::string validate_name(std::string_view raw, const std::string& field = "name");
// A bio: at most 280 code points; newlines allowed, other controls not.
std::string validate_bio(std::string_view raw, const std::string& field = "bio");
// A password: 8-72 bytes (bcrypt reads at most 72), no NUL.
void validate_password(std::string_view raw, const std::string& field = "password");

// An id from a path, query or body: must be 24 lower-case hex characters.
void validate_id(std::string_view raw, const std::string& field);

// An integer query parameter in [min, max]; absent -> `fallback`.
int parse_limit(const std::optional<std::string>& raw, int min, int max, int fallback,
                const std::string& field = "limit");

}  // namespace samwaad
