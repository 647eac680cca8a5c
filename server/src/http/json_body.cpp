#include "http/json_body.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/validate.hpp"

namespace samwaad::http {

bool is_json_content_type(const std::optional<std::string>& content_type) {
  if (!content_type) return false;
  std::string value = *content_type;
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto semi = value.find(';');
  std::string media = value.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.pop_back();
  return media == "application/json";
}

nlohmann::json json_body(const Request& request) {
  if (!is_json_content_type(request.header("content-type"))) {
    throw ApiError(ErrorCode::unsupported_media_type, "request body must be application/json");
  }
  return parse_json_object(request.body);
}

}  // namespace samwaad::http
