#include "media/media_store.hpp"

#include <stdexcept>

#include "media/disk_media_store.hpp"

namespace samwaad::media {
namespace {

constexpr std::size_t kMaxKeyLength = 128;
constexpr std::string_view kFileScheme = "file://";

}  // namespace

bool is_valid_media_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength || key.front() == '.') return false;
  for (char c : key) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// One scheme per backend; s3:// joins here with its store.
std::unique_ptr<MediaStore> open_media_store(const std::string& media_url) {
  if (media_url.rfind(kFileScheme, 0) != 0) {
    throw std::invalid_argument("MEDIA_URL: only file://<directory> is supported by this build");
  }
  const std::string path = media_url.substr(kFileScheme.size());
  if (path.empty()) throw std::invalid_argument("MEDIA_URL: file:// needs a directory");
  return std::make_unique<DiskMediaStore>(path);
}

}  // namespace samwaad::media
