// Reading a JSON request body under the contract's rules: JSON only (415
// otherwise), an object, malformed input a 400 validation error.
#pragma once

#include <nlohmann/json.hpp>

#include "http/message.hpp"

namespace samwaad::http {

nlohmann::json json_body(const Request& request);
bool is_json_content_type(const std::optional<std::string>& content_type);

}  // namespace samwaad::http
