#include "http/static_files.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace samwaad::http {

const char* const kAppContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

namespace {

constexpr std::uintmax_t kMaxStaticFile = 16 * 1024 * 1024;

bool has_extension(const std::string& path) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  return dot != std::string::npos && (slash == std::string::npos || dot > slash);
}

}  // namespace

std::string content_type_for(const std::filesystem::path& file) {
  auto ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".webp") return "image/webp";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".webmanifest") return "application/manifest+json";
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}

Response StaticFiles::file_response(const std::filesystem::path& file, bool immutable) const {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ApiError(ErrorCode::not_found, "not found");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  Response r;
  r.body = buffer.str();
  r.set_header("content-type", content_type_for(file));
  r.set_header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (file.extension() == ".html") {
    r.set_header("content-security-policy", kAppContentSecurityPolicy);
  }
  return r;
}

Response StaticFiles::serve(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    throw ApiError(ErrorCode::not_found, "not found");
  }
  // Resolve inside the root only: any ".." or symlink escaping the root is a 404.
  std::error_code ec;
  auto root = std::filesystem::weakly_canonical(root_, ec);
  std::string rel = request.path.substr(1);
  if (rel.find('\0') != std::string::npos) throw ApiError(ErrorCode::not_found, "not found");
  auto candidate = std::filesystem::weakly_canonical(root / rel, ec);
  auto [root_end, _] = std::mismatch(root.begin(), root.end(), candidate.begin(), candidate.end());
  bool inside = !ec && root_end == root.end();
  if (inside && !rel.empty() && std::filesystem::is_regular_file(candidate, ec) &&
      std::filesystem::file_size(candidate, ec) <= kMaxStaticFile) {
    bool hashed = rel.rfind("assets/", 0) == 0;
    return file_response(candidate, hashed);
  }
  // Client-side routes (no extension) get the app; a missing file is a 404.
  if (has_extension(request.path)) throw ApiError(ErrorCode::not_found, "not found");
  auto index = root / "index.html";
  if (!std::filesystem::is_regular_file(index, ec)) {
    Response r;
    r.status = 503;
    r.body = "The Samwaad web client is not built. Run `make run` to build it.\n";
    r.set_header("content-type", "text/plain; charset=utf-8");
    return r;
  }
  return file_response(index, false);
}

}  // namespace samwaad::http
