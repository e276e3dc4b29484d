// The HL7 v2 tokenizer: delimiters from MSH, fields and components, escape
// sequences, DTM date-times and the segment stream (line ends, MLLP).
#include "import/hl7_parser.h"

#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Hl7ParserTest, LooksLikeHl7NeedsAHeaderAndAFieldSeparator) {
  EXPECT_TRUE(LooksLikeHl7("MSH|^~\\&|LAB|"));
  EXPECT_TRUE(LooksLikeHl7("MSH|^~\\&#|LAB"));  // v2.7 truncation character
  EXPECT_TRUE(LooksLikeHl7("MSH!@#$%!LAB"));    // delimiters are the message's own
  EXPECT_TRUE(LooksLikeHl7("FHS|^~\\&|"));
  EXPECT_TRUE(LooksLikeHl7("BHS|^~\\&|"));
  // Bad encoding characters are the reader's to report, message by message.
  EXPECT_TRUE(LooksLikeHl7("MSH|^^|"));
  EXPECT_TRUE(LooksLikeHl7("MSH|"));
  EXPECT_FALSE(LooksLikeHl7("MSH,patient,date"));  // a CSV header
  EXPECT_FALSE(LooksLikeHl7("MSH;patient;date"));
  EXPECT_FALSE(LooksLikeHl7("MSH\"x\""));
  EXPECT_FALSE(LooksLikeHl7("MSH_ID,date"));  // '_' is punctuation, but part of a name
  EXPECT_FALSE(LooksLikeHl7("MSHA|"));
  EXPECT_FALSE(LooksLikeHl7("MSH |"));
  EXPECT_FALSE(LooksLikeHl7("PID|^~\\&|"));
  EXPECT_FALSE(LooksLikeHl7("MSH"));
  EXPECT_FALSE(LooksLikeHl7(""));
}

TEST(Hl7ParserTest, EncodingCharactersComeFromMsh) {
  ASSERT_OK_AND_ASSIGN(Hl7Encoding e, ParseHl7Encoding("MSH|^~\\&|LAB"));
  EXPECT_EQ(e.field, '|');
  EXPECT_EQ(e.component, '^');
  EXPECT_EQ(e.repetition, '~');
  EXPECT_EQ(e.escape, '\\');
  EXPECT_EQ(e.subcomponent, '&');
  ASSERT_OK_AND_ASSIGN(e, ParseHl7Encoding("MSH!@#$%!LAB"));
  EXPECT_EQ(e.field, '!');
  EXPECT_EQ(e.component, '@');
  EXPECT_EQ(e.repetition, '#');
  EXPECT_EQ(e.escape, '$');
  EXPECT_EQ(e.subcomponent, '%');
  // Fewer characters: the rest are not used.
  ASSERT_OK_AND_ASSIGN(e, ParseHl7Encoding("MSH|^~|LAB"));
  EXPECT_EQ(e.escape, '\0');
  EXPECT_EQ(e.subcomponent, '\0');
  ASSERT_OK_AND_ASSIGN(e, ParseHl7Encoding("MSH|^~\\&"));  // the segment ends there
  EXPECT_EQ(e.subcomponent, '&');

  EXPECT_THAT(ParseHl7Encoding("MSH||LAB"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MSH-2")));
  EXPECT_THAT(ParseHl7Encoding("MSHX^~\\&X"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MSH-1")));
  EXPECT_THAT(ParseHl7Encoding("MSH|^~^&|"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"^\" twice")));
  EXPECT_THAT(ParseHl7Encoding("MSH|^~\\&#$|"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("6 characters")));
  EXPECT_THAT(ParseHl7Encoding("MSH|^ |"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte 0x20")));
  EXPECT_THAT(ParseHl7Encoding("MSH"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("starting MSH")));
}

TEST(Hl7ParserTest, EscapeSequencesDecode) {
  const Hl7Encoding e;
  EXPECT_EQ(DecodeHl7Escapes("10\\S\\9/L", e), "10^9/L");
  EXPECT_EQ(DecodeHl7Escapes("\\F\\\\S\\\\T\\\\R\\\\E\\", e), "|^&~\\");
  EXPECT_EQ(DecodeHl7Escapes("\\X41424a\\", e), "ABJ");
  EXPECT_EQ(DecodeHl7Escapes("a\\H\\b\\N\\c", e), "abc");
  EXPECT_EQ(DecodeHl7Escapes("x\\.br\\y", e), "x\ny");
  EXPECT_EQ(DecodeHl7Escapes("a\\.sp2\\b\\C2842\\c\\Zlocal\\", e), "abc");
  // Kept as they are: unknown, unterminated, odd hex.
  EXPECT_EQ(DecodeHl7Escapes("a\\Q\\b", e), "a\\Q\\b");
  EXPECT_EQ(DecodeHl7Escapes("a\\S", e), "a\\S");
  EXPECT_EQ(DecodeHl7Escapes("\\X4\\", e), "\\X4\\");
  EXPECT_EQ(DecodeHl7Escapes("plain", e), "plain");
  // The message's own escape character.
  Hl7Encoding custom;
  custom.field = '!';
  custom.component = '@';
  custom.escape = '$';
  EXPECT_EQ(DecodeHl7Escapes("10$S$9/L", custom), "10@9/L");
  EXPECT_EQ(DecodeHl7Escapes("10\\S\\9/L", custom), "10\\S\\9/L");
  custom.escape = '\0';
  EXPECT_EQ(DecodeHl7Escapes("10$S$9", custom), "10$S$9");
}

TEST(Hl7ParserTest, PartsAndFields) {
  EXPECT_EQ(Hl7Part("a^b^c", '^', 2), "b");
  EXPECT_EQ(Hl7Part("a^b^c", '^', 3), "c");
  EXPECT_EQ(Hl7Part("a^b^c", '^', 4), "");
  EXPECT_EQ(Hl7Part("a^b^c", '^', 0), "");
  EXPECT_EQ(Hl7Part("a^b", '\0', 1), "a^b");
  EXPECT_EQ(Hl7Part("a^b", '\0', 2), "");
  EXPECT_EQ(Hl7Part("", '^', 1), "");

  const Hl7Encoding e;
  const Hl7Segment msh("MSH|^~\\&|LAB|CLINIC|||20240305||ORU^R01|1|P|2.5.1", e);
  EXPECT_EQ(msh.id(), "MSH");
  EXPECT_EQ(msh.Field(1), "|");
  EXPECT_EQ(msh.Field(2), "^~\\&");
  EXPECT_EQ(msh.Field(3), "LAB");
  EXPECT_EQ(msh.Field(9), "ORU^R01");
  EXPECT_EQ(msh.Component(9, 2), "R01");
  EXPECT_EQ(msh.field_count(), 12);

  const Hl7Segment obx("OBX|1|NM|4548-4^HbA1c^LN||6.5|10\\S\\9/L^x~%", e);
  EXPECT_EQ(obx.id(), "OBX");
  EXPECT_EQ(obx.Field(2), "NM");
  EXPECT_EQ(obx.Component(3, 3), "LN");
  EXPECT_EQ(obx.Component(6, 1), "10^9/L");  // first repetition, decoded
  EXPECT_EQ(obx.Field(7), "");
  EXPECT_EQ(obx.field_count(), 6);

  // Fields far out are counted, never kept.
  std::string many = "NTE";
  for (int i = 0; i < 100; ++i) many += "|x";
  const Hl7Segment nte(many, e);
  EXPECT_EQ(nte.field_count(), 100);
  EXPECT_EQ(nte.Field(32), "x");
  EXPECT_EQ(nte.Field(33), "");
  const Hl7Segment bare("ZZZ", e);
  EXPECT_EQ(bare.id(), "ZZZ");
  EXPECT_EQ(bare.field_count(), 0);
}

std::string Formatted(absl::string_view dtm) {
  absl::StatusOr<CivilTime> t = ParseHl7DateTime(dtm);
  if (!t.ok()) return std::string(t.status().message());
  return FormatCivilTime(*t) + (t->precision == TimePrecision::kDate ? " (date)" : "");
}

TEST(Hl7ParserTest, DateTimesAreCivilTime) {
  EXPECT_EQ(Formatted("20240305"), "2024-03-05 (date)");
  EXPECT_EQ(Formatted("20240305+0100"), "2024-03-05 (date)");
  EXPECT_EQ(Formatted("2024030510"), "2024-03-05T10:00:00");
  EXPECT_EQ(Formatted("202403051030"), "2024-03-05T10:30:00");
  EXPECT_EQ(Formatted("20240305103045"), "2024-03-05T10:30:45");
  EXPECT_EQ(Formatted(" 20240305103045.1234 "), "2024-03-05T10:30:45");
  // The offset is dropped, never applied: the clinic's date stays.
  EXPECT_EQ(Formatted("20240305233000-0500"), "2024-03-05T23:30:00");
  EXPECT_EQ(Formatted("200808151030-0700"), "2008-08-15T10:30:00");

  EXPECT_THAT(Formatted("2024"), HasSubstr("a year alone is not a date"));
  EXPECT_THAT(Formatted("202403"), HasSubstr("a month alone is not a date"));
  EXPECT_THAT(Formatted("20240230"), HasSubstr(kExpectedHl7DateTime));
  EXPECT_THAT(Formatted("20241305"), HasSubstr(kExpectedHl7DateTime));
  EXPECT_THAT(Formatted("2020071010300700"), HasSubstr("16 digits"));
  EXPECT_THAT(Formatted("20240305 1030"), HasSubstr("unexpected \" 1030\""));
  EXPECT_THAT(Formatted("20240305103045.12345"), HasSubstr("1 to 4 digits"));
  EXPECT_THAT(Formatted("202403051030.5"), HasSubstr("needs the seconds"));
  EXPECT_THAT(Formatted("202403051030-07"), HasSubstr("unexpected \"-07\""));
  EXPECT_THAT(Formatted("202403051030+2500"), HasSubstr("not a time zone offset"));
  EXPECT_THAT(Formatted(""), HasSubstr("does not start with a year"));
  EXPECT_THAT(Formatted("2024-03-05"), HasSubstr("no dashes"));
}

struct Read {
  std::string text;
  int64_t line;
  bool too_long;
};

std::vector<Read> Segments(const std::string& input, const std::string& taken = "",
                           size_t max = kMaxHl7SegmentBytes) {
  std::istringstream in(input);
  Hl7SegmentReader reader(in, taken, max);
  std::vector<Read> out;
  Hl7SegmentReader::Segment s;
  while (reader.Next(s)) out.push_back({s.text, s.line, s.too_long});
  EXPECT_EQ(reader.bytes(), static_cast<int64_t>(taken.size() + input.size()));
  EXPECT_FALSE(reader.read_error());
  return out;
}

MATCHER_P3(Seg, text, line, too_long, "") {
  return arg.text == text && arg.line == line && arg.too_long == too_long;
}

TEST(Hl7ParserTest, SegmentsEndAtCrLfCrlfAndMllpEnd) {
  using ::testing::ElementsAre;
  EXPECT_THAT(Segments("MSH|a\rPID|b\r\nOBX|c\nOBX|d"),
              ElementsAre(Seg("MSH|a", 1, false), Seg("PID|b", 2, false), Seg("OBX|c", 3, false),
                          Seg("OBX|d", 4, false)));
  // Blank lines are skipped and counted; CR CR is two lines, CR LF one.
  EXPECT_THAT(Segments("\r\n\r\rMSH|a\r\n\n  \t\nOBX|b\r"),
              ElementsAre(Seg("MSH|a", 4, false), Seg("OBX|b", 7, false)));
  // MLLP framing: 0x0B before a message, 0x1C 0x0D after it.
  EXPECT_THAT(Segments("\x0bMSH|a\rOBX|b\r\x1c\r\x0bMSH|c\rOBX|d\x1c\r"),
              ElementsAre(Seg("MSH|a", 1, false), Seg("OBX|b", 2, false), Seg("MSH|c", 4, false),
                          Seg("OBX|d", 5, false)));
  // A byte order mark at the start only.
  EXPECT_THAT(Segments("\xEF\xBB\xBFMSH|a\rOBX|\xEF\xBB\xBF"),
              ElementsAre(Seg("MSH|a", 1, false), Seg("OBX|\xEF\xBB\xBF", 2, false)));
  // Bytes already taken (by format detection) come first.
  EXPECT_THAT(Segments("SH|a\rOBX|b", "\n\x0bM"),
              ElementsAre(Seg("MSH|a", 2, false), Seg("OBX|b", 3, false)));
  // A segment longer than the limit keeps its start; the next one is intact.
  EXPECT_THAT(Segments("OBX|123456789\rPID|1\r", "", 8),
              ElementsAre(Seg("OBX|1234", 1, true), Seg("PID|1", 2, false)));
  EXPECT_THAT(Segments(""), ElementsAre());
  EXPECT_THAT(Segments("\r\n\x1c\x0b  \r"), ElementsAre());
}

TEST(Hl7ParserTest, LongInputStreamsInBlocks) {
  // Segments across the 64 KiB block boundaries, CRLF split between blocks.
  std::string input;
  std::vector<std::string> expected;
  for (int i = 0; input.size() < (size_t{3} << 16); ++i) {
    expected.push_back("OBX|" + std::to_string(i) + std::string(static_cast<size_t>(i % 97), 'x'));
    input += expected.back() + "\r\n";
  }
  std::vector<Read> got = Segments(input);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].text, expected[i]);
    ASSERT_EQ(got[i].line, static_cast<int64_t>(i) + 1);
  }
}

}  // namespace
}  // namespace cotrack
