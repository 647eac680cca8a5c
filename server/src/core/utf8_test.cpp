#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace samwaad {

TEST(Utf8, CountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("h\xC3\xA9llo"), 5u);              // é
  EXPECT_EQ(utf8_length("\xE0\xA4\xB8\xE0\xA4\xAE"), 2u);  // Devanagari
  EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80"), 1u);          // emoji
}

TEST(Utf8, RejectsInvalidSequences) {
  EXPECT_FALSE(utf8_length("\xC3"));              // truncated
  EXPECT_FALSE(utf8_length("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(utf8_length("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(utf8_length("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(utf8_length("\xFF"));
  EXPECT_FALSE(utf8_length("a\x80z"));
}

TEST(Utf8, ControlCharactersAndTrim) {
  EXPECT_TRUE(has_control_chars("a\x01", true));
  EXPECT_TRUE(has_control_chars("a\nb", false));
  EXPECT_FALSE(has_control_chars("a\nb", true));
  EXPECT_EQ(trim("  hi there \t\n"), "hi there");
  EXPECT_EQ(trim("   "), "");
}

}  // namespace samwaad
