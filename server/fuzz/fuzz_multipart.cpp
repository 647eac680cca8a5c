// libFuzzer target for the streaming multipart parser, as an upload meets it:
// the body arrives in pieces of any size. Input layout: the first byte picks
// the piece size (1-256), the rest is the body under a fixed boundary.
//
// Whatever the input, the parser must not crash, and cutting the body into
// pieces must not change what it reports: the parts fed in one piece and
// byte-sized pieces must come out the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "media/multipart.hpp"

namespace media = samwaad::media;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

struct Recorder final : media::MultipartHandler {
  void on_part_begin(const media::PartHeaders& headers) override {
    log += "[begin " + headers.name + "|" + headers.filename.value_or("-") + "]";
  }
  void on_part_data(std::string_view data) override { log.append(data); }
  void on_part_end() override { log += "[end]"; }
  std::string log;
};

// The parts' log and whether the body was accepted as a whole.
std::pair<std::string, bool> parse(std::string_view body, std::size_t piece) {
  Recorder recorder;
  media::MultipartParser parser("fuzzBoundary", recorder, {256, 8});
  try {
    for (std::size_t at = 0; at < body.size(); at += piece) parser.feed(body.substr(at, piece));
    parser.finish();
    return {recorder.log, true};
  } catch (const media::MultipartError&) {
    return {recorder.log, false};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto whole = parse(body, body.size() + 1);
  const auto pieces = parse(body, piece);
  check(whole.second == pieces.second);
  if (whole.second) check(whole.first == pieces.first);
  media::parse_header_value(body);
  media::form_data_boundary(body);
  return 0;
}
