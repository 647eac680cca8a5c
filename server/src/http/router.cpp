#include "http/router.hpp"

namespace samwaad::http {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  // "/a/b/" and "/a/b" are the same resource.
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

void Router::add(std::string method, std::string pattern, Handler handler, Pool pool) {
  Route route{std::move(method), pattern, std::move(handler), pool, split_path(pattern), {}};
  routes_.push_back(std::move(route));
}

void Router::add_streaming(std::string method, std::string pattern, BodyOpener open_body,
                           Handler handler, Pool pool) {
  Route route{std::move(method), std::move(pattern), std::move(handler), pool, {}, {}};
  route.segments = split_path(route.pattern);
  route.open_body = std::move(open_body);
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(const std::string& method, const std::string& path) const {
  RouteMatch result;
  auto segments = split_path(path);
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const auto& want = route.segments[i];
      if (!want.empty() && want.front() == ':') {
        if (segments[i].empty())
          ok = false;
        else
          params[want.substr(1)] = segments[i];
      } else if (want != segments[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    if (route.method == method || (method == "HEAD" && route.method == "GET")) {
      result.route = &route;
      result.params = std::move(params);
      return result;
    }
    result.allowed_methods.push_back(route.method);
  }
  return result;
}

}  // namespace samwaad::http
