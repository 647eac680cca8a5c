#include "media/multipart.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace samwaad::media {
namespace {

struct Part {
  PartHeaders headers;
  std::string data;
  bool ended = false;
};

class Collector final : public MultipartHandler {
 public:
  void on_part_begin(const PartHeaders& headers) override { parts.push_back({headers, "", false}); }
  void on_part_data(std::string_view data) override {
    ASSERT_FALSE(parts.empty());
    parts.back().data.append(data);
    largest_piece = std::max(largest_piece, data.size());
  }
  void on_part_end() override { parts.back().ended = true; }

  std::vector<Part> parts;
  std::size_t largest_piece = 0;
};

const std::string kBoundary = "----formBoundary7MA4YWxk";

std::string part(const std::string& disposition, const std::string& content,
                 const std::string& extra_headers = "") {
  return "--" + kBoundary + "\r\nContent-Disposition: " + disposition + "\r\n" + extra_headers +
         "\r\n" + content + "\r\n";
}
std::string closing() { return "--" + kBoundary + "--\r\n"; }

// Feeds `body` in pieces of `piece` bytes.
std::vector<Part> parse(const std::string& body, std::size_t piece = 1 << 20,
                        MultipartLimits limits = {}) {
  Collector collector;
  MultipartParser parser(kBoundary, collector, limits);
  for (std::size_t at = 0; at < body.size(); at += piece) parser.feed(body.substr(at, piece));
  parser.finish();
  return collector.parts;
}

std::string error_of(const std::string& body, std::size_t piece = 1 << 20,
                     MultipartLimits limits = {}) {
  try {
    parse(body, piece, limits);
  } catch (const MultipartError& e) {
    return e.what();
  }
  return "";
}

TEST(Multipart, ParsesFieldsAndAFileWithItsHeaders) {
  const std::string body = part("form-data; name=\"name\"", "Asha") +
                           part("form-data; name=\"file\"; filename=\"cat.png\"",
                                std::string("\x89PNG\0\r\n", 7), "Content-Type: image/png\r\n") +
                           closing();
  auto parts = parse(body);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].headers.name, "name");
  EXPECT_FALSE(parts[0].headers.filename);
  EXPECT_EQ(parts[0].data, "Asha");
  EXPECT_EQ(parts[1].headers.name, "file");
  EXPECT_EQ(parts[1].headers.filename, "cat.png");
  EXPECT_EQ(parts[1].headers.content_type, "image/png");
  EXPECT_EQ(parts[1].data, std::string("\x89PNG\0\r\n", 7));
  EXPECT_TRUE(parts[1].ended);
}

TEST(Multipart, EverySplitOfTheBodyGivesTheSameParts) {
  // Content full of near-delimiters: CRLFs, dashes and the boundary itself
  // without its leading CRLF.
  const std::string tricky = "a\r\n-\r\n--\r\n--" + kBoundary.substr(0, 10) + "\r\n" + kBoundary +
                             "--" + kBoundary + "\r\r\n\r\n-";
  const std::string body = "preamble text\r\n" +
                           part("form-data; name=\"file\"; filename=\"x\"", tricky) +
                           part("form-data; name=\"bio\"", "") + closing() + "epilogue";
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    auto parts = parse(body, piece);
    ASSERT_EQ(parts.size(), 2u) << piece;
    EXPECT_EQ(parts[0].data, tricky) << piece;
    EXPECT_EQ(parts[1].data, "") << piece;
    EXPECT_TRUE(parts[1].ended);
  }
}

TEST(Multipart, ContentIsPassedOnAsItArrivesNotHeldBack) {
  const std::string big(1 << 20, 'x');
  const std::string body = part("form-data; name=\"file\"; filename=\"x\"", big) + closing();
  const std::size_t head = body.find("\r\n\r\n") + 4;
  const std::size_t delimiter = kBoundary.size() + 4;  // "\r\n--" + boundary
  Collector collector;
  MultipartParser parser(kBoundary, collector);
  const std::size_t piece = 64 * 1024;
  for (std::size_t at = 0; at < body.size(); at += piece) {
    parser.feed(body.substr(at, piece));
    const std::size_t fed = std::min(at + piece, body.size());
    if (fed >= head && fed < head + big.size()) {
      // Held back: at most what could be the start of a delimiter.
      ASSERT_FALSE(collector.parts.empty());
      EXPECT_GE(collector.parts.back().data.size() + delimiter, fed - head);
    }
  }
  parser.finish();
  EXPECT_EQ(collector.parts.at(0).data.size(), big.size());
  EXPECT_LE(collector.largest_piece, piece + delimiter);
}

TEST(Multipart, BoundaryMayCarryPaddingAndPartsMayHaveNoHeaders) {
  const std::string body = "--" + kBoundary +
                           "  \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" +
                           kBoundary + "--";
  auto parts = parse(body);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].headers.name, "a");
  EXPECT_EQ(parts[0].data, "1");
  // A part without any header has no name: refused.
  EXPECT_NE(error_of("--" + kBoundary + "\r\n\r\nx\r\n" + closing()), "");
}

TEST(Multipart, UnterminatedBodiesAreErrors) {
  EXPECT_EQ(error_of(""), "no multipart boundary found in the body");
  EXPECT_EQ(error_of("just some text"), "no multipart boundary found in the body");
  EXPECT_EQ(error_of(part("form-data; name=\"file\"", "data")), "the body ended inside a part");
  EXPECT_EQ(error_of(part("form-data; name=\"file\"", "data") + "--" + kBoundary + "\r\n"),
            "the body ended without its closing boundary");
  EXPECT_EQ(error_of("--" + kBoundary +
                     "\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nhalf a file"),
            "the body ended inside a part");
  EXPECT_EQ(error_of("--" + kBoundary + "\r\nContent-Disposition: form-da"),
            "the body ended without its closing boundary");
}

TEST(Multipart, MalformedPartsAreErrors) {
  EXPECT_NE(error_of(part("attachment; name=\"file\"", "x") + closing()), "");
  EXPECT_NE(error_of(part("form-data; filename=\"x\"", "x") + closing()), "");
  EXPECT_NE(error_of(part("form-data; name=\"unterminated", "x") + closing()), "");
  EXPECT_NE(error_of("--" + kBoundary + "\r\nno colon here\r\n\r\nx\r\n" + closing()), "");
  EXPECT_NE(
      error_of("--" + kBoundary +
               "\r\nContent-Disposition: form-data; name=a\r\n folded\r\n\r\nx\r\n" + closing()),
      "");
  EXPECT_NE(error_of("--" + kBoundary + "garbage\r\n" + closing()), "");
  EXPECT_NE(error_of(part("form-data; name=a", "x", "Content-Disposition: form-data; name=b\r\n") +
                     closing()),
            "");
}

TEST(Multipart, HeaderAndPartLimits) {
  MultipartLimits limits;
  limits.max_header_bytes = 100;
  limits.max_parts = 2;
  EXPECT_EQ(error_of(part("form-data; name=a", "x", "X-Long: " + std::string(200, 'y') + "\r\n") +
                         closing(),
                     7, limits),
            "part headers too large");
  // Headers that never end are refused once past the limit, not buffered.
  EXPECT_EQ(error_of("--" + kBoundary + "\r\n" + std::string(150, 'h'), 1 << 20, limits),
            "part headers too large");
  EXPECT_EQ(error_of(part("form-data; name=a", "1") + part("form-data; name=b", "2") +
                         part("form-data; name=c", "3") + closing(),
                     1 << 20, limits),
            "too many parts");
}

TEST(Multipart, HandlerErrorsStopParsing) {
  struct Refuser final : MultipartHandler {
    void on_part_begin(const PartHeaders&) override { throw std::runtime_error("no thanks"); }
    void on_part_data(std::string_view) override { FAIL(); }
    void on_part_end() override { FAIL(); }
  } refuser;
  MultipartParser parser(kBoundary, refuser);
  EXPECT_THROW(parser.feed(part("form-data; name=a", "x") + closing()), std::runtime_error);
}

TEST(HeaderValue, ParsesTokensQuotedStringsAndEscapes) {
  auto v = parse_header_value(R"(Form-Data; NAME="a \"b\"; c"; filename=x.png ; empty="")");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value, "form-data");
  EXPECT_EQ(v->params.at("name"), "a \"b\"; c");
  EXPECT_EQ(v->params.at("filename"), "x.png");
  EXPECT_EQ(v->params.at("empty"), "");
  EXPECT_FALSE(parse_header_value(""));
  EXPECT_FALSE(parse_header_value("form-data; name"));
  EXPECT_FALSE(parse_header_value("form-data; name=\"x"));
  EXPECT_FALSE(parse_header_value("form-data; name=\"x\" junk"));
  EXPECT_FALSE(parse_header_value("form-data; na me=x"));
}

TEST(FormDataBoundary, AcceptsValidBoundariesOnly) {
  EXPECT_EQ(form_data_boundary("multipart/form-data; boundary=----WebKitFormBoundaryABC123"),
            "----WebKitFormBoundaryABC123");
  EXPECT_EQ(form_data_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\""), "a b:c");
  EXPECT_FALSE(form_data_boundary("multipart/form-data"));
  EXPECT_FALSE(form_data_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(form_data_boundary("multipart/form-data; boundary=" + std::string(71, 'a')));
  EXPECT_FALSE(form_data_boundary("multipart/form-data; boundary=\"ends with space \""));
  EXPECT_FALSE(form_data_boundary("multipart/form-data; boundary=\"bad\x01\""));
  EXPECT_FALSE(form_data_boundary("multipart/mixed; boundary=abc"));
  EXPECT_FALSE(form_data_boundary("application/json"));
  EXPECT_TRUE(is_form_data("multipart/form-data"));
  EXPECT_FALSE(is_form_data("multipart/mixed; boundary=x"));
}

}  // namespace
}  // namespace samwaad::media
