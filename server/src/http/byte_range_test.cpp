#include "http/byte_range.hpp"

#include <gtest/gtest.h>

namespace samwaad::http {
namespace {

using Kind = ByteRangeRequest::Kind;

void expect_partial(const std::string& header, uint64_t size, uint64_t first, uint64_t last) {
  const ByteRangeRequest r = parse_byte_range(header, size);
  EXPECT_EQ(r.kind, Kind::partial) << header;
  EXPECT_EQ(r.first, first) << header;
  EXPECT_EQ(r.last, last) << header;
}

TEST(ByteRange, NoHeaderIsTheWholeResource) {
  EXPECT_EQ(parse_byte_range(std::nullopt, 100).kind, Kind::whole);
}

TEST(ByteRange, ClosedOpenAndSuffixRanges) {
  expect_partial("bytes=0-9", 100, 0, 9);
  expect_partial("bytes=90-", 100, 90, 99);
  expect_partial("bytes=-10", 100, 90, 99);
  expect_partial("bytes=50-1000", 100, 50, 99);  // clamped to the end
  expect_partial("bytes=-1000", 100, 0, 99);     // suffix longer than the resource
  expect_partial("Bytes=5-6", 100, 5, 6);
  expect_partial("bytes=99-99", 100, 99, 99);
}

TEST(ByteRange, PastTheEndIsUnsatisfiable) {
  EXPECT_EQ(parse_byte_range("bytes=100-", 100).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=100-200", 100).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=-0", 100).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=0-", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=99999999999999999999999-", 100).kind, Kind::unsatisfiable);
}

TEST(ByteRange, MalformedOtherUnitsAndMultipleRangesGetTheWhole) {
  for (const char* header :
       {"bytes=", "bytes=-", "bytes=a-b", "bytes=5-1", "items=0-1", "bytes 0-1", "bytes=0-1,5-6",
        "bytes=1", "bytes=+1-2", "", "bytes=0x1-2"}) {
    EXPECT_EQ(parse_byte_range(std::string(header), 100).kind, Kind::whole) << header;
  }
}

TEST(ETag, MatchesListsWeakTagsAndTheWildcard) {
  EXPECT_TRUE(etag_matches("\"a-1\"", "\"a-1\""));
  EXPECT_TRUE(etag_matches("\"x\", W/\"a-1\"", "\"a-1\""));
  EXPECT_TRUE(etag_matches(" * ", "\"a-1\""));
  EXPECT_FALSE(etag_matches("\"a-2\"", "\"a-1\""));
  EXPECT_FALSE(etag_matches("", "\"a-1\""));
}

}  // namespace
}  // namespace samwaad::http
