#include "media/upload_form.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace samwaad::media {
namespace {

const std::string kBoundary = "XyZ123";
const std::string kContentType = "multipart/form-data; boundary=" + kBoundary;

std::string file_part(const std::string& content, const std::string& name = "file") {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name +
         "\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n" + content + "\r\n";
}
std::string text_part(const std::string& name, const std::string& value) {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
         value + "\r\n";
}
std::string closing() { return "--" + kBoundary + "--\r\n"; }

UploadFormSpec spec(std::size_t max_file = 1000) {
  UploadFormSpec s;
  s.max_file_bytes = max_file;
  return s;
}

// Streams `body` into `form` in pieces of `piece` bytes, then finishes it.
void stream(UploadForm& form, const std::string& body, std::size_t piece = 7) {
  for (std::size_t at = 0; at < body.size(); at += piece) form.append(body.substr(at, piece));
  form.finish();
}

ApiError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  return ApiError(ErrorCode::internal, "no error");
}

TEST(UploadForm, KeepsTheFileAndTheTextFields) {
  UploadFormSpec s = spec();
  s.text_fields = {"name", "bio"};
  UploadForm form(kContentType, s);
  stream(form, text_part("name", "Asha") + file_part("PNGDATA") + closing());
  ASSERT_TRUE(form.file());
  EXPECT_EQ(*form.file(), "PNGDATA");
  EXPECT_EQ(form.text("name"), "Asha");
  EXPECT_FALSE(form.text("bio"));
  EXPECT_EQ(form.max_bytes(), 1000 + kFramingAllowanceBytes);
}

TEST(UploadForm, ExactlyTheLimitIsAcceptedAndOneByteMoreIsTooLarge) {
  UploadForm exact(kContentType, spec(1000));
  stream(exact, file_part(std::string(1000, 'a')) + closing());
  EXPECT_EQ(exact.file()->size(), 1000u);

  UploadForm over(kContentType, spec(1000));
  ApiError e = error_of([&] { stream(over, file_part(std::string(1001, 'a')) + closing()); });
  EXPECT_EQ(e.code(), ErrorCode::payload_too_large);
}

TEST(UploadForm, TooLargeIsRefusedWhileStreamingNotAtTheEnd) {
  UploadForm form(kContentType, spec(1000));
  const std::string body = file_part(std::string(100'000, 'a'));
  std::size_t fed = 0;
  ApiError e = error_of([&] {
    for (; fed < body.size(); fed += 100) form.append(body.substr(fed, 100));
  });
  EXPECT_EQ(e.code(), ErrorCode::payload_too_large);
  EXPECT_LT(fed, 1300u);
}

TEST(UploadForm, NotMultipartIs415AndNoBoundaryIs400) {
  EXPECT_EQ(error_of([] { UploadForm f(std::string("application/json"), spec()); }).code(),
            ErrorCode::unsupported_media_type);
  EXPECT_EQ(error_of([] { UploadForm f(std::nullopt, spec()); }).code(),
            ErrorCode::unsupported_media_type);
  EXPECT_EQ(error_of([] { UploadForm f(std::string("multipart/form-data"), spec()); }).code(),
            ErrorCode::validation);
}

TEST(UploadForm, TwoFilesAreRefused) {
  UploadForm twice(kContentType, spec());
  ApiError e = error_of([&] { stream(twice, file_part("a") + file_part("b") + closing()); });
  EXPECT_EQ(e.code(), ErrorCode::validation);
  EXPECT_EQ(e.fields().count("file"), 1u);

  UploadForm other(kContentType, spec());
  e = error_of([&] { stream(other, file_part("a") + file_part("b", "second") + closing()); });
  EXPECT_EQ(e.code(), ErrorCode::validation);
  EXPECT_EQ(e.fields().count("file"), 1u);
}

TEST(UploadForm, UnknownFieldsMissingAndEmptyFilesAreRefused) {
  UploadForm unknown(kContentType, spec());
  EXPECT_EQ(
      error_of([&] { stream(unknown, text_part("caption", "x") + file_part("a") + closing()); })
          .fields()
          .count("caption"),
      1u);
  UploadForm missing(kContentType, spec());
  EXPECT_EQ(error_of([&] { stream(missing, closing()); }).fields().at("file"), "is required");
  UploadForm empty(kContentType, spec());
  EXPECT_EQ(error_of([&] { stream(empty, file_part("") + closing()); }).fields().at("file"),
            "is empty");
}

TEST(UploadForm, AnOptionalFileMayBeAbsentOrEmpty) {
  UploadFormSpec s = spec();
  s.file_field = "avatar";
  s.file_required = false;
  s.text_fields = {"bio"};
  UploadForm none(kContentType, s);
  stream(none, text_part("bio", "hi") + closing());
  EXPECT_FALSE(none.file());
  UploadForm empty(kContentType, s);
  stream(empty, file_part("", "avatar") + closing());
  EXPECT_FALSE(empty.file());
}

TEST(UploadForm, MalformedBodiesAre400) {
  UploadForm unterminated(kContentType, spec());
  ApiError e = error_of([&] {
    stream(unterminated,
           "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc");
  });
  EXPECT_EQ(e.code(), ErrorCode::validation);
  EXPECT_NE(std::string(e.what()).find("malformed multipart"), std::string::npos);

  UploadForm garbage(kContentType, spec());
  EXPECT_EQ(error_of([&] { stream(garbage, "not multipart at all"); }).code(),
            ErrorCode::validation);
}

TEST(UploadForm, TextFieldsAreShortAndSentOnce) {
  UploadFormSpec s = spec();
  s.file_required = false;
  s.text_fields = {"bio"};
  s.max_text_bytes = 10;
  UploadForm long_text(kContentType, s);
  EXPECT_EQ(error_of([&] { stream(long_text, text_part("bio", std::string(11, 'x')) + closing()); })
                .fields()
                .at("bio"),
            "is too long");
  UploadForm twice(kContentType, s);
  EXPECT_EQ(
      error_of([&] { stream(twice, text_part("bio", "a") + text_part("bio", "b") + closing()); })
          .fields()
          .count("bio"),
      1u);
}

TEST(UploadForm, KeepsItsLeaseAsLongAsItLives) {
  auto lease = std::make_shared<int>(1);
  std::weak_ptr<int> watch = lease;
  {
    UploadForm form(kContentType, spec(), lease);
    lease.reset();
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace samwaad::media
