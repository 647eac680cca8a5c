// libvips through its C++ binding (vips-cpp): reference-counted images and
// exceptions instead of g_object_unref and return codes. Loaders are called by
// name for the sniffed type, never chosen by libvips from the bytes, so a file
// only ever reaches the four decoders we mean to expose.
#include "media/image_processing.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <vips/vips8>

namespace samwaad::media {
namespace {

using vips::VError;
using vips::VImage;

constexpr int kJpegQuality = 85;
constexpr int kWebpQuality = 85;
constexpr int kPngCompression = 6;

// The metadata an encoder needs to write an image back as it was (frames and
// their timing, PNG bit depth). Everything else (EXIF, XMP, IPTC, ICC,
// comments, orientation, resolution) is dropped before encoding.
const std::set<std::string>& kept_metadata() {
  static const std::set<std::string> kept{
      "page-height", "n-pages",           "delay",           "loop",        "gif-delay",
      "gif-loop",    "palette-bit-depth", "bits-per-sample", "gif-palette",
  };
  return kept;
}

struct LoadOptions {
  VipsAccess access = VIPS_ACCESS_SEQUENTIAL;
  bool all_frames = false;  // every frame of an animation, stacked vertically
  int jpeg_shrink = 1;      // 1, 2, 4 or 8: JPEG's cheap downscale while decoding
  double webp_scale = 1.0;  // the same for WebP
};

std::string vips_message(const VError& e) {
  std::string message = e.what();
  vips_error_clear();
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

// The loader for the sniffed type, by name. The blob borrows `bytes` (no
// copy): every image made from it is gone before process_image returns, and
// libvips' operation cache, which could keep one, is off.
VImage load(std::string_view bytes, ImageFormat format, const LoadOptions& load_options) {
  VipsBlob* blob = vips_blob_new(nullptr, bytes.data(), bytes.size());
  // Truncated files fail rather than load with grey where the data stopped.
  vips::VOption* options = VImage::option()
                               ->set("access", static_cast<int>(load_options.access))
                               ->set("fail_on", static_cast<int>(VIPS_FAIL_ON_TRUNCATED));
  try {
    VImage image;
    switch (format) {
      case ImageFormat::jpeg:
        if (load_options.jpeg_shrink > 1) options->set("shrink", load_options.jpeg_shrink);
        image = VImage::jpegload_buffer(blob, options);
        break;
      case ImageFormat::png: image = VImage::pngload_buffer(blob, options); break;
      case ImageFormat::webp:
        if (load_options.all_frames) options->set("n", -1);
        if (load_options.webp_scale < 1.0) options->set("scale", load_options.webp_scale);
        image = VImage::webpload_buffer(blob, options);
        break;
      case ImageFormat::gif:
        if (load_options.all_frames) options->set("n", -1);
        image = VImage::gifload_buffer(blob, options);
        break;
    }
    vips_area_unref(VIPS_AREA(blob));
    return image;
  } catch (...) {
    vips_area_unref(VIPS_AREA(blob));
    throw;
  }
}

int orientation_of(const VImage& image) {
  if (image.get_typeof(VIPS_META_ORIENTATION) == 0) return 1;
  const int orientation = image.get_int(VIPS_META_ORIENTATION);
  return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

int frame_height(const VImage& image) { return vips_image_get_page_height(image.get_image()); }

// Browsers assume sRGB for untagged images, and the profiles go with the rest
// of the metadata: so the pixels are converted to sRGB first.
VImage to_srgb(const VImage& image) {
  if (image.get_typeof(VIPS_META_ICC_NAME) != 0) {
    try {
      return image.icc_transform("srgb",
                                 VImage::option()
                                     ->set("embedded", true)
                                     ->set("intent", static_cast<int>(VIPS_INTENT_PERCEPTUAL)));
    } catch (const VError&) {
      // A profile lcms cannot use: the pixels are taken as they are.
      vips_error_clear();
    }
  }
  switch (image.interpretation()) {
    case VIPS_INTERPRETATION_sRGB:
    case VIPS_INTERPRETATION_B_W:
    case VIPS_INTERPRETATION_RGB16:
    case VIPS_INTERPRETATION_GREY16: return image;
    default: return image.colourspace(VIPS_INTERPRETATION_sRGB);
  }
}

// The encoders are also told to strip; removing the fields first means no
// encoder option or version difference can let one through.
VImage without_metadata(const VImage& image) {
  VImage copy = image.copy();
  gchar** fields = vips_image_get_fields(copy.get_image());
  for (gchar** field = fields; *field != nullptr; ++field) {
    if (!kept_metadata().count(*field)) vips_image_remove(copy.get_image(), *field);
  }
  g_strfreev(fields);
  return copy;
}

std::string encode(const VImage& image, ImageFormat format) {
  VipsBlob* blob = nullptr;
  switch (format) {
    case ImageFormat::jpeg:
      blob = image.jpegsave_buffer(VImage::option()
                                       ->set("Q", kJpegQuality)
                                       ->set("optimize_coding", true)
                                       ->set("strip", true));
      break;
    case ImageFormat::png:
      blob = image.pngsave_buffer(
          VImage::option()->set("compression", kPngCompression)->set("strip", true));
      break;
    case ImageFormat::webp:
      blob = image.webpsave_buffer(VImage::option()->set("Q", kWebpQuality)->set("strip", true));
      break;
    case ImageFormat::gif: blob = image.gifsave_buffer(VImage::option()->set("strip", true)); break;
  }
  std::size_t length = 0;
  const void* data = vips_blob_get(blob, &length);
  std::string bytes(static_cast<const char*>(data), length);
  vips_area_unref(VIPS_AREA(blob));
  return bytes;
}

// Decoding a JPEG at 1/2, 1/4 or 1/8 scale costs a fraction of a full decode;
// the largest factor that still leaves the thumbnail's size is taken.
int jpeg_shrink_for(int longest_side, int thumbnail_size) {
  int shrink = 1;
  while (shrink < 8 && longest_side / (shrink * 2) >= thumbnail_size) shrink *= 2;
  return shrink;
}

EncodedImage encode_full(std::string_view bytes, ImageFormat format, bool animated,
                         int orientation) {
  // Rotating needs the pixels in any order; otherwise they stream through.
  const bool turn = orientation != 1;
  VImage image =
      load(bytes, format, {turn ? VIPS_ACCESS_RANDOM : VIPS_ACCESS_SEQUENTIAL, animated, 1, 1.0});
  if (turn) image = image.autorot();
  image = without_metadata(to_srgb(image));
  EncodedImage encoded;
  encoded.bytes = encode(image, format);
  encoded.width = image.width();
  encoded.height = frame_height(image);
  return encoded;
}

EncodedImage encode_thumbnail(std::string_view bytes, ImageFormat format, bool animated,
                              int longest_side, int size) {
  LoadOptions options{VIPS_ACCESS_SEQUENTIAL, animated, 1, 1.0};
  if (format == ImageFormat::jpeg) options.jpeg_shrink = jpeg_shrink_for(longest_side, size);
  if (format == ImageFormat::webp && !animated && longest_side > 2 * size) {
    options.webp_scale = 2.0 * size / longest_side;
  }
  // thumbnail_image applies the orientation itself, and resizes each frame
  // of an animation.
  VImage image =
      load(bytes, format, options)
          .thumbnail_image(
              size,
              VImage::option()->set("height", size)->set("size", static_cast<int>(VIPS_SIZE_DOWN)));
  image = without_metadata(to_srgb(image));
  EncodedImage encoded;
  encoded.bytes = encode(image, format);
  encoded.width = image.width();
  encoded.height = frame_height(image);
  return encoded;
}

}  // namespace

std::optional<ImageFormat> sniff_image_format(std::string_view bytes) {
  auto starts = [&](std::string_view magic, std::size_t at = 0) {
    return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
  };
  if (starts("\xFF\xD8\xFF")) return ImageFormat::jpeg;
  if (starts("\x89PNG\r\n\x1A\n")) return ImageFormat::png;
  if (starts("RIFF") && starts("WEBP", 8)) return ImageFormat::webp;
  if (starts("GIF87a") || starts("GIF89a")) return ImageFormat::gif;
  return std::nullopt;
}

std::string_view file_extension(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg: return "jpg";
    case ImageFormat::png: return "png";
    case ImageFormat::webp: return "webp";
    case ImageFormat::gif: return "gif";
  }
  return "bin";
}

std::optional<ImageFormat> format_from_extension(std::string_view extension) {
  for (ImageFormat format :
       {ImageFormat::jpeg, ImageFormat::png, ImageFormat::webp, ImageFormat::gif}) {
    if (file_extension(format) == extension) return format;
  }
  return std::nullopt;
}

std::string_view mime_type(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg: return "image/jpeg";
    case ImageFormat::png: return "image/png";
    case ImageFormat::webp: return "image/webp";
    case ImageFormat::gif: return "image/gif";
  }
  return "application/octet-stream";
}

void start_image_library() {
  static std::once_flag started;
  std::call_once(started, [] {
    if (vips_init("samwaad") != 0) {
      throw std::runtime_error(std::string("libvips failed to start: ") + vips_error_buffer());
    }
    // No operation cache: it would keep decoded images (and the request
    // buffers they were loaded from) alive after their request.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    // Refuse libvips' loaders marked unsafe for untrusted input, should
    // anything ever reach the generic loader.
    vips_block_untrusted_set(TRUE);
    // libvips warns on stderr about every broken upload ("error in tile");
    // those are the client's problem, reported to it: debug lines here.
    g_log_set_handler(
        "VIPS",
        static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO),
        [](const gchar*, GLogLevelFlags, const gchar* message, gpointer) {
          spdlog::debug(R"({{"msg":"libvips","detail":{}}})",
                        nlohmann::json(std::string(message))
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        },
        nullptr);
  });
}

ProcessedImage process_image(std::string_view bytes, const ImageLimits& limits) {
  start_image_library();
  const auto format = sniff_image_format(bytes);
  if (!format) {
    throw ImageRejected(ImageRejected::Reason::unsupported_type,
                        "the file is not a JPEG, PNG, WebP or GIF image");
  }
  const bool animatable = *format == ImageFormat::gif || *format == ImageFormat::webp;
  try {
    // Only the header is read here: dimensions, frames, orientation.
    VImage header = load(bytes, *format, {VIPS_ACCESS_SEQUENTIAL, animatable, 1, 1.0});
    const uint64_t pixels =
        static_cast<uint64_t>(header.width()) * static_cast<uint64_t>(header.height());
    if (pixels > limits.max_pixels) {
      throw ImageRejected(ImageRejected::Reason::too_many_pixels,
                          "the image has " + std::to_string(pixels) + " pixels; at most " +
                              std::to_string(limits.max_pixels) + " are accepted");
    }
    ProcessedImage result;
    result.format = *format;
    result.frames = std::max(1, header.height() / std::max(1, frame_height(header)));
    const bool animated = result.frames > 1;
    const int orientation = animated ? 1 : orientation_of(header);
    const int longest = std::max(header.width(), frame_height(header));
    result.full = encode_full(bytes, *format, animated, orientation);
    result.thumbnail = encode_thumbnail(bytes, *format, animated, longest, limits.thumbnail_size);
    return result;
  } catch (const VError& e) {
    throw ImageRejected(ImageRejected::Reason::undecodable,
                        "the image does not decode: " + vips_message(e));
  }
}

}  // namespace samwaad::media
