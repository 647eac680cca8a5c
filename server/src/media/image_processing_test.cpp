#include "media/image_processing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "media/test_images.hpp"

namespace samwaad::media {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool has_field_starting(const test::Decoded& d, const std::string& prefix) {
  return std::any_of(d.fields.begin(), d.fields.end(),
                     [&](const std::string& f) { return f.rfind(prefix, 0) == 0; });
}

ImageRejected::Reason rejection_of(const std::string& bytes, const ImageLimits& limits = {}) {
  try {
    process_image(bytes, limits);
  } catch (const ImageRejected& e) {
    return e.reason();
  }
  ADD_FAILURE() << "the image was accepted";
  return ImageRejected::Reason::undecodable;
}

// Red is (255, 0, 0) give or take JPEG's losses.
bool is_red(const std::vector<double>& p) { return p[0] > 180 && p[1] < 80 && p[2] < 80; }
bool is_blue(const std::vector<double>& p) { return p[2] > 180 && p[0] < 80 && p[1] < 80; }

TEST(ImageFormat, IsDecidedFromTheBytesOnly) {
  EXPECT_EQ(sniff_image_format(test::halves_jpeg(8, 8)), ImageFormat::jpeg);
  EXPECT_EQ(sniff_image_format(test::png(8, 8, 3)), ImageFormat::png);
  EXPECT_EQ(sniff_image_format(test::webp(8, 8)), ImageFormat::webp);
  EXPECT_EQ(sniff_image_format(test::animated_gif(8, 8, 2)), ImageFormat::gif);
  EXPECT_FALSE(sniff_image_format(""));
  EXPECT_FALSE(sniff_image_format("hello, I am a text file called photo.png"));
  EXPECT_FALSE(sniff_image_format("<!doctype html><html><script>alert(1)</script>"));
  EXPECT_FALSE(
      sniff_image_format(R"x(<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>)x"));
  EXPECT_FALSE(
      sniff_image_format(R"(<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>)"));
  EXPECT_FALSE(sniff_image_format(std::string("RIFF\x10\0\0\0WAVEfmt ", 16)));
  EXPECT_FALSE(sniff_image_format("\xFF\xD8"));  // too short to be anything
}

TEST(ImageFormat, ExtensionsAndMimeTypes) {
  EXPECT_EQ(file_extension(ImageFormat::jpeg), "jpg");
  EXPECT_EQ(format_from_extension("webp"), ImageFormat::webp);
  EXPECT_FALSE(format_from_extension("svg"));
  EXPECT_EQ(mime_type(ImageFormat::gif), "image/gif");
}

TEST(ProcessImage, JpegLosesItsExifGpsAndComments) {
  const std::string input =
      test::with_comment(test::with_exif(test::halves_jpeg(64, 48), 1), "SAMWAAD-SECRET-COMMENT");
  // The input really carries them, as libvips sees it.
  const test::Decoded before = test::decode(input);
  ASSERT_TRUE(has_field_starting(before, "exif-ifd3-GPSLatitude"));
  ASSERT_TRUE(contains(input, "SAMWAAD-SECRET"));

  const ProcessedImage out = process_image(input);
  EXPECT_EQ(out.format, ImageFormat::jpeg);
  for (const std::string* bytes : {&out.full.bytes, &out.thumbnail.bytes}) {
    EXPECT_FALSE(contains(*bytes, "Exif"));
    EXPECT_FALSE(contains(*bytes, "SAMWAAD-SECRET"));
    EXPECT_FALSE(contains(*bytes, "\xFF\xFE"));  // no COM segment
    EXPECT_FALSE(contains(*bytes, "\xFF\xE1"));  // no APP1 (EXIF, XMP)
    EXPECT_FALSE(contains(*bytes, "ICC_PROFILE"));
    const test::Decoded after = test::decode(*bytes);
    EXPECT_FALSE(has_field_starting(after, "exif-"));
    EXPECT_FALSE(has_field_starting(after, "jpeg-comment"));
    EXPECT_FALSE(has_field_starting(after, "orientation"));
  }
  EXPECT_EQ(out.full.width, 64);
  EXPECT_EQ(out.full.height, 48);
}

TEST(ProcessImage, ExifOrientationIsAppliedToThePixels) {
  const std::string upright = test::halves_jpeg(60, 40);  // red left, blue right
  // 6: the camera was turned; displaying means rotating 90 degrees clockwise,
  // which puts the left (red) half on top.
  const ProcessedImage six = process_image(test::with_exif(upright, 6));
  EXPECT_EQ(six.full.width, 40);
  EXPECT_EQ(six.full.height, 60);
  EXPECT_TRUE(is_red(test::pixel(six.full.bytes, 20, 5)));
  EXPECT_TRUE(is_blue(test::pixel(six.full.bytes, 20, 55)));
  EXPECT_EQ(test::decode(six.thumbnail.bytes).width, 40);  // small: not enlarged, but turned

  // 3: upside down, so red ends up on the right.
  const ProcessedImage three = process_image(test::with_exif(upright, 3));
  EXPECT_EQ(three.full.width, 60);
  EXPECT_TRUE(is_blue(test::pixel(three.full.bytes, 5, 20)));
  EXPECT_TRUE(is_red(test::pixel(three.full.bytes, 55, 20)));

  // 8: 90 degrees counter-clockwise, red at the bottom.
  const ProcessedImage eight = process_image(test::with_exif(upright, 8));
  EXPECT_EQ(eight.full.width, 40);
  EXPECT_TRUE(is_blue(test::pixel(eight.full.bytes, 20, 5)));
  EXPECT_TRUE(is_red(test::pixel(eight.full.bytes, 20, 55)));
  EXPECT_TRUE(is_blue(test::pixel(eight.thumbnail.bytes, 20, 5)));
}

TEST(ProcessImage, ThumbnailLongestSideIs320AndSmallImagesAreNotEnlarged) {
  const ProcessedImage wide = process_image(test::halves_jpeg(1000, 500));
  EXPECT_EQ(wide.thumbnail.width, 320);
  EXPECT_EQ(wide.thumbnail.height, 160);
  EXPECT_EQ(test::decode(wide.thumbnail.bytes).width, 320);

  const ProcessedImage tall = process_image(test::png(300, 900, 3));
  EXPECT_NEAR(tall.thumbnail.width, 107, 1);
  EXPECT_EQ(tall.thumbnail.height, 320);

  const ProcessedImage big_webp = process_image(test::webp(1500, 600));  // scaled while decoding
  EXPECT_EQ(big_webp.thumbnail.width, 320);
  EXPECT_EQ(big_webp.thumbnail.height, 128);
  EXPECT_EQ(big_webp.full.width, 1500);

  const ProcessedImage small = process_image(test::webp(100, 50));
  EXPECT_EQ(small.thumbnail.width, 100);
  EXPECT_EQ(small.thumbnail.height, 50);
}

TEST(ProcessImage, PngKeepsItsAlphaAndLosesItsTextChunks) {
  const std::string input = test::png_with_text(test::png(40, 30, 4), "SAMWAAD-SECRET-TEXT");
  ASSERT_TRUE(contains(input, "SAMWAAD-SECRET-TEXT"));
  const ProcessedImage out = process_image(input);
  EXPECT_EQ(out.format, ImageFormat::png);
  EXPECT_FALSE(contains(out.full.bytes, "SAMWAAD-SECRET"));
  EXPECT_FALSE(contains(out.full.bytes, "tEXt"));
  EXPECT_EQ(test::decode(out.full.bytes).bands, 4);
  EXPECT_EQ(test::decode(out.thumbnail.bytes).bands, 4);
}

TEST(ProcessImage, WebpStaysWebp) {
  const ProcessedImage out = process_image(test::webp(50, 20));
  EXPECT_EQ(out.format, ImageFormat::webp);
  EXPECT_EQ(sniff_image_format(out.full.bytes), ImageFormat::webp);
  EXPECT_EQ(out.full.width, 50);
  EXPECT_EQ(out.full.height, 20);
}

TEST(ProcessImage, AnimatedGifKeepsItsFramesInFullAndThumbnail) {
  const ProcessedImage out = process_image(test::animated_gif(640, 400, 3));
  EXPECT_EQ(out.format, ImageFormat::gif);
  EXPECT_EQ(out.frames, 3);
  EXPECT_EQ(out.full.width, 640);
  EXPECT_EQ(out.full.height, 400);  // one frame's height
  const test::Decoded full = test::decode(out.full.bytes);
  EXPECT_EQ(full.pages, 3);
  const test::Decoded thumb = test::decode(out.thumbnail.bytes);
  EXPECT_EQ(thumb.pages, 3);
  EXPECT_EQ(thumb.width, 320);
  EXPECT_EQ(thumb.height, 200);
  EXPECT_EQ(out.thumbnail.height, 200);
}

TEST(ProcessImage, AnimatedWebpKeepsItsFramesToo) {
  const ProcessedImage out = process_image(test::animated_webp(800, 400, 4));
  EXPECT_EQ(out.format, ImageFormat::webp);
  EXPECT_EQ(out.frames, 4);
  EXPECT_EQ(out.full.height, 400);
  EXPECT_EQ(test::decode(out.full.bytes).pages, 4);
  const test::Decoded thumb = test::decode(out.thumbnail.bytes);
  EXPECT_EQ(thumb.pages, 4);
  EXPECT_EQ(thumb.width, 320);
  EXPECT_EQ(thumb.height, 160);
}

TEST(ProcessImage, AnEmbeddedIccProfileIsAppliedThenDropped) {
  const std::string input = test::icc_jpeg(40, 40);
  ASSERT_TRUE(contains(input, "ICC_PROFILE"));
  const ProcessedImage out = process_image(input);
  EXPECT_FALSE(contains(out.full.bytes, "ICC_PROFILE"));
  EXPECT_FALSE(contains(out.thumbnail.bytes, "ICC_PROFILE"));
  const std::vector<double> p = test::pixel(out.full.bytes, 20, 20);
  EXPECT_NEAR(p[1], 160, 12);  // still the same green
}

TEST(ProcessImage, CmykBecomesSrgb) {
  const ProcessedImage out = process_image(test::cmyk_jpeg(32, 32));
  EXPECT_EQ(test::decode(out.full.bytes).bands, 3);
}

TEST(ProcessImage, WhatIsNotAnImageIsUnsupported) {
  EXPECT_EQ(rejection_of("hello, I am a text file called photo.png"),
            ImageRejected::Reason::unsupported_type);
  EXPECT_EQ(rejection_of("<html><body><script>alert(document.cookie)</script></body></html>"),
            ImageRejected::Reason::unsupported_type);
  EXPECT_EQ(
      rejection_of(R"(<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>)"),
      ImageRejected::Reason::unsupported_type);
}

TEST(ProcessImage, BrokenImagesDoNotDecode) {
  const std::string jpeg = test::noise_jpeg(256, 256);
  EXPECT_EQ(rejection_of(jpeg.substr(0, jpeg.size() * 6 / 10)), ImageRejected::Reason::undecodable);
  const std::string png = test::png(64, 64, 3);
  EXPECT_EQ(rejection_of(png.substr(0, png.size() - 20)), ImageRejected::Reason::undecodable);
  EXPECT_EQ(rejection_of(std::string("\x89PNG\r\n\x1A\n", 8) + "garbage garbage garbage"),
            ImageRejected::Reason::undecodable);
  EXPECT_EQ(rejection_of("GIF89a and then nothing sensible"), ImageRejected::Reason::undecodable);
  EXPECT_EQ(rejection_of(std::string("\xFF\xD8\xFF", 3) + "<html>"),
            ImageRejected::Reason::undecodable);
}

TEST(ProcessImage, DecompressionBombIsRefusedWithoutDecoding) {
  const std::string bomb = test::png_claiming(100'000, 100'000);
  EXPECT_LT(bomb.size(), 100u);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(rejection_of(bomb), ImageRejected::Reason::too_many_pixels);
  // Refused from the header: allocating 30 GB of pixels would take rather longer.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));

  ImageLimits tight;
  tight.max_pixels = 100 * 100;
  EXPECT_NO_THROW(process_image(test::png(100, 100, 3), tight));
  EXPECT_EQ(rejection_of(test::png(101, 100, 3), tight), ImageRejected::Reason::too_many_pixels);
  // Every frame of an animation counts.
  EXPECT_EQ(rejection_of(test::animated_gif(60, 60, 3), tight),
            ImageRejected::Reason::too_many_pixels);
}

TEST(ProcessImage, ConcurrentCallsAreIndependent) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&ok, i] {
      const ProcessedImage out = process_image(test::halves_jpeg(200 + i, 100));
      if (out.full.width == 200 + i) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
}

}  // namespace
}  // namespace samwaad::media
