#include "media/media_service.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "media/disk_media_store.hpp"
#include "media/test_images.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "testing/temp_dir.hpp"

namespace samwaad::media {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kBoundary = "b0undary";
const std::string kContentType = "multipart/form-data; boundary=" + kBoundary;

class MediaServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<store::SqliteStore>(":memory:");
    store_->migrate();
    for (const auto& [id, email] : std::vector<std::pair<std::string, std::string>>{
             {asha, "asha@example.com"}, {bilal, "bilal@example.com"}}) {
      store::User user;
      user.id = id;
      user.name = "User";
      user.email = email;
      user.password_hash = "x";
      store_->insert_user(user);
    }
    files_ = std::make_unique<DiskMediaStore>(dir_.path() / "media");
    make_service({});
  }
  void TearDown() override { service_.reset(); }

  void make_service(MediaSettings settings) {
    service_ = std::make_unique<MediaService>(*store_, *files_, limiter_, settings);
  }

  bool has_file(const std::string& name) { return files_->open(name) != nullptr; }
  bool has_files(const json& image) {
    const std::string url = image["url"], thumb = image["thumbnailUrl"];
    return has_file(url.substr(7)) && has_file(thumb.substr(7));
  }

  ApiError error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const ApiError& e) {
      return e;
    }
    return ApiError(ErrorCode::internal, "no error");
  }

  const std::string asha = make_object_id(1'700'000'001, 1, 1);
  const std::string bilal = make_object_id(1'700'000'002, 2, 2);
  testing::TempDir dir_{"samwaad-media"};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<DiskMediaStore> files_;
  auth::RateLimiter limiter_{true};
  std::unique_ptr<MediaService> service_;
};

TEST_F(MediaServiceTest, UploadStoresBothFilesAndReturnsTheContractsMetadata) {
  const json image = service_->upload_chat_image(asha, test::halves_jpeg(800, 600));
  const std::string id = image["public_id"];
  EXPECT_TRUE(MediaService::is_public_id(id));
  EXPECT_EQ(image["url"], "/media/" + id + ".jpg");
  EXPECT_EQ(image["thumbnailUrl"], "/media/" + id + "_thumb.jpg");
  EXPECT_EQ(image["width"], 800);
  EXPECT_EQ(image["height"], 600);
  EXPECT_EQ(image["format"], "jpg");
  EXPECT_TRUE(has_files(image));
  auto file = service_->open_file(id + ".jpg");
  ASSERT_TRUE(file);
  EXPECT_EQ(image["bytes"], file->reader->size());
  EXPECT_EQ(file->content_type, "image/jpeg");
  auto row = store_->find_image(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->owner_id, asha);
  EXPECT_FALSE(row->used_ms);
}

TEST_F(MediaServiceTest, PublicIdsAreRandomAndDistinct) {
  const std::string png = test::png(4, 4, 3);
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.insert(service_->upload_chat_image(asha, png)["public_id"]);
  EXPECT_EQ(ids.size(), 20u);
}

TEST_F(MediaServiceTest, RefusalsUseTheContractsCodes) {
  EXPECT_EQ(error_of([&] { service_->upload_chat_image(asha, "just text, named cat.png"); }).code(),
            ErrorCode::unsupported_media_type);
  const std::string jpeg = test::noise_jpeg(128, 128);
  ApiError truncated =
      error_of([&] { service_->upload_chat_image(asha, jpeg.substr(0, jpeg.size() / 2)); });
  EXPECT_EQ(truncated.code(), ErrorCode::validation);
  EXPECT_EQ(truncated.fields().count("file"), 1u);
  EXPECT_EQ(error_of([&] {
              service_->upload_chat_image(asha, test::png_claiming(100'000, 100'000));
            }).code(),
            ErrorCode::payload_too_large);
  EXPECT_TRUE(fs::is_empty(dir_.path() / "media" / "tmp"));
}

TEST_F(MediaServiceTest, AFailedRowLeavesNoFiles) {
  const std::string ghost = make_object_id(1'700'000'009, 9, 9);
  EXPECT_THROW(service_->upload_chat_image(ghost, test::png(4, 4, 3)), store::StoreConflict);
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path() / "media")) {
    EXPECT_FALSE(entry.is_regular_file()) << entry.path();
  }
}

TEST_F(MediaServiceTest, OnlyTheUploaderMayUseAnImageInAMessage) {
  const json image = service_->upload_chat_image(asha, test::png(10, 10, 3));
  // The client's copy may be doctored: only public_id counts.
  json doctored = image;
  doctored["width"] = 99999;
  doctored["url"] = "https://evil.example/x.png";
  const json claimed = service_->claim_for_message(asha, doctored);
  EXPECT_EQ(claimed, image);
  EXPECT_TRUE(store_->find_image(image["public_id"])->used_ms);

  ApiError theft = error_of([&] { service_->claim_for_message(bilal, image); });
  EXPECT_EQ(theft.code(), ErrorCode::validation);
  EXPECT_EQ(theft.fields().at("image"), "unknown upload");
  for (const json& bad : std::vector<json>{json("x"), json::object(), json{{"public_id", 5}},
                                           json{{"public_id", "../../etc"}},
                                           json{{"public_id", std::string(32, 'f')}}}) {
    EXPECT_EQ(error_of([&] { service_->claim_for_message(asha, bad); }).fields().count("image"), 1u)
        << bad.dump();
  }
}

TEST_F(MediaServiceTest, AnAvatarIsNotAChatUpload) {
  const store::User user = service_->update_profile(asha, {}, test::png(64, 64, 3), false);
  const json avatar = json::parse(*user.avatar_json);
  EXPECT_EQ(error_of([&] { service_->claim_for_message(asha, avatar); }).fields().at("image"),
            "unknown upload");
}

TEST_F(MediaServiceTest, ReplacingOrRemovingTheAvatarRemovesTheOldFiles) {
  store::ProfileChange change;
  change.bio = "hello";
  const store::User first =
      service_->update_profile(asha, change, test::halves_jpeg(500, 400), false);
  EXPECT_EQ(first.bio, "hello");
  const json avatar1 = json::parse(*first.avatar_json);
  EXPECT_EQ(avatar1["width"], 500);
  EXPECT_TRUE(has_files(avatar1));

  const store::User second = service_->update_profile(asha, {}, test::png(64, 64, 4), false);
  const json avatar2 = json::parse(*second.avatar_json);
  EXPECT_EQ(avatar2["format"], "png");
  EXPECT_TRUE(has_files(avatar2));
  EXPECT_FALSE(has_files(avatar1));
  EXPECT_FALSE(store_->find_image(avatar1["public_id"]));

  const store::User removed = service_->update_profile(asha, {}, std::nullopt, true);
  EXPECT_FALSE(removed.avatar_json);
  EXPECT_FALSE(has_files(avatar2));
  EXPECT_EQ(removed.bio, "hello");
}

TEST_F(MediaServiceTest, ABadAvatarChangesNothing) {
  const store::User first = service_->update_profile(asha, {}, test::png(64, 64, 3), false);
  store::ProfileChange change;
  change.name = "New Name";
  ApiError e =
      error_of([&] { service_->update_profile(asha, change, std::string("<svg/>"), false); });
  EXPECT_EQ(e.code(), ErrorCode::unsupported_media_type);
  const store::User now = *store_->find_user_by_id(asha);
  EXPECT_EQ(now.avatar_json, first.avatar_json);
  EXPECT_EQ(now.name, "User");
  EXPECT_EQ(error_of([&] {
              service_->update_profile(make_object_id(5, 5, 5), {}, test::png(4, 4, 3), false);
            }).code(),
            ErrorCode::not_found);
}

TEST_F(MediaServiceTest, SweepRemovesOnlyUploadsNothingUsedInTime) {
  MediaSettings settings;
  settings.unused_ttl = std::chrono::seconds(0);
  make_service(settings);
  const json unused = service_->upload_chat_image(asha, test::png(8, 8, 3));
  const json used = service_->upload_chat_image(asha, test::png(8, 8, 3));
  service_->claim_for_message(asha, used);
  const store::User user = service_->update_profile(bilal, {}, test::png(8, 8, 3), false);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));

  EXPECT_EQ(service_->sweep_unused(), 1);
  EXPECT_FALSE(has_files(unused));
  EXPECT_FALSE(store_->find_image(unused["public_id"]));
  EXPECT_TRUE(has_files(used));
  EXPECT_TRUE(has_files(json::parse(*user.avatar_json)));
  EXPECT_EQ(error_of([&] { service_->claim_for_message(asha, unused); }).fields().at("image"),
            "unknown upload");
  EXPECT_EQ(service_->sweep_unused(), 0);

  // With the default day, a fresh upload is kept.
  make_service({});
  const json fresh = service_->upload_chat_image(asha, test::png(8, 8, 3));
  EXPECT_EQ(service_->sweep_unused(), 0);
  EXPECT_TRUE(has_files(fresh));
}

TEST_F(MediaServiceTest, UploadsAreRateLimitedPerUser) {
  MediaSettings settings;
  settings.uploads_per_user = {2, 1.0 / 3600};
  make_service(settings);
  service_->open_upload(asha, kContentType, "file", true);
  service_->open_upload(asha, kContentType, "file", true);
  ApiError limited = error_of([&] { service_->open_upload(asha, kContentType, "file", true); });
  EXPECT_EQ(limited.code(), ErrorCode::rate_limited);
  EXPECT_GE(limited.retry_after(), 1);
  EXPECT_NO_THROW(service_->open_upload(bilal, kContentType, "file", true));
}

TEST_F(MediaServiceTest, UploadsInFlightAreBounded) {
  MediaSettings settings;
  settings.max_uploads_in_flight = 2;
  make_service(settings);
  auto first = service_->open_upload(asha, kContentType, "file", true);
  auto second = service_->open_upload(asha, kContentType, "file", true);
  ApiError busy = error_of([&] { service_->open_upload(bilal, kContentType, "file", true); });
  EXPECT_EQ(busy.code(), ErrorCode::unavailable);
  EXPECT_GE(busy.retry_after(), 1);
  first.reset();
  EXPECT_NO_THROW(service_->open_upload(bilal, kContentType, "file", true));
  // A refused form (not multipart) gives its slot back at once.
  second.reset();
  EXPECT_EQ(error_of([&] {
              service_->open_upload(asha, std::string("text/plain"), "file", true);
            }).code(),
            ErrorCode::unsupported_media_type);
  EXPECT_NO_THROW(service_->open_upload(asha, kContentType, "file", true));
}

TEST_F(MediaServiceTest, OpenFileServesOnlyOurNames) {
  const json image = service_->upload_chat_image(asha, test::webp(20, 20));
  const std::string id = image["public_id"];
  EXPECT_TRUE(service_->open_file(id + ".webp"));
  EXPECT_TRUE(service_->open_file(id + "_thumb.webp"));
  EXPECT_EQ(service_->open_file(id + ".webp")->content_type, "image/webp");
  for (const std::string& name : std::vector<std::string>{
           id + ".jpg", id, id + ".webp.webp", "../" + id + ".webp", id.substr(1) + ".webp",
           id + "_thumb", id + "_THUMB.webp", "_thumb.webp", ".webp",
           std::string(32, 'g') + ".webp", "", "tmp"}) {
    EXPECT_FALSE(service_->open_file(name)) << name;
  }
}

}  // namespace
}  // namespace samwaad::media
