// Uploaded images as the rest of the server sees them: chat uploads, image
// messages (it vouches for them, see chat::ImageClaims), profile pictures,
// serving the files, and sweeping away uploads nothing ever used.
//
// An image is stored as two files in the MediaStore, `<public_id>.<ext>` and
// `<public_id>_thumb.<ext>`, and one row in the Store. Files are written
// before the row and removed after it, so a row always has its files; a crash
// in between can only leave unreferenced files behind, never a broken image.
//
// Every method blocks (libvips, disk, database): worker threads only. Errors
// for the client are ApiError, as the contract words them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "auth/rate_limiter.hpp"
#include "chat/image_claims.hpp"
#include "media/image_processing.hpp"
#include "media/media_store.hpp"
#include "media/upload_form.hpp"
#include "store/store.hpp"

namespace samwaad::media {

struct MediaSettings {
  std::size_t max_image_bytes = std::size_t{5} * 1024 * 1024;  // MAX_CHAT_IMAGE_MB
  ImageLimits image;
  // Uploads no message or profile used by then are removed.
  std::chrono::seconds unused_ttl{24 * 3600};
  auth::RateRule uploads_per_user{30, 60.0 / 3600};  // 30 at once, then 60 an hour
  // Uploads being received or processed at once: each holds up to
  // max_image_bytes in memory. Beyond it: 503 with Retry-After.
  int max_uploads_in_flight = 16;
};

// A file of the media store opened for serving.
struct MediaFile {
  std::unique_ptr<MediaReader> reader;
  std::string_view content_type;
};

class MediaService final : public chat::ImageClaims {
 public:
  MediaService(store::Store& store, MediaStore& files, auth::RateLimiter& limiter,
               MediaSettings settings);

  // Before an upload's body is read: takes one upload from the user's budget
  // (429) and a slot among the uploads in flight (503), and returns the form
  // that will receive the body; the slot is held as long as the form lives.
  // `file_field` names the file part; `text_fields` are the others accepted.
  std::unique_ptr<UploadForm> open_upload(const std::string& user_id,
                                          const std::optional<std::string>& content_type,
                                          const std::string& file_field, bool file_required,
                                          std::set<std::string> text_fields = {});

  // Processes and stores a chat upload; returns the upload result of the
  // contract: {url, thumbnailUrl, public_id, width, height, bytes, format}.
  // Throws 415 (not an image by its bytes), 400 fields.<file_field> (does not
  // decode), 413 (too many pixels).
  nlohmann::json upload_chat_image(const std::string& owner_id, std::string_view bytes,
                                   const std::string& file_field = "file");

  // Applies `change` (validated name/bio) together with a new avatar made
  // from `avatar_bytes`, or with the avatar removed. The replaced picture's
  // files are removed. Throws like upload_chat_image (fields.avatar), and
  // not_found for an unknown user.
  store::User update_profile(const std::string& user_id, store::ProfileChange change,
                             const std::optional<std::string>& avatar_bytes, bool remove_avatar);

  // chat::ImageClaims: only an image the sender uploaded for chat.
  nlohmann::json claim_for_message(const std::string& sender_id,
                                   const nlohmann::json& image) override;

  // The file a /media/<name> URL names, or nullopt for any name that is not
  // one of ours (malformed, unknown, removed).
  std::optional<MediaFile> open_file(std::string_view name);

  // Removes uploads never used and older than the TTL (rows, then files).
  // Returns how many images were removed.
  int sweep_unused();

  // {url, thumbnailUrl, public_id, width, height, bytes, format}.
  static nlohmann::json image_json(const store::Image& image);
  static bool is_public_id(std::string_view text);

 private:
  store::Image store_image(const std::string& owner_id, std::string_view bytes,
                           store::ImagePurpose purpose, const std::string& file_field);
  void remove_files(const store::Image& image) noexcept;

  store::Store& store_;
  MediaStore& files_;
  auth::RateLimiter& limiter_;
  MediaSettings settings_;
  std::shared_ptr<std::atomic<int>> in_flight_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace samwaad::media
