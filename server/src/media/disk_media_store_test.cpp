#include "media/disk_media_store.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "testing/temp_dir.hpp"

namespace samwaad::media {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

std::string read_all(MediaReader& reader) { return reader.read(0, reader.size()); }

TEST(DiskMediaStore, PutsOpensReadsRangesAndRemoves) {
  TempDir dir{"samwaad-media"};
  DiskMediaStore store(dir.path() / "media");
  store.put("ab12.jpg", "hello world");
  auto reader = store.open("ab12.jpg");
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->size(), 11u);
  EXPECT_EQ(read_all(*reader), "hello world");
  EXPECT_EQ(reader->read(6, 5), "world");
  EXPECT_EQ(reader->read(6, 100), "world");
  EXPECT_EQ(reader->read(11, 1), "");
  EXPECT_EQ(reader->etag().front(), '"');
  EXPECT_EQ(reader->etag().back(), '"');
  // Sharded by the key's first two characters.
  EXPECT_TRUE(fs::exists(dir.path() / "media" / "ab" / "ab12.jpg"));

  store.remove("ab12.jpg");
  EXPECT_FALSE(store.open("ab12.jpg"));
  EXPECT_NO_THROW(store.remove("ab12.jpg"));  // removing twice is fine
  EXPECT_FALSE(store.open("cd34.png"));
}

TEST(DiskMediaStore, AnOpenReaderKeepsItsContentWhenTheObjectGoes) {
  TempDir dir{"samwaad-media"};
  DiskMediaStore store(dir.path());
  store.put("k1.png", "first");
  auto reader = store.open("k1.png");
  store.remove("k1.png");
  EXPECT_EQ(read_all(*reader), "first");
}

TEST(DiskMediaStore, ReplacingChangesTheEtag) {
  TempDir dir{"samwaad-media"};
  DiskMediaStore store(dir.path());
  store.put("k1.png", "first");
  const std::string first = store.open("k1.png")->etag();
  store.put("k1.png", "second version");
  auto reader = store.open("k1.png");
  EXPECT_EQ(read_all(*reader), "second version");
  EXPECT_NE(reader->etag(), first);
}

TEST(DiskMediaStore, KeysAreNeverPaths) {
  TempDir dir{"samwaad-media"};
  DiskMediaStore store(dir.path() / "media");
  for (const std::string& key : std::vector<std::string>{
           "../escape.jpg", "a/b.jpg", "/etc/passwd", ".hidden", "", "UPPER.jpg", "sp ace.jpg",
           std::string("nul\0.jpg", 8), std::string(129, 'a')}) {
    EXPECT_THROW(store.put(key, "x"), std::invalid_argument) << key;
    EXPECT_THROW(store.open(key), std::invalid_argument) << key;
    EXPECT_THROW(store.remove(key), std::invalid_argument) << key;
  }
  EXPECT_FALSE(fs::exists(dir.path() / "escape.jpg"));
  EXPECT_TRUE(is_valid_media_key("0123456789abcdef0123456789abcdef_thumb.webp"));
}

TEST(DiskMediaStore, ASymlinkPlantedInTheStoreIsNotFollowed) {
  TempDir dir{"samwaad-media"};
  DiskMediaStore store(dir.path() / "media");
  std::ofstream(dir.path() / "secret.txt") << "secret";
  fs::create_directories(dir.path() / "media" / "ab");
  fs::create_symlink(dir.path() / "secret.txt", dir.path() / "media" / "ab" / "ab.jpg");
  EXPECT_FALSE(store.open("ab.jpg"));
}

TEST(DiskMediaStore, WritesAreAtomicAndLeftoversOfACrashAreCleared) {
  TempDir dir{"samwaad-media"};
  {
    DiskMediaStore store(dir.path());
    // What a crash mid-write leaves: a temporary file that never got renamed.
    std::ofstream(dir.path() / "tmp" / "deadbeef.part") << "half an ima";
  }
  DiskMediaStore reopened(dir.path());
  EXPECT_TRUE(fs::is_empty(dir.path() / "tmp"));

  // Readers see the old content or the new one, never a mix or a short file.
  reopened.put("k1.jpg", std::string(256 * 1024, 'a'));
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!stop) {
      auto r = reopened.open("k1.jpg");
      if (!r) {
        ++torn;
        continue;
      }
      const std::string content = read_all(*r);
      if (content != std::string(256 * 1024, 'a') && content != std::string(256 * 1024, 'b'))
        ++torn;
    }
  });
  for (int i = 0; i < 20; ++i) reopened.put("k1.jpg", std::string(256 * 1024, i % 2 ? 'a' : 'b'));
  stop = true;
  reader.join();
  EXPECT_EQ(torn, 0);
}

TEST(DiskMediaStore, UnusableRootIsAnError) {
  TempDir dir{"samwaad-media"};
  std::ofstream(dir.path() / "file") << "not a directory";
  EXPECT_THROW(DiskMediaStore(dir.path() / "file" / "media"), MediaStoreError);
}

TEST(OpenMediaStore, OnlyFileUrls) {
  TempDir dir{"samwaad-media"};
  EXPECT_TRUE(open_media_store("file://" + (dir.path() / "m").string()));
  EXPECT_TRUE(fs::is_directory(dir.path() / "m"));
  EXPECT_THROW(open_media_store("s3://bucket/prefix"), std::invalid_argument);
  EXPECT_THROW(open_media_store("file://"), std::invalid_argument);
  EXPECT_THROW(open_media_store("/plain/path"), std::invalid_argument);
}

}  // namespace
}  // namespace samwaad::media
