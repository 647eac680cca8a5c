// Images made by the tests themselves, with libvips and by hand (EXIF blocks,
// a PNG header claiming absurd dimensions): no binary fixtures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace samwaad::media::test {

// A JPEG whose left half is red and right half blue, so a rotation shows.
std::string halves_jpeg(int width, int height);
// Random pixels: compresses badly, so the file is large for its size.
std::string noise_jpeg(int width, int height);
std::string png(int width, int height, int bands);  // 3: RGB, 4: RGBA (half transparent)
std::string webp(int width, int height);
// Frames of different colours, 100 ms each.
std::string animated_gif(int width, int height, int frames);
std::string animated_webp(int width, int height, int frames);
// A CMYK JPEG (print workflows, some cameras): must come out sRGB.
std::string cmyk_jpeg(int width, int height);
// A JPEG with an embedded ICC profile (libvips' sRGB one).
std::string icc_jpeg(int width, int height);

// The same JPEG with an EXIF block (APP1) carrying `orientation`, a GPS
// position and an ImageDescription "SAMWAAD-SECRET-DESCRIPTION".
std::string with_exif(const std::string& jpeg, int orientation);
// The same JPEG with a comment segment (COM).
std::string with_comment(const std::string& jpeg, const std::string& comment);
// A PNG with text chunks (tEXt "Comment" = `text`).
std::string png_with_text(const std::string& png, const std::string& text);
// A valid-looking PNG of a few dozen bytes whose header claims width x height.
std::string png_claiming(uint32_t width, uint32_t height);

struct Decoded {
  int width = 0;
  int height = 0;
  int bands = 0;
  int pages = 1;
  std::vector<std::string> fields;  // libvips metadata field names
};
Decoded decode(const std::string& bytes);
// The pixel at (x, y) of the (first frame of the) image.
std::vector<double> pixel(const std::string& bytes, int x, int y);

}  // namespace samwaad::media::test
