#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace samwaad::http {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("samwaad-static-" + random_hex(6));
    std::filesystem::create_directories(root_ / "dist" / "assets");
    write(root_ / "dist" / "index.html", "<html>app</html>");
    write(root_ / "dist" / "assets" / "index-abc123.js", "console.log(1)");
    write(root_ / "secret.txt", "outside");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  static void write(const std::filesystem::path& p, const std::string& s) { std::ofstream(p) << s; }
  Response get(const std::string& path) {
    StaticFiles files(root_ / "dist");
    Request r;
    r.method = "GET";
    r.path = path;
    return files.serve(r);
  }
  std::filesystem::path root_;
};

}  // namespace

TEST_F(StaticFilesTest, HashedAssetsAreImmutable) {
  auto r = get("/assets/index-abc123.js");
  EXPECT_EQ(r.body, "console.log(1)");
  EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
}

TEST_F(StaticFilesTest, AppRoutesFallBackToIndexWithCsp) {
  for (const char* route : {"/", "/login", "/chat", "/call/0123456789abcdef01234567"}) {
    auto r = get(route);
    EXPECT_EQ(r.body, "<html>app</html>") << route;
    EXPECT_EQ(r.header("cache-control"), "no-cache");
    EXPECT_NE(r.header("content-security-policy")->find("script-src 'self'"), std::string::npos);
  }
}

TEST_F(StaticFilesTest, NoTraversalAndMissingFilesAre404) {
  EXPECT_THROW(get("/../secret.txt"), ApiError);
  EXPECT_THROW(get("/assets/../../secret.txt"), ApiError);
  EXPECT_THROW(get("/missing.js"), ApiError);
}

}  // namespace samwaad::http
