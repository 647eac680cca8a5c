#include "media/test_images.hpp"

#include <array>
#include <random>
#include <stdexcept>
#include <vips/vips8>

#include "media/image_processing.hpp"

namespace samwaad::media::test {
namespace {

using vips::VImage;

std::string take(VipsBlob* blob) {
  std::size_t length = 0;
  const void* data = vips_blob_get(blob, &length);
  std::string bytes(static_cast<const char*>(data), length);
  vips_area_unref(VIPS_AREA(blob));
  return bytes;
}

VImage solid(int width, int height, std::vector<double> colour) {
  return VImage::black(width, height)
      .new_from_image(std::move(colour))
      .cast(VIPS_FORMAT_UCHAR)
      .copy(VImage::option()->set("interpretation", static_cast<int>(VIPS_INTERPRETATION_sRGB)));
}

// --- Bytes by hand.

void put16be(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void put32be(std::string& out, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put16le(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void put32le(std::string& out, uint32_t v) {
  for (int shift : {0, 8, 16, 24}) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint32_t crc32(const std::string& bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  put32be(out, static_cast<uint32_t>(data.size()));
  out += type + data;
  put32be(out, crc32(type + data));
  return out;
}

// A TIFF directory entry whose value is at `offset` or, if it fits in four
// bytes, inline.
struct Entry {
  uint16_t tag;
  uint16_t type;  // 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL
  uint32_t count;
  std::string value;  // little-endian bytes
};

// Lays out one IFD at `at` (from the TIFF header), values after it.
std::string ifd(const std::vector<Entry>& entries, uint32_t at) {
  std::string head;
  std::string values;
  const uint32_t values_at = at + 2 + 12 * static_cast<uint32_t>(entries.size()) + 4;
  put16le(head, static_cast<uint16_t>(entries.size()));
  for (const Entry& e : entries) {
    put16le(head, e.tag);
    put16le(head, e.type);
    put32le(head, e.count);
    if (e.value.size() <= 4) {
      std::string inline_value = e.value;
      inline_value.resize(4, '\0');
      head += inline_value;
    } else {
      put32le(head, values_at + static_cast<uint32_t>(values.size()));
      values += e.value;
      if (values.size() % 2) values.push_back('\0');
    }
  }
  put32le(head, 0);  // no next IFD
  return head + values;
}

std::string rationals(std::initializer_list<std::pair<uint32_t, uint32_t>> list) {
  std::string out;
  for (auto [num, den] : list) {
    put32le(out, num);
    put32le(out, den);
  }
  return out;
}

}  // namespace

std::string halves_jpeg(int width, int height) {
  start_image_library();
  VImage left = solid(width / 2, height, {255, 0, 0});
  VImage right = solid(width - width / 2, height, {0, 0, 255});
  return take(
      left.join(right, VIPS_DIRECTION_HORIZONTAL).jpegsave_buffer(VImage::option()->set("Q", 95)));
}

std::string noise_jpeg(int width, int height) {
  start_image_library();
  VImage noise =
      VImage::gaussnoise(width, height, VImage::option()->set("sigma", 80.0)->set("mean", 128.0));
  VImage rgb =
      VImage::bandjoin({noise, noise.rot180().flip(VIPS_DIRECTION_HORIZONTAL), noise.invert()})
          .cast(VIPS_FORMAT_UCHAR)
          .copy(
              VImage::option()->set("interpretation", static_cast<int>(VIPS_INTERPRETATION_sRGB)));
  return take(rgb.jpegsave_buffer(VImage::option()->set("Q", 95)));
}

std::string png(int width, int height, int bands) {
  start_image_library();
  std::vector<double> colour{10, 200, 30};
  if (bands == 4) colour.push_back(128);
  return take(solid(width, height, colour).pngsave_buffer());
}

std::string webp(int width, int height) {
  start_image_library();
  return take(solid(width, height, {20, 40, 220}).webpsave_buffer());
}

namespace {

VImage animation_strip(int width, int height, int frames) {
  std::vector<VImage> pages;
  pages.reserve(static_cast<std::size_t>(frames));
  for (int i = 0; i < frames; ++i) {
    pages.push_back(solid(width, height, {i % 2 ? 255.0 : 0.0, 40.0 * i, 100}));
  }
  VImage strip = VImage::arrayjoin(pages, VImage::option()->set("across", 1));
  strip.set("page-height", height);
  strip.set("delay", std::vector<int>(static_cast<std::size_t>(frames), 100));
  strip.set("loop", 0);
  return strip;
}

}  // namespace

std::string animated_gif(int width, int height, int frames) {
  start_image_library();
  return take(animation_strip(width, height, frames).gifsave_buffer());
}

std::string animated_webp(int width, int height, int frames) {
  start_image_library();
  return take(animation_strip(width, height, frames).webpsave_buffer());
}

std::string cmyk_jpeg(int width, int height) {
  start_image_library();
  VImage cmyk = VImage::black(width, height)
                    .new_from_image({0, 200, 200, 0})
                    .cast(VIPS_FORMAT_UCHAR)
                    .copy(VImage::option()->set("interpretation",
                                                static_cast<int>(VIPS_INTERPRETATION_CMYK)));
  return take(cmyk.jpegsave_buffer());
}

std::string icc_jpeg(int width, int height) {
  start_image_library();
  VImage tagged = solid(width, height, {30, 160, 90})
                      .icc_transform("srgb", VImage::option()->set("input_profile", "srgb"));
  return take(tagged.jpegsave_buffer());
}

std::string with_exif(const std::string& jpeg, int orientation) {
  const std::string description = "SAMWAAD-SECRET-DESCRIPTION";
  // TIFF header, then IFD0 at 8 with Orientation, ImageDescription and a
  // pointer to the GPS IFD placed after IFD0's values.
  std::string orientation_value;
  put16le(orientation_value, static_cast<uint16_t>(orientation));
  const std::vector<Entry> gps_entries{
      {0x0001, 2, 2, std::string("N\0", 2)},
      {0x0002, 5, 3, rationals({{51, 1}, {30, 1}, {1234, 100}})},
      {0x0003, 2, 2, std::string("W\0", 2)},
      {0x0004, 5, 3, rationals({{0, 1}, {7, 1}, {3999, 100}})},
  };
  auto ifd0_with_gps_at = [&](uint32_t gps_at) {
    std::string pointer;
    put32le(pointer, gps_at);
    return ifd({{0x010E, 2, static_cast<uint32_t>(description.size() + 1), description + '\0'},
                {0x0112, 3, 1, orientation_value},
                {0x8825, 4, 1, pointer}},
               8);
  };
  const uint32_t gps_at = 8 + static_cast<uint32_t>(ifd0_with_gps_at(0).size());
  std::string tiff = "II";
  put16le(tiff, 42);
  put32le(tiff, 8);
  tiff += ifd0_with_gps_at(gps_at) + ifd(gps_entries, gps_at);

  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  std::string segment = "\xFF\xE1";
  put16be(segment, static_cast<uint16_t>(payload.size() + 2));
  return jpeg.substr(0, 2) + segment + payload + jpeg.substr(2);
}

std::string with_comment(const std::string& jpeg, const std::string& comment) {
  std::string segment = "\xFF\xFE";
  put16be(segment, static_cast<uint16_t>(comment.size() + 2));
  return jpeg.substr(0, 2) + segment + comment + jpeg.substr(2);
}

std::string png_with_text(const std::string& png, const std::string& text) {
  constexpr std::size_t kAfterIhdr = 8 + 25;
  return png.substr(0, kAfterIhdr) + png_chunk("tEXt", std::string("Comment\0", 8) + text) +
         png.substr(kAfterIhdr);
}

std::string png_claiming(uint32_t width, uint32_t height) {
  std::string ihdr;
  put32be(ihdr, width);
  put32be(ihdr, height);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB
  // A zlib stream of one stored block of zeros: far too short for the claim.
  const std::string idat("\x78\x01\x01\x04\x00\xfb\xff\x00\x00\x00\x00\x00\x04\x00\x01", 15);
  return std::string("\x89PNG\r\n\x1A\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", idat) +
         png_chunk("IEND", "");
}

Decoded decode(const std::string& bytes) {
  start_image_library();
  const auto format = sniff_image_format(bytes);
  const bool animatable = format == ImageFormat::gif || format == ImageFormat::webp;
  VImage image = VImage::new_from_buffer(bytes.data(), bytes.size(), animatable ? "n=-1" : "");
  Decoded d;
  d.width = image.width();
  d.height = vips_image_get_page_height(image.get_image());
  d.bands = image.bands();
  d.pages = image.height() / d.height;
  gchar** fields = vips_image_get_fields(image.get_image());
  for (gchar** f = fields; *f != nullptr; ++f) d.fields.emplace_back(*f);
  g_strfreev(fields);
  return d;
}

std::vector<double> pixel(const std::string& bytes, int x, int y) {
  start_image_library();
  VImage image = VImage::new_from_buffer(bytes.data(), bytes.size(), "");
  return image.getpoint(x, y);
}

}  // namespace samwaad::media::test
