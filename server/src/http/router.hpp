// Maps (method, path) to a handler. Patterns are literal segments and ":name"
// captures, e.g. "/api/v1/users/:id". Handlers run on a worker pool, never on
// a network thread; the route says which pool (password hashing has its own,
// bounded, so a login storm cannot starve everything else).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/body_stream.hpp"
#include "http/message.hpp"

namespace samwaad::http {

enum class Pool { general, hashing };

using Handler = std::function<Response(Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  Pool pool = Pool::general;
  std::vector<std::string> segments;
  BodyOpener open_body;  // set for routes that stream their body
};

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;
  // The path exists but not for this method (405 rather than 404).
  std::vector<std::string> allowed_methods;
};

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler, Pool pool = Pool::general);
  // A route whose body is streamed to what `open_body` returns (uploads).
  void add_streaming(std::string method, std::string pattern, BodyOpener open_body, Handler handler,
                     Pool pool = Pool::general);
  RouteMatch match(const std::string& method, const std::string& path) const;

 private:
  std::vector<Route> routes_;
};

std::vector<std::string> split_path(const std::string& path);

}  // namespace samwaad::http
