// The public text forms (cotrack/text.h) that export, the command line,
// dumps and reject files share.
#include "cotrack/text.h"

#include <string>

#include "support/test_support.h"

namespace cotrack {
namespace {

TEST(TextTest, CsvFieldQuotesOnlyWhenItMust) {
  EXPECT_EQ(CsvField("P01"), "P01");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("6.5 %"), "6.5 %");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
}

TEST(TextTest, JsonStringEscapesAndReplacesInvalidUtf8) {
  EXPECT_EQ(JsonString("P01"), "\"P01\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(JsonString(std::string("\x01\x7f", 2)), "\"\\u0001\\u007f\"");
  EXPECT_EQ(JsonString("é 😀"), "\"é 😀\"");
  // A lone continuation byte, an overlong '/', a surrogate: one U+FFFD per
  // byte that starts no valid sequence.
  EXPECT_EQ(JsonString("a\x80z"), "\"a\\ufffdz\"");
  EXPECT_EQ(JsonString("\xC0\xAF"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(JsonString("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
}

TEST(TextTest, TimestampsAreUtcWithMicroseconds) {
  EXPECT_EQ(FormatTimestampUs(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestampUs(1709633700000001), "2024-03-05T10:15:00.000001Z");
}

}  // namespace
}  // namespace cotrack
