// Turning an uploaded file into the images Samwaad stores, with libvips: the
// type is decided from the bytes (JPEG, PNG, WebP, GIF), the pixel count is
// checked from the header before anything is decoded (a small file can claim
// 100,000 x 100,000 pixels), the EXIF orientation is applied, colours are
// converted to sRGB, and the image is re-encoded in its own format with every
// piece of metadata dropped (EXIF and its GPS position, XMP, IPTC, ICC
// profiles, comments). Animated GIF and WebP keep their animation, thumbnail
// included.
//
// Everything here blocks and is CPU-heavy: call it on a worker thread.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace samwaad::media {

enum class ImageFormat { jpeg, png, webp, gif };

// From the leading bytes only; nullopt for anything else (including SVG, HTML
// and every other format whatever its name says).
std::optional<ImageFormat> sniff_image_format(std::string_view bytes);
std::string_view file_extension(ImageFormat format);  // "jpg", "png", "webp", "gif"
std::optional<ImageFormat> format_from_extension(std::string_view extension);
std::string_view mime_type(ImageFormat format);

struct ImageLimits {
  // Width x height, all frames of an animation counted: bounds the memory
  // and time one upload may cost however small its file is.
  uint64_t max_pixels = 50'000'000;
  int thumbnail_size = 320;  // the thumbnail's longest side, at most
};

struct EncodedImage {
  std::string bytes;
  int width = 0;
  int height = 0;  // of one frame, for an animation
};

struct ProcessedImage {
  ImageFormat format = ImageFormat::jpeg;
  EncodedImage full;
  EncodedImage thumbnail;
  int frames = 1;
};

// Why an upload is not an image Samwaad keeps.
class ImageRejected : public std::runtime_error {
 public:
  enum class Reason {
    unsupported_type,  // not JPEG, PNG, WebP or GIF by its bytes
    undecodable,       // claims to be one but does not decode (truncated, corrupt)
    too_many_pixels,   // more than ImageLimits::max_pixels
  };
  ImageRejected(Reason reason, const std::string& message)
      : std::runtime_error(message), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

// Starts libvips once per process (idempotent, thread-safe); process_image
// calls it. Throws std::runtime_error if libvips cannot start.
void start_image_library();

// Throws ImageRejected. `bytes` must stay alive until it returns.
ProcessedImage process_image(std::string_view bytes, const ImageLimits& limits = {});

}  // namespace samwaad::media
