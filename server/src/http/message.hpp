// Transport-neutral HTTP request and response. The Beast session (net/) turns
// wire messages into these and back, so routing and handlers compile without
// Beast or Asio headers.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace samwaad {
class ApiError;
}

namespace samwaad::http {

class BodyStream;

// Header names are stored lower-case.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;                             // upper-case, e.g. "GET"
  std::string target;                             // as sent: path and query
  std::string path;                               // percent-decoded path, without the query
  std::multimap<std::string, std::string> query;  // decoded query parameters
  HeaderList headers;
  std::string body;
  // Set instead of `body` for routes that stream their body (see body_stream.hpp).
  std::shared_ptr<BodyStream> body_stream;
  std::string remote_address;
  std::string request_id;
  std::map<std::string, std::string> params;  // filled by the router from ":name" segments

  std::optional<std::string> header(std::string_view lower_name) const;
  // The first value of a query parameter.
  std::optional<std::string> query_param(const std::string& name) const;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;

  void set_header(std::string name, std::string value);
  std::optional<std::string> header(std::string_view lower_name) const;

  static Response json(int status, const nlohmann::json& body);
  static Response error(const ApiError& error);
  static Response no_content();
};

// Splits "/a/b?x=1&y=%20" into a decoded path and query map. Returns false if
// the target is malformed (bad percent-encoding, not starting with '/', NUL).
bool parse_target(std::string_view target, std::string& path,
                  std::multimap<std::string, std::string>& query);
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space);

}  // namespace samwaad::http
