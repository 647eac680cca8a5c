#include "http/app.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace samwaad::http {
namespace {

HttpApp make_app(std::optional<std::string> origin = std::nullopt) {
  Router router;
  router.add("GET", "/api/v1/boom", [](Request&) -> Response {
    throw std::runtime_error("SELECT secret FROM /var/lib/x");
  });
  router.add("GET", "/api/v1/missing",
             [](Request&) -> Response { throw ApiError(ErrorCode::not_found, "user not found"); });
  router.add("GET", "/api/v1/ok", [](Request&) { return Response::json(200, {{"ok", true}}); });
  return HttpApp(std::move(router), {origin}, [](Request&) {
    Response r;
    r.body = "static";
    return r;
  });
}

Request get(std::string path) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.request_id = "rid";
  return r;
}

}  // namespace

TEST(HttpApp, InternalErrorsLeakNothing) {
  auto app = make_app();
  auto req = get("/api/v1/boom");
  auto res = app.handle(req);
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("SELECT"), std::string::npos);
  EXPECT_EQ(res.body.find("/var"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"], "internal");
}

TEST(HttpApp, ApiErrorsAndUnknownApiPathsAreJson) {
  auto app = make_app();
  auto a = get("/api/v1/missing");
  EXPECT_EQ(app.handle(a).status, 404);
  auto b = get("/api/v1/nothing-here");
  auto res = app.handle(b);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"], "not_found");
  auto c = get("/chat");
  EXPECT_EQ(app.handle(c).body, "static");
}

TEST(HttpApp, SecurityHeadersAndRequestId) {
  auto app = make_app();
  auto req = get("/api/v1/ok");
  auto res = app.handle(req);
  EXPECT_EQ(res.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(res.header("x-request-id"), "rid");
  EXPECT_EQ(res.header("cache-control"), "no-store");
  EXPECT_NE(res.header("content-security-policy")->find("frame-ancestors 'none'"),
            std::string::npos);
}

TEST(HttpApp, CorsOnlyForTheConfiguredOrigin) {
  auto app = make_app("https://chat.example.com");
  auto allowed = get("/api/v1/ok");
  allowed.headers.emplace_back("origin", "https://chat.example.com");
  EXPECT_EQ(app.handle(allowed).header("access-control-allow-origin"), "https://chat.example.com");
  auto other = get("/api/v1/ok");
  other.headers.emplace_back("origin", "https://evil.example");
  EXPECT_FALSE(app.handle(other).header("access-control-allow-origin"));

  Request preflight = get("/api/v1/ok");
  preflight.method = "OPTIONS";
  preflight.headers.emplace_back("origin", "https://chat.example.com");
  auto res = app.handle(preflight);
  EXPECT_EQ(res.status, 204);
  EXPECT_TRUE(res.header("access-control-allow-headers"));
}

// A body stream that records what it was given.
class RecordingStream final : public BodyStream {
 public:
  std::size_t max_bytes() const override { return 42; }
  void append(std::string_view bytes) override { received += bytes; }
  void finish() override {}
  std::string received;
};

HttpApp make_streaming_app() {
  Router router;
  router.add_streaming(
      "POST", "/api/v1/upload/:kind",
      [](Request& req) -> std::unique_ptr<BodyStream> {
        if (req.params.at("kind") == "refused") {
          throw ApiError(ErrorCode::unauthorized, "who are you");
        }
        if (req.params.at("kind") == "plain") return nullptr;
        return std::make_unique<RecordingStream>();
      },
      [](Request& req) {
        if (!req.body_stream) return Response::json(200, {{"body", req.body}});
        return Response::json(200, {{"streamed", streamed_body<RecordingStream>(req).received}});
      });
  router.add("POST", "/api/v1/plain", [](Request&) { return Response::json(200, {}); });
  return HttpApp(std::move(router), {}, [](Request&) { return Response{}; });
}

TEST(HttpApp, StreamingRoutesOpenTheirBodyBeforeItIsRead) {
  auto app = make_streaming_app();
  auto req = get("/api/v1/upload/image");
  req.method = "POST";
  EXPECT_TRUE(app.classify(req).opens_body);
  OpenedBody opened = app.open_body(req);
  ASSERT_TRUE(opened.stream);
  EXPECT_FALSE(opened.refusal);
  EXPECT_EQ(opened.stream->max_bytes(), 42u);
  opened.stream->append("abc");
  req.body_stream = std::move(opened.stream);
  auto res = app.handle(req);
  EXPECT_EQ(nlohmann::json::parse(res.body)["streamed"], "abc");
}

TEST(HttpApp, AnOpenerMayRefuseOrLeaveTheBodyBuffered) {
  auto app = make_streaming_app();
  auto refused = get("/api/v1/upload/refused");
  refused.method = "POST";
  OpenedBody no = app.open_body(refused);
  ASSERT_TRUE(no.refusal);
  EXPECT_EQ(no.refusal->status, 401);
  EXPECT_EQ(no.refusal->header("x-request-id"), "rid");  // finished like any response
  EXPECT_FALSE(no.stream);

  auto plain = get("/api/v1/upload/plain");
  plain.method = "POST";
  OpenedBody buffered = app.open_body(plain);
  EXPECT_FALSE(buffered.stream);
  EXPECT_FALSE(buffered.refusal);

  auto ordinary = get("/api/v1/plain");
  ordinary.method = "POST";
  EXPECT_FALSE(app.classify(ordinary).opens_body);
}

}  // namespace samwaad::http
