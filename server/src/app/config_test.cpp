#include "app/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/ids.hpp"

namespace samwaad::app {
namespace {

std::string error_of(const Env& env) {
  try {
    load_config(env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, DefaultsMatchTheContract) {
  auto c = load_config({});
  EXPECT_EQ(c.port, 3000);
  EXPECT_EQ(c.token_expiry_s, 7 * 86400);
  EXPECT_EQ(c.max_chat_image_mb, 5);
  EXPECT_EQ(c.database_url, "sqlite://./data/samwaad.db");
  EXPECT_EQ(c.media_url, "file://./data/media");
  EXPECT_EQ(c.call_ring_timeout_ms, 30000);
  EXPECT_TRUE(c.rate_limits);
  EXPECT_FALSE(c.jwt_secret);
  EXPECT_FALSE(c.client_url);
}

TEST(Config, DataDirMovesTheDefaults) {
  auto c = load_config({{"DATA_DIR", "/srv/samwaad"}});
  EXPECT_EQ(c.database_url, "sqlite:///srv/samwaad/samwaad.db");
  EXPECT_EQ(c.media_url, "file:///srv/samwaad/media");
}

TEST(Config, BadValuesNameTheVariable) {
  EXPECT_EQ(error_of({{"PORT", "http"}}).rfind("PORT:", 0), 0u);
  EXPECT_EQ(error_of({{"PORT", "70000"}}).rfind("PORT:", 0), 0u);
  EXPECT_EQ(error_of({{"TOKEN_EXPIRY", "7w"}}).rfind("TOKEN_EXPIRY:", 0), 0u);
  EXPECT_EQ(error_of({{"MAX_CHAT_IMAGE_MB", "-1"}}).rfind("MAX_CHAT_IMAGE_MB:", 0), 0u);
  EXPECT_EQ(error_of({{"DATABASE_URL", "mysql://x"}}).rfind("DATABASE_URL:", 0), 0u);
  EXPECT_EQ(error_of({{"MEDIA_URL", "s4://bucket"}}).rfind("MEDIA_URL:", 0), 0u);
  EXPECT_EQ(error_of({{"RATE_LIMITS", "maybe"}}).rfind("RATE_LIMITS:", 0), 0u);
  EXPECT_EQ(error_of({{"JWT_SECRET", "short"}}).rfind("JWT_SECRET:", 0), 0u);
  EXPECT_EQ(error_of({{"CLIENT_URL", "ftp://x"}}).rfind("CLIENT_URL:", 0), 0u);
  EXPECT_EQ(error_of({{"TURN_URLS", "turn:127.0.0.1:3478"}}).rfind("TURN_SECRET:", 0), 0u);
  EXPECT_EQ(error_of({{"CALL_RING_TIMEOUT_MS", "soon"}}).rfind("CALL_RING_TIMEOUT_MS:", 0), 0u);
  EXPECT_EQ(error_of({{"MESSAGE_APPLY_DELAY_MS", "60001"}}).rfind("MESSAGE_APPLY_DELAY_MS:", 0),
            0u);
}

TEST(Config, MessageApplyDelay) {
  EXPECT_EQ(load_config({}).message_apply_delay, std::chrono::milliseconds(100));
  EXPECT_EQ(load_config({}).message_apply_delay_quiet, std::chrono::milliseconds(10));
  EXPECT_EQ(load_config({{"MESSAGE_APPLY_DELAY_QUIET_MS", "60000"}}).message_apply_delay_quiet,
            std::chrono::milliseconds(60000));
  EXPECT_EQ(
      error_of({{"MESSAGE_APPLY_DELAY_QUIET_MS", "-1"}}).rfind("MESSAGE_APPLY_DELAY_QUIET_MS:", 0),
      0u);
  EXPECT_EQ(load_config({{"MESSAGE_APPLY_DELAY_MS", "0"}}).message_apply_delay,
            std::chrono::milliseconds(0));
}

TEST(Config, MessageSyncInterval) {
  EXPECT_EQ(load_config({}).message_sync_interval, std::chrono::microseconds(1000));
  EXPECT_EQ(load_config({{"MESSAGE_SYNC_INTERVAL_US", "0"}}).message_sync_interval,
            std::chrono::microseconds(0));
  EXPECT_EQ(
      error_of({{"MESSAGE_SYNC_INTERVAL_US", "100001"}}).rfind("MESSAGE_SYNC_INTERVAL_US:", 0), 0u);
  EXPECT_EQ(error_of({{"MESSAGE_SYNC_INTERVAL_US", "1ms"}}).rfind("MESSAGE_SYNC_INTERVAL_US:", 0),
            0u);
  EXPECT_EQ(load_config({}).message_sync_interval_quiet, std::chrono::microseconds(0));
  EXPECT_EQ(load_config({{"MESSAGE_SYNC_INTERVAL_QUIET_US", "1000"}}).message_sync_interval_quiet,
            std::chrono::microseconds(1000));
  EXPECT_EQ(error_of({{"MESSAGE_SYNC_INTERVAL_QUIET_US", "-1"}})
                .rfind("MESSAGE_SYNC_INTERVAL_QUIET_US:", 0),
            0u);
}

TEST(Config, MessageApplyPriority) {
  EXPECT_TRUE(load_config({}).message_apply_background);
  EXPECT_TRUE(load_config({{"MESSAGE_APPLY_PRIORITY", "background"}}).message_apply_background);
  EXPECT_FALSE(load_config({{"MESSAGE_APPLY_PRIORITY", "normal"}}).message_apply_background);
  EXPECT_EQ(error_of({{"MESSAGE_APPLY_PRIORITY", "idle"}}).rfind("MESSAGE_APPLY_PRIORITY:", 0), 0u);
}

TEST(Config, OriginalDesignVariablesPointToTheReplacement) {
  auto mongo = error_of({{"MONGODB_URI", "mongodb://localhost"}});
  EXPECT_NE(mongo.find("MONGODB_URI"), std::string::npos);
  EXPECT_NE(mongo.find("DATABASE_URL"), std::string::npos);
  auto cloud = error_of({{"CLOUDINARY_URL", "cloudinary://x"}});
  EXPECT_NE(cloud.find("MEDIA_URL"), std::string::npos);
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration_s("7d"), 7 * 86400);
  EXPECT_EQ(parse_duration_s("12h"), 12 * 3600);
  EXPECT_EQ(parse_duration_s("30m"), 1800);
  EXPECT_EQ(parse_duration_s("45s"), 45);
  EXPECT_EQ(parse_duration_s("60"), 60);
  EXPECT_FALSE(parse_duration_s("0s"));
  EXPECT_FALSE(parse_duration_s("d"));
  EXPECT_FALSE(parse_duration_s("-5m"));
}

TEST(Config, UnusedUploadTtlIsADuration) {
  EXPECT_EQ(load_config({}).unused_upload_ttl_s, 86400);
  EXPECT_EQ(load_config({{"UNUSED_UPLOAD_TTL", "2s"}}).unused_upload_ttl_s, 2);
  EXPECT_EQ(load_config({{"UNUSED_UPLOAD_TTL", "3h"}}).unused_upload_ttl_s, 3 * 3600);
  EXPECT_EQ(error_of({{"UNUSED_UPLOAD_TTL", "soon"}}).rfind("UNUSED_UPLOAD_TTL:", 0), 0u);
  EXPECT_EQ(error_of({{"UNUSED_UPLOAD_TTL", "0s"}}).rfind("UNUSED_UPLOAD_TTL:", 0), 0u);
}

TEST(Config, DotenvParsing) {
  auto env = parse_dotenv(
      "# comment\nPORT=4000\nexport CLIENT_URL=\"http://a.b\"\n\nX='y z' \nY=1 # note\n");
  EXPECT_EQ(env.at("PORT"), "4000");
  EXPECT_EQ(env.at("CLIENT_URL"), "http://a.b");
  EXPECT_EQ(env.at("X"), "y z");
  EXPECT_EQ(env.at("Y"), "1");
  EXPECT_THROW(parse_dotenv("NOT A LINE\n"), ConfigError);
}

TEST(Config, GeneratedSecretIsKeptPrivateAndReused) {
  Config c;
  c.data_dir = (std::filesystem::temp_directory_path() / ("samwaad-cfg-" + random_hex(6))).string();
  auto first = resolve_jwt_secret(c);
  EXPECT_GE(first.size(), 64u);
  EXPECT_EQ(resolve_jwt_secret(c), first);
  struct stat st {};
  ASSERT_EQ(::stat((c.data_dir + "/jwt_secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::filesystem::remove_all(c.data_dir);
}

}  // namespace samwaad::app
