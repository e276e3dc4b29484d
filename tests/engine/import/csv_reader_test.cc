#include "import/csv_reader.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "import/import_errors.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::IsOk;
using ::cotrack::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Field {
  std::string text;
  int64_t line;
  int64_t column;
  friend bool operator==(const Field& a, const Field& b) {
    return a.text == b.text && a.line == b.line && a.column == b.column;
  }
  friend std::ostream& operator<<(std::ostream& os, const Field& f) {
    return os << "{\"" << f.text << "\" " << f.line << ":" << f.column << "}";
  }
};
using Row = std::vector<Field>;

// Reads all of `input`; the error (if any) ends the list and goes to `error`.
std::vector<Row> ReadAll(const std::string& input, absl::Status* error = nullptr,
                         CsvReaderOptions options = {}) {
  std::istringstream in(input);
  CsvReader reader(in, "in.csv", options);
  std::vector<Row> rows;
  CsvRecord record;
  for (;;) {
    absl::StatusOr<bool> next = reader.Next(record);
    if (!next.ok()) {
      if (error != nullptr)
        *error = next.status();
      else
        ADD_FAILURE() << next.status();
      break;
    }
    if (!*next) break;
    Row row;
    for (size_t i = 0; i < record.size(); ++i) {
      row.push_back(Field{std::string(record[i]), record.line(i), record.column(i)});
    }
    rows.push_back(row);
  }
  return rows;
}

absl::Status ReadError(const std::string& input, CsvReaderOptions options = {}) {
  absl::Status error;
  ReadAll(input, &error, options);
  return error;
}

TEST(CsvReaderTest, SimpleLfWithLinesAndColumns) {
  EXPECT_THAT(ReadAll("a,bb,c\n1,22,333\n"),
              ElementsAre(Row{{"a", 1, 1}, {"bb", 1, 3}, {"c", 1, 6}},
                          Row{{"1", 2, 1}, {"22", 2, 3}, {"333", 2, 6}}));
}

TEST(CsvReaderTest, CrlfAndLoneCrEndLines) {
  EXPECT_THAT(ReadAll("a,b\r\n1,2\r\n"),
              ElementsAre(Row{{"a", 1, 1}, {"b", 1, 3}}, Row{{"1", 2, 1}, {"2", 2, 3}}));
  EXPECT_THAT(ReadAll("a,b\r1,2\r"),
              ElementsAre(Row{{"a", 1, 1}, {"b", 1, 3}}, Row{{"1", 2, 1}, {"2", 2, 3}}));
}

TEST(CsvReaderTest, LastLineWithoutNewline) {
  EXPECT_THAT(ReadAll("a,b\n1,2"),
              ElementsAre(Row{{"a", 1, 1}, {"b", 1, 3}}, Row{{"1", 2, 1}, {"2", 2, 3}}));
  // A trailing comma at the end of input is one more, empty, field.
  EXPECT_THAT(ReadAll("a,"), ElementsAre(Row{{"a", 1, 1}, {"", 1, 3}}));
}

TEST(CsvReaderTest, QuotesAndDoubledQuotes) {
  EXPECT_THAT(ReadAll("\"a,b\",\"say \"\"hi\"\"\",\"\"\n"),
              ElementsAre(Row{{"a,b", 1, 1}, {"say \"hi\"", 1, 7}, {"", 1, 20}}));
}

TEST(CsvReaderTest, QuotedNewlinesAreKeptAndCounted) {
  std::istringstream in("p,note,v\nP1,\"two\nlines\",3\r\nP2,\"crlf\r\ninside\",4\nP3,x,5\n");
  CsvReader reader(in, "in.csv");
  CsvRecord r;
  ASSERT_OK(reader.ReadHeader(r));
  ASSERT_TRUE(*reader.Next(r));
  EXPECT_EQ(r[1], "two\nlines");
  EXPECT_EQ(r.first_line(), 2);
  EXPECT_EQ(r.line(2), 3);
  EXPECT_EQ(r.column(2), 8);
  ASSERT_TRUE(*reader.Next(r));
  EXPECT_EQ(r[1], "crlf\r\ninside");
  EXPECT_EQ(r.first_line(), 4);
  ASSERT_TRUE(*reader.Next(r));
  EXPECT_EQ(r[0], "P3");
  EXPECT_EQ(r.first_line(), 6);
  EXPECT_FALSE(*reader.Next(r));
}

TEST(CsvReaderTest, Utf8BomIsSkippedAndColumnsCountCharacters) {
  EXPECT_THAT(ReadAll("\xEF\xBB\xBFpatient,value\n"),
              ElementsAre(Row{{"patient", 1, 1}, {"value", 1, 9}}));
  // "Müller" is 6 characters (7 bytes).
  EXPECT_THAT(ReadAll("M\xC3\xBCller,x\n"), ElementsAre(Row{{"M\xC3\xBCller", 1, 1}, {"x", 1, 8}}));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButEmptyFieldsAreKept) {
  EXPECT_THAT(ReadAll("a,b\n\n\r\n1,2\n\n"),
              ElementsAre(Row{{"a", 1, 1}, {"b", 1, 3}}, Row{{"1", 4, 1}, {"2", 4, 3}}));
  std::istringstream in(",,\n");
  CsvReader reader(in, "in.csv");
  CsvRecord r;
  ASSERT_TRUE(*reader.Next(r));
  EXPECT_EQ(r.size(), 3u);
  EXPECT_TRUE(r.AllFieldsBlank());
}

TEST(CsvReaderTest, EmptyFileIsAnError) {
  for (const std::string input : {"", "\xEF\xBB\xBF", "\n\n", "\r\n"}) {
    std::istringstream in(input);
    CsvReader reader(in, "data/e.csv");
    CsvRecord header;
    EXPECT_THAT(reader.ReadHeader(header),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "data/e.csv: empty file, expected a header line"))
        << "input: " << input;
  }
}

TEST(CsvReaderTest, UnclosedQuoteNamesWhereItOpened) {
  EXPECT_THAT(ReadError("a,b\n1,\"abc\n2,3\n4,5\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "in.csv:2:3: quote opened at line 2, column 3 is never closed"));
}

TEST(CsvReaderTest, StrayQuoteInUnquotedField) {
  EXPECT_THAT(ReadError("a,b\n1,ab\"c\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("in.csv:2:5: stray quote in an unquoted field"),
                             HasSubstr("\"\""))));
}

TEST(CsvReaderTest, TextAfterClosingQuote) {
  EXPECT_THAT(ReadError("\"ab\"c,d\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("in.csv:1:5: unexpected text after the closing quote"),
                             HasSubstr("must be doubled"))));
}

TEST(CsvReaderTest, NulByte) {
  EXPECT_THAT(ReadError(std::string("a,b\nx,y\0z\n", 10)),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("in.csv:2:4: NUL byte")));
}

TEST(CsvReaderTest, InvalidUtf8) {
  struct Case {
    std::string input;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"M\xFCller\n", "in.csv:1:2: invalid UTF-8 (byte 0xFC)"},         // Latin-1
           {"a,\xC0\xAF\n", "in.csv:1:3: invalid UTF-8 (byte 0xC0)"},        // overlong
           {"\xED\xA0\x80\n", "in.csv:1:1: invalid UTF-8 (byte 0xED)"},      // surrogate
           {"ok,\"\xE2\x82\"\n", "in.csv:1:5: invalid UTF-8 (byte 0xE2)"},   // truncated
           {"x\xE2\x82", "in.csv:1:2: invalid UTF-8 (byte 0xE2)"},           // cut by EOF
           {"\xF4\x90\x80\x80\n", "in.csv:1:1: invalid UTF-8 (byte 0xF4)"},  // > U+10FFFF
       }) {
    EXPECT_THAT(ReadError(c.input),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(c.error)));
  }
  EXPECT_THAT(ReadError("\xFF\xFEp\0a\0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-16")));
}

TEST(CsvReaderTest, LimitsStopHostileInput) {
  CsvReaderOptions small;
  small.max_field_bytes = 10;
  small.max_record_bytes = 25;
  small.max_fields = 5;
  EXPECT_EQ(ReadAll("0123456789,x\n", nullptr, small).size(), 1u);
  EXPECT_THAT(
      ReadError("a\n0123456789A\n", small),
      StatusIs(absl::StatusCode::kInvalidArgument, "in.csv:2:1: field longer than 10 bytes"));
  EXPECT_THAT(ReadError("\"0123456789A", small),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("in.csv:1:1: field longer than 10 bytes; is the quote opened "
                                 "at line 1, column 1 never closed?")));
  EXPECT_THAT(
      ReadError("x\n0123456789,0123456789,0123456789\n", small),
      StatusIs(absl::StatusCode::kInvalidArgument, "in.csv:2:1: record longer than 25 bytes"));
  EXPECT_THAT(
      ReadError(",,,,,,\n", small),
      StatusIs(absl::StatusCode::kInvalidArgument, "in.csv:1:6: more than 5 fields in one record"));
}

TEST(CsvReaderTest, DefaultLimitsAreOneMebibyteFieldAndSixteenMebibyteRecord) {
  const std::string big(size_t{1} << 20, 'x');
  EXPECT_EQ(ReadAll(big + "\n").size(), 1u);
  EXPECT_THAT(ReadError(big + "y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "in.csv:1:1: field longer than 1 MiB"));
  std::string wide = big;
  for (int i = 0; i < 16; ++i) wide += "," + big;
  EXPECT_THAT(ReadError("a\n" + wide + "\n"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                       "in.csv:2:1: record longer than 16 MiB"));
}

TEST(CsvReaderTest, ChunkBoundariesDoNotChangeTheResult) {
  const std::string input =
      "\xEF\xBB\xBFpatient,note,value\r\n"
      "P\xC3\xBC,\"multi\r\nline \"\"quoted\"\"\",\xE2\x82\xAC"
      "5\r"
      "P2,\xF0\x9F\x98\x80,\"7\"\n"
      "\n"
      "P3,,\"\"";
  const std::vector<Row> expected = ReadAll(input);
  ASSERT_EQ(expected.size(), 4u);
  EXPECT_EQ(expected[1][1].text, "multi\r\nline \"quoted\"");
  EXPECT_EQ(expected[1][2], (Field{"\xE2\x82\xAC"
                                   "5",
                                   3, 18}));
  EXPECT_EQ(expected[3][0], (Field{"P3", 6, 1}));
  for (size_t chunk = 1; chunk <= 17; ++chunk) {
    CsvReaderOptions options;
    options.chunk_bytes = chunk;
    EXPECT_EQ(ReadAll(input, nullptr, options), expected) << "chunk " << chunk;
  }
}

TEST(CsvReaderTest, ReadsTheStreamInChunksNotWhole) {
  std::string input = "patient,measure,date,value\n";
  while (input.size() < (size_t{4} << 20)) input += "P1,edss,2024-01-01,2.5\n";
  std::istringstream in(input);
  CsvReaderOptions options;
  options.chunk_bytes = 64 << 10;
  CsvReader reader(in, "big.csv", options);
  CsvRecord r;
  ASSERT_OK(reader.ReadHeader(r));
  ASSERT_TRUE(*reader.Next(r));
  EXPECT_LE(static_cast<size_t>(in.tellg()), options.chunk_bytes);
  int64_t rows = 1;
  while (*reader.Next(r)) ++rows;
  EXPECT_EQ(rows, static_cast<int64_t>((input.size() - 27) / 23));
}

// Renders everything a reader produces (records, positions, the error) so two
// runs can be compared.
std::string Transcript(const std::string& input, size_t chunk) {
  CsvReaderOptions options;
  options.chunk_bytes = chunk;
  options.max_field_bytes = 40;
  options.max_record_bytes = 100;
  options.max_fields = 20;
  absl::Status error;
  std::string out;
  for (const Row& row : ReadAll(input, &error, options)) {
    for (const Field& f : row) absl::StrAppend(&out, f.line, ":", f.column, "[", f.text, "]");
    out += "\n";
  }
  return out + error.ToString();
}

TEST(CsvReaderTest, RandomInputNeverCrashesAndIgnoresChunking) {
  // Deterministic pseudo-random inputs over the bytes that matter.
  const std::vector<std::string> alphabet = {"a",
                                             "b",
                                             ",",
                                             ",",
                                             "\"",
                                             "\"\"",
                                             "\r",
                                             "\n",
                                             "\r\n",
                                             "\xC3\xA9",
                                             "\xE2\x82\xAC",
                                             "\xFF",
                                             std::string(1, '\0'),
                                             "\xEF\xBB\xBF",
                                             " "};
  uint64_t state = 42;
  auto next = [&state]() {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return static_cast<size_t>(state >> 33);
  };
  for (int i = 0; i < 3000; ++i) {
    std::string input;
    const size_t pieces = next() % 40;
    for (size_t k = 0; k < pieces; ++k) input += alphabet[next() % alphabet.size()];
    const std::string whole = Transcript(input, 1 << 16);
    ASSERT_EQ(Transcript(input, 4), whole) << absl::CEscape(input);
    ASSERT_EQ(Transcript(input, 7), whole) << absl::CEscape(input);
  }
}

TEST(CsvReaderTest, ErrorIsSticky) {
  std::istringstream in("a\"b\nc\n");
  CsvReader reader(in, "in.csv");
  CsvRecord r;
  EXPECT_FALSE(reader.Next(r).ok());
  EXPECT_FALSE(reader.Next(r).ok());
}

TEST(CsvReaderTest, SharedFileWithoutTrailingNewline) {
  const std::string path = testing::SharedData("redcap_redcapr/arm-single-longitudinal_event.csv");
  const std::string contents = testing::ReadFile(path);
  ASSERT_FALSE(contents.empty());
  ASSERT_NE(contents.back(), '\n');  // the point of this file
  const std::vector<Row> rows = ReadAll(contents);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0][0].text, "event_name");
  EXPECT_THAT(rows[3], ElementsAre(Field{"Follow up", 4, 1}, Field{"1", 4, 13},
                                   Field{"follow_up_arm_1", 4, 15}, Field{"", 4, 31},
                                   Field{"12359", 4, 32}));
}

TEST(CsvReaderTest, EverySharedCsvIsWellFormed) {
  // All of them are real exports: quoted long texts, decimal commas in
  // quotes, a missing final newline. Each record has as many fields as its
  // header.
  for (const char* name : {
           "msprog_toydata/MSprog_toydata_relapses.csv",
           "msprog_toydata/MSprog_toydata_visits.csv",
           "redcap_redcapr/arm-single-longitudinal_data.csv",
           "redcap_redcapr/decimal-comma-and-dot_data.csv",
           "redcap_redcapr/decimal-comma_data.csv",
           "redcap_redcapr/longitudinal_data.csv",
           "redcap_redcapr/longitudinal_dictionary.csv",
           "redcap_redcapr/multilevel-model-1_data.csv",
           "redcap_redcapr/potentially-problematic-values_data.csv",
           "synthea_csv_dbt_ohdsi/observations.csv",
           "synthea_heart_health/patients.csv",
       }) {
    std::ifstream in(testing::SharedData(name), std::ios::binary);
    ASSERT_TRUE(in) << name;
    CsvReader reader(in, name);
    CsvRecord header, row;
    ASSERT_OK(reader.ReadHeader(header)) << name;
    int64_t rows = 0;
    for (;;) {
      absl::StatusOr<bool> next = reader.Next(row);
      ASSERT_OK(next) << name;
      if (!*next) break;
      ++rows;
      ASSERT_EQ(row.size(), header.size()) << name << " line " << row.first_line();
    }
    EXPECT_GT(rows, 0) << name;
  }
}

TEST(CsvHeaderTest, NamesAreTrimmedAndCaseInsensitive) {
  std::istringstream in(" Patient ,MEASURE,date\n");
  CsvReader reader(in, "h.csv");
  CsvRecord header;
  ASSERT_OK(reader.ReadHeader(header));
  ASSERT_OK_AND_ASSIGN(CsvHeader h, CsvHeader::Make(header, reader));
  EXPECT_EQ(h.Find("patient"), 0u);
  EXPECT_EQ(h.Find("measure"), 1u);
  EXPECT_EQ(h.name(0), "Patient");
  EXPECT_FALSE(h.Find("value").has_value());
}

TEST(CsvHeaderTest, EmptyAndDuplicateNamesAreErrors) {
  std::istringstream in("patient,, Patient\n");
  CsvReader reader(in, "h.csv");
  CsvRecord header;
  ASSERT_OK(reader.ReadHeader(header));
  EXPECT_THAT(CsvHeader::Make(header, reader),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "h.csv:1:9: header: column 2 has no name\n"
                       "h.csv:1:10: header: duplicate column \"Patient\" (also column 1)"));
}

TEST(ImportErrorsTest, ListsTwentyThenCountsTheRest) {
  ImportErrors errors("f.csv");
  EXPECT_OK(errors.ToStatus());
  for (int i = 1; i <= 23; ++i) errors.Add(i + 1, 3, absl::StrCat("problem ", i));
  absl::Status s = errors.ToStatus();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(StartsWith("f.csv:2:3: problem 1\nf.csv:3:3: problem 2\n"),
                                HasSubstr("f.csv:21:3: problem 20\n... and 3 more errors"))));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("problem 21")));
  EXPECT_EQ(errors.count(), 23u);
}

TEST(QuoteForMessageTest, EscapesAndShortens) {
  EXPECT_EQ(QuoteForMessage("a\"b\n"), "\"a\\\"b\\n\"");
  EXPECT_EQ(QuoteForMessage("M\xC3\xBCller"), "\"M\xC3\xBCller\"");
  const std::string long_value(200, 'x');
  EXPECT_EQ(QuoteForMessage(long_value), "\"" + std::string(60, 'x') + "...\"");
}

}  // namespace
}  // namespace cotrack
