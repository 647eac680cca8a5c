#include <string>

#include "api/request_auth.hpp"
#include "api/routes.hpp"
#include "core/error.hpp"
#include "http/byte_range.hpp"
#include "media/media_service.hpp"

namespace samwaad::api {
namespace {

constexpr std::string_view kMediaPrefix = "/media/";

http::Response not_found() {
  return http::Response::error(ApiError(ErrorCode::not_found, "not found"));
}

// Media are public (an <img> cannot send a token) and unguessable; the
// headers keep a browser from treating them as anything but an image, and
// let caches keep them for good (a public_id never changes content).
http::Response serve_media(const http::Request& req, media::MediaService& media) {
  // The router takes "/media/x.jpg/" for "/media/x.jpg"; a media URL is exact.
  if (req.path.back() == '/') return not_found();
  auto file = media.open_file(req.params.at("name"));
  if (!file) return not_found();
  media::MediaReader& reader = *file->reader;
  http::Response r;
  r.set_header("content-type", std::string(file->content_type));
  r.set_header("cache-control", "public, max-age=31536000, immutable");
  r.set_header("content-security-policy", "default-src 'none'");
  r.set_header("etag", reader.etag());
  r.set_header("accept-ranges", "bytes");
  if (auto if_none_match = req.header("if-none-match");
      if_none_match && http::etag_matches(*if_none_match, reader.etag())) {
    r.status = 304;
    return r;
  }
  std::optional<std::string> range = req.header("range");
  // A range of some other version of the file would splice two files.
  if (auto if_range = req.header("if-range"); if_range && *if_range != reader.etag()) {
    range.reset();
  }
  const uint64_t size = reader.size();
  const http::ByteRangeRequest wanted = http::parse_byte_range(range, size);
  switch (wanted.kind) {
    case http::ByteRangeRequest::Kind::whole: r.body = reader.read(0, size); break;
    case http::ByteRangeRequest::Kind::partial:
      r.status = 206;
      r.body = reader.read(wanted.first, wanted.last - wanted.first + 1);
      r.set_header("content-range", "bytes " + std::to_string(wanted.first) + "-" +
                                        std::to_string(wanted.last) + "/" + std::to_string(size));
      break;
    case http::ByteRangeRequest::Kind::unsatisfiable: {
      http::Response refused = http::Response::error(
          ApiError(ErrorCode::validation, "the requested range is not satisfiable"));
      refused.status = 416;
      refused.set_header("content-range", "bytes */" + std::to_string(size));
      refused.set_header("content-security-policy", "default-src 'none'");
      return refused;
    }
  }
  return r;
}

}  // namespace

bool is_media_path(std::string_view path) {
  return path == "/media" || path.substr(0, kMediaPrefix.size()) == kMediaPrefix;
}

http::Response media_not_found() { return not_found(); }

void add_media_routes(http::Router& router, ApiDeps deps, media::MediaService& media) {
  // The body streams into the form only once the caller is known and within
  // budget; processing is CPU-heavy and runs on the bounded CPU pool (shared
  // with password hashing), so uploads cannot starve ordinary requests.
  router.add_streaming(
      "POST", "/api/v1/uploads/image",
      [deps, &media](http::Request& req) -> std::unique_ptr<http::BodyStream> {
        const auto principal = require_auth(req, deps.auth);
        return media.open_upload(principal.user_id, req.header("content-type"), "file", true);
      },
      [deps, &media](http::Request& req) {
        // Again: the session may have been revoked while the body arrived.
        const auto principal = require_auth(req, deps.auth);
        const auto& form = http::streamed_body<media::UploadForm>(req);
        return http::Response::json(201, media.upload_chat_image(principal.user_id, *form.file()));
      },
      http::Pool::hashing);

  router.add("GET", "/media/:name",
             [&media](http::Request& req) { return serve_media(req, media); });
}

}  // namespace samwaad::api
