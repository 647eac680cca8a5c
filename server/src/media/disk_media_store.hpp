// The disk backend of MediaStore (MEDIA_URL=file://<directory>). Objects are
// files under the root, sharded by the key's first two characters
// (<root>/ab/ab12...jpg) so that no directory grows to millions of entries.
//
// put() writes a temporary file under <root>/tmp, fsyncs it, renames it into
// place and fsyncs the directory. rename() is atomic, so readers and a restart
// after a crash see the old object or the new one, never half of one; the
// temporary files a crash leaves behind are removed when the store opens.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "media/media_store.hpp"

namespace samwaad::media {

class DiskMediaStore final : public MediaStore {
 public:
  // Creates the root if needed. Throws MediaStoreError if it is unusable.
  explicit DiskMediaStore(std::filesystem::path root);

  void put(const std::string& key, std::string_view content) override;
  std::unique_ptr<MediaReader> open(const std::string& key) override;
  void remove(const std::string& key) override;

  // Where `key` lives (for tests and operators).
  std::filesystem::path path_of(const std::string& key) const;

 private:
  std::filesystem::path root_;
  std::filesystem::path tmp_;
};

}  // namespace samwaad::media
