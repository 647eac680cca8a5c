#include "media/media_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

namespace samwaad::media {
namespace {

constexpr std::size_t kPublicIdBytes = 16;  // 128 random bits, as the contract asks
constexpr std::string_view kThumbnailSuffix = "_thumb";
constexpr std::string_view kMediaPath = "/media/";
constexpr int kSweepBatch = 200;

std::string file_name(const std::string& public_id, const std::string& extension, bool thumbnail) {
  return public_id + (thumbnail ? std::string(kThumbnailSuffix) : std::string()) + "." + extension;
}

// The contract's words for each way an upload is not an image we keep.
[[noreturn]] void refuse(const ImageRejected& rejected, const std::string& file_field) {
  switch (rejected.reason()) {
    case ImageRejected::Reason::unsupported_type:
      throw ApiError(ErrorCode::unsupported_media_type,
                     "the file must be a JPEG, PNG, WebP or GIF image");
    case ImageRejected::Reason::too_many_pixels:
      throw ApiError(ErrorCode::payload_too_large, rejected.what());
    case ImageRejected::Reason::undecodable: break;
  }
  throw field_error(file_field, "is not a valid image (it does not decode)");
}

// Frees its slot among the uploads in flight when the upload's form goes.
class UploadSlot {
 public:
  explicit UploadSlot(std::shared_ptr<std::atomic<int>> in_flight)
      : in_flight_(std::move(in_flight)) {}
  ~UploadSlot() { in_flight_->fetch_sub(1); }
  UploadSlot(const UploadSlot&) = delete;
  UploadSlot& operator=(const UploadSlot&) = delete;

 private:
  std::shared_ptr<std::atomic<int>> in_flight_;
};

}  // namespace

MediaService::MediaService(store::Store& store, MediaStore& files, auth::RateLimiter& limiter,
                           MediaSettings settings)
    : store_(store), files_(files), limiter_(limiter), settings_(settings) {}

bool MediaService::is_public_id(std::string_view text) {
  return text.size() == 2 * kPublicIdBytes && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

nlohmann::json MediaService::image_json(const store::Image& image) {
  const std::string base = std::string(kMediaPath);
  return {
      {"url", base + file_name(image.public_id, image.format, false)},
      {"thumbnailUrl", base + file_name(image.public_id, image.format, true)},
      {"public_id", image.public_id},
      {"width", image.width},
      {"height", image.height},
      {"bytes", image.bytes},
      {"format", image.format},
  };
}

std::unique_ptr<UploadForm> MediaService::open_upload(
    const std::string& user_id, const std::optional<std::string>& content_type,
    const std::string& file_field, bool file_required, std::set<std::string> text_fields) {
  if (int wait = limiter_.take("upload:user:" + user_id, settings_.uploads_per_user, now_ms());
      wait > 0) {
    throw ApiError(ErrorCode::rate_limited, "too many uploads, try again later")
        .with_retry_after(wait);
  }
  if (in_flight_->fetch_add(1) >= settings_.max_uploads_in_flight) {
    in_flight_->fetch_sub(1);
    throw ApiError(ErrorCode::unavailable, "the server is busy with uploads, try again shortly")
        .with_retry_after(2);
  }
  auto slot = std::make_shared<UploadSlot>(in_flight_);
  UploadFormSpec spec;
  spec.file_field = file_field;
  spec.file_required = file_required;
  spec.text_fields = std::move(text_fields);
  spec.max_file_bytes = settings_.max_image_bytes;
  return std::make_unique<UploadForm>(content_type, std::move(spec), std::move(slot));
}

store::Image MediaService::store_image(const std::string& owner_id, std::string_view bytes,
                                       store::ImagePurpose purpose, const std::string& file_field) {
  ProcessedImage processed;
  try {
    processed = process_image(bytes, settings_.image);
  } catch (const ImageRejected& rejected) {
    refuse(rejected, file_field);
  }
  store::Image image;
  image.public_id = random_hex(kPublicIdBytes);
  image.owner_id = owner_id;
  image.purpose = purpose;
  image.format = std::string(file_extension(processed.format));
  image.width = processed.full.width;
  image.height = processed.full.height;
  image.bytes = static_cast<int64_t>(processed.full.bytes.size());
  image.created_ms = now_ms();
  try {
    files_.put(file_name(image.public_id, image.format, false), processed.full.bytes);
    files_.put(file_name(image.public_id, image.format, true), processed.thumbnail.bytes);
  } catch (...) {
    remove_files(image);
    throw;
  }
  return image;
}

void MediaService::remove_files(const store::Image& image) noexcept {
  for (bool thumbnail : {false, true}) {
    try {
      files_.remove(file_name(image.public_id, image.format, thumbnail));
    } catch (const std::exception& e) {
      // The row is gone either way; an orphaned file costs disk, not correctness.
      spdlog::warn(R"({{"msg":"cannot remove media file","public_id":"{}","error":{}}})",
                   image.public_id, nlohmann::json(std::string(e.what())).dump());
    }
  }
}

nlohmann::json MediaService::upload_chat_image(const std::string& owner_id, std::string_view bytes,
                                               const std::string& file_field) {
  store::Image image = store_image(owner_id, bytes, store::ImagePurpose::chat, file_field);
  try {
    store_.insert_image(image);
  } catch (...) {
    remove_files(image);
    throw;
  }
  return image_json(image);
}

store::User MediaService::update_profile(const std::string& user_id, store::ProfileChange change,
                                         const std::optional<std::string>& avatar_bytes,
                                         bool remove_avatar) {
  std::optional<store::Image> avatar;
  if (avatar_bytes) {
    avatar = store_image(user_id, *avatar_bytes, store::ImagePurpose::avatar, "avatar");
    change.avatar_json = image_json(*avatar).dump();
  } else if (remove_avatar) {
    change.avatar_json.emplace(std::nullopt);
  }
  std::optional<store::ProfileUpdate> update;
  try {
    update = store_.update_profile_and_avatar(user_id, change, avatar, now_ms());
  } catch (...) {
    if (avatar) remove_files(*avatar);
    throw;
  }
  if (!update) {
    if (avatar) remove_files(*avatar);
    throw ApiError(ErrorCode::not_found, "user not found");
  }
  for (const store::Image& released : update->released_images) remove_files(released);
  return update->user;
}

nlohmann::json MediaService::claim_for_message(const std::string& sender_id,
                                               const nlohmann::json& image) {
  auto id = image.is_object() ? image.find("public_id") : image.end();
  if (!image.is_object() || id == image.end() || !id->is_string() ||
      !is_public_id(id->get<std::string>())) {
    throw field_error("image", "must be an upload result with its public_id");
  }
  // The same answer for someone else's image, an avatar, an expired upload
  // and an id nobody made: which one it is is none of the sender's business.
  auto claimed =
      store_.claim_image(id->get<std::string>(), sender_id, store::ImagePurpose::chat, now_ms());
  if (!claimed) throw field_error("image", "unknown upload");
  return image_json(*claimed);
}

std::optional<MediaFile> MediaService::open_file(std::string_view name) {
  // <32 hex>[_thumb].<ext>, and nothing else: the name is the store key, and
  // this check is what keeps any path out of it.
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view stem = name.substr(0, dot);
  const auto format = format_from_extension(name.substr(dot + 1));
  if (!format) return std::nullopt;
  if (stem.size() > kThumbnailSuffix.size() &&
      stem.substr(stem.size() - kThumbnailSuffix.size()) == kThumbnailSuffix) {
    stem.remove_suffix(kThumbnailSuffix.size());
  }
  if (!is_public_id(stem)) return std::nullopt;
  auto reader = files_.open(std::string(name));
  if (!reader) return std::nullopt;
  return MediaFile{std::move(reader), mime_type(*format)};
}

int MediaService::sweep_unused() {
  const int64_t cutoff =
      now_ms() -
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.unused_ttl).count();
  int removed = 0;
  for (;;) {
    const std::vector<store::Image> batch = store_.delete_unused_images(cutoff, kSweepBatch);
    for (const store::Image& image : batch) remove_files(image);
    removed += static_cast<int>(batch.size());
    if (batch.size() < static_cast<std::size_t>(kSweepBatch)) break;
  }
  return removed;
}

}  // namespace samwaad::media
