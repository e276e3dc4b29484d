// Query output (tools/output.h): the same rows as an aligned table, RFC 4180
// csv and JSON Lines, byte for byte, since scripts parse the latter two.
#include "output.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;

std::string Write(const Table& table, OutputFormat format) {
  std::ostringstream out;
  WriteTable(table, format, out);
  return out.str();
}

// ---- Formats ----

TEST(ParseOutputFormatTest, KnowsTheThreeFormats) {
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("csv"), OutputFormat::kCsv);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
}

TEST(ParseOutputFormatTest, NamesTheFlagAndTheChoices) {
  for (const char* bad : {"xml", "", "CSV", "ndjson"}) {
    EXPECT_THAT(ParseOutputFormat(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         Eq(absl::StrCat("--format: bad value \"", bad,
                                         "\" (expected table, csv or json)"))));
  }
}

// ---- Cells ----

TEST(CellTest, EachKindHasItsTextAndJson) {
  EXPECT_EQ(Cell().kind(), Cell::Kind::kNull);
  EXPECT_EQ(Cell().Text(), "");
  EXPECT_EQ(Cell().Json(), "null");
  EXPECT_EQ(Cell::String("a\"b").Text(), "a\"b");
  EXPECT_EQ(Cell::String("a\"b").Json(), "\"a\\\"b\"");
  EXPECT_EQ(Cell::String("").kind(), Cell::Kind::kString);
  EXPECT_EQ(Cell::String("").Json(), "\"\"");
  EXPECT_EQ(Cell::Number(2.5).Text(), "2.5");
  EXPECT_EQ(Cell::Number(2.5).Json(), "2.5");
  EXPECT_EQ(Cell::Integer(-42).Text(), "-42");
  EXPECT_EQ(Cell::Integer(-42).Json(), "-42");
  EXPECT_EQ(Cell::Bool(true).Json(), "true");
  EXPECT_EQ(Cell::Bool(false).Text(), "false");
}

TEST(CellTest, NonFiniteNumbersAreNull) {
  for (double v : {std::nan(""), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    EXPECT_EQ(Cell::Number(v).kind(), Cell::Kind::kNull);
    EXPECT_EQ(Cell::Number(v).Json(), "null");
  }
}

TEST(CellTest, StringOrNullTurnsEmptyIntoNull) {
  EXPECT_EQ(Cell::StringOrNull("").kind(), Cell::Kind::kNull);
  EXPECT_EQ(Cell::StringOrNull("x").kind(), Cell::Kind::kString);
}

TEST(CellTest, TableTextReplacesTheValueInTablesOnly) {
  Cell c = Cell::Number(0.5);
  c.WithTableText("<0.5");
  EXPECT_EQ(c.TableText(), "<0.5");
  EXPECT_EQ(c.Text(), "0.5");
  EXPECT_EQ(c.Json(), "0.5");
  EXPECT_EQ(Cell::Number(0.5).TableText(), "0.5");
}

// ---- Numbers, strings, timestamps ----

TEST(FormatNumberTest, ShortestTextThatReadsBackExactly) {
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(7), "7");
  EXPECT_EQ(FormatNumber(-2.5), "-2.5");
  EXPECT_EQ(FormatNumber(1e-22), "1e-22");
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatNumber(1e21), "1e+21");
  EXPECT_EQ(FormatNumber(123456789), "123456789");
}

TEST(JsonStringTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(JsonString(std::string("\x01\x7f", 2)), "\"\\u0001\\u007f\"");
  EXPECT_EQ(JsonString("/"), "\"/\"");
}

TEST(JsonStringTest, KeepsUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonString("Zürich"), "\"Zürich\"");
  EXPECT_EQ(JsonString("a\xff"
                       "b"),
            "\"a\\ufffdb\"");
  EXPECT_EQ(JsonString("\xc3"), "\"\\ufffd\"");  // a sequence cut short
}

TEST(CsvFieldTest, QuotesOnlyWhenItMust) {
  EXPECT_EQ(CsvField("plain text"), "plain text");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("l1\nl2"), "\"l1\nl2\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvField("semi;colon"), "semi;colon");
}

TEST(FormatTimestampUsTest, IsoUtcWithMicroseconds) {
  EXPECT_EQ(FormatTimestampUs(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestampUs(1709633700000001), "2024-03-05T10:15:00.000001Z");
}

// ---- Tables ----

Table Sample() {
  Table t;
  t.columns = {"name", "n", "note"};
  t.rows.push_back({Cell::String("alpha"), Cell::Integer(5), Cell()});
  t.rows.push_back({Cell::String("b"), Cell::Number(12.25), Cell::String("x,\"y\"")});
  return t;
}

TEST(WriteTableTest, TableFormatAlignsColumnsAndRightAlignsNumbers) {
  EXPECT_EQ(Write(Sample(), OutputFormat::kTable),
            "name       n  note\n"
            "alpha      5\n"
            "b      12.25  x,\"y\"\n");
}

TEST(WriteTableTest, CsvHasAHeaderAndQuotesWhatItMust) {
  EXPECT_EQ(Write(Sample(), OutputFormat::kCsv),
            "name,n,note\n"
            "alpha,5,\n"
            "b,12.25,\"x,\"\"y\"\"\"\n");
}

TEST(WriteTableTest, JsonIsOneObjectPerLineWithNulls) {
  EXPECT_EQ(Write(Sample(), OutputFormat::kJson),
            "{\"name\":\"alpha\",\"n\":5,\"note\":null}\n"
            "{\"name\":\"b\",\"n\":12.25,\"note\":\"x,\\\"y\\\"\"}\n");
}

TEST(WriteTableTest, AnEmptyTableKeepsItsHeaderExceptInJson) {
  Table empty{{"a", "bb"}, {}};
  EXPECT_EQ(Write(empty, OutputFormat::kTable), "a  bb\n");
  EXPECT_EQ(Write(empty, OutputFormat::kCsv), "a,bb\n");
  EXPECT_EQ(Write(empty, OutputFormat::kJson), "");
}

TEST(WriteTableTest, AColumnOfNullsAndNumbersIsNumericAndOfNullsOnlyIsNot) {
  Table t{{"num", "none", "mixed"}, {}};
  t.rows.push_back({Cell(), Cell(), Cell::Integer(1)});
  t.rows.push_back({Cell::Integer(100), Cell(), Cell::String("x")});
  EXPECT_EQ(Write(t, OutputFormat::kTable),
            "num  none  mixed\n"
            "           1\n"
            "100        x\n");
}

TEST(WriteTableTest, TableCellsStayOnOneLineAndUseTheirTableText) {
  Table t{{"text", "value"}, {}};
  Cell censored = Cell::Number(0.5);
  censored.WithTableText("<0.5");
  t.rows.push_back({Cell::String(std::string("a\nb\tc\rd\x01"
                                             "e",
                                             9)),
                    censored});
  EXPECT_EQ(Write(t, OutputFormat::kTable),
            "text             value\n"
            "a\\nb\\tc\\rd\\x01e   <0.5\n");
  EXPECT_EQ(Write(t, OutputFormat::kCsv),
            "text,value\n\"a\nb\tc\rd\x01"
            "e\",0.5\n");
}

TEST(WriteTableTest, WidthCountsCodePointsNotBytes) {
  Table t{{"city", "n"}, {}};
  t.rows.push_back({Cell::String("Zürich"), Cell::Integer(1)});
  t.rows.push_back({Cell::String("Bern"), Cell::Integer(22)});
  EXPECT_EQ(Write(t, OutputFormat::kTable),
            "city     n\n"
            "Zürich   1\n"
            "Bern    22\n");
}

TEST(WriteRecordTest, TableFormatIsOneFieldPerLine) {
  std::ostringstream out;
  Cell censored = Cell::Number(0.5);
  censored.WithTableText("<0.5");
  WriteRecord({"code", "limit", "missing"}, {Cell::String("il4"), censored, Cell()},
              OutputFormat::kTable, out);
  EXPECT_EQ(out.str(),
            "field    value\n"
            "code     il4\n"
            "limit    <0.5\n"
            "missing\n");
}

TEST(WriteRecordTest, CsvAndJsonAreAOneRowTable) {
  std::ostringstream csv;
  WriteRecord({"code", "limit"}, {Cell::String("il4"), Cell::Number(0.5)}, OutputFormat::kCsv, csv);
  EXPECT_EQ(csv.str(), "code,limit\nil4,0.5\n");
  std::ostringstream json;
  WriteRecord({"code", "limit"}, {Cell::String("il4"), Cell::Number(0.5)}, OutputFormat::kJson,
              json);
  EXPECT_EQ(json.str(), "{\"code\":\"il4\",\"limit\":0.5}\n");
}

// ---- Observations ----

Observation Il4() {
  Observation o;
  o.patient = "P1";
  o.measure = "il4";
  o.time = *ParseCivilTime("2024-01-10");
  o.value = 0.5;
  o.unit = "pg/mL";
  o.comparator = Comparator::kLess;
  o.original_value = "<0.5";
  o.original_unit = "ng/L";
  o.visit = "M0";
  o.status = ObservationStatus::kAmended;
  o.version = 2;
  o.recorded_at_us = 1709633700000000;
  o.provenance.source = "lab.csv";
  o.provenance.line = 7;
  o.provenance.user = "ann";
  o.provenance.reason = "re-run";
  return o;
}

TEST(ObservationTableTest, CurrentColumnsWithACensoredValue) {
  Table t = ObservationTable({Il4()}, ObservationColumns::kCurrent);
  EXPECT_THAT(t.columns, ElementsAre("patient", "measure", "date", "value", "unit", "comparator",
                                     "visit", "status", "version", "recorded_at"));
  EXPECT_EQ(Write(t, OutputFormat::kJson),
            "{\"patient\":\"P1\",\"measure\":\"il4\",\"date\":\"2024-01-10\",\"value\":0.5,"
            "\"unit\":\"pg/mL\",\"comparator\":\"<\",\"visit\":\"M0\",\"status\":\"amended\","
            "\"version\":2,\"recorded_at\":\"2024-03-05T10:15:00.000000Z\"}\n");
  EXPECT_EQ(t.rows[0][3].TableText(), "<0.5");
}

TEST(ObservationTableTest, AbsentFieldsAreNull) {
  Observation o;
  o.patient = "P2";
  o.measure = "edss";
  o.time = *ParseCivilTime("2024-02-01T09:30");
  o.value = 1;
  Table t = ObservationTable({o}, ObservationColumns::kCurrent);
  EXPECT_EQ(Write(t, OutputFormat::kCsv),
            "patient,measure,date,value,unit,comparator,visit,status,version,recorded_at\n"
            "P2,edss,2024-02-01T09:30:00,1,,,,final,1,\n");
  EXPECT_EQ(t.rows[0][3].TableText(), "1");
}

TEST(ObservationTableTest, HistoryAddsWhatWasEnteredAndWhoWhereWhy) {
  Observation o = Il4();
  o.items = {1, std::nan(""), 3};
  Table t = ObservationTable({o}, ObservationColumns::kHistory);
  ASSERT_EQ(t.columns.size(), 16u);
  EXPECT_THAT(std::vector<std::string>(t.columns.begin() + 10, t.columns.end()),
              ElementsAre("original_value", "original_unit", "items", "source", "user", "reason"));
  std::vector<std::string> texts;
  for (size_t i = 10; i < t.rows[0].size(); ++i) texts.push_back(t.rows[0][i].Text());
  EXPECT_THAT(texts, ElementsAre("<0.5", "ng/L", "1;;3", "lab.csv:7", "ann", "re-run"));
}

TEST(ObservationTableTest, HistoryLeavesOutALineNumberOfZero) {
  Observation o = Il4();
  o.provenance.source = "cli";
  o.provenance.line = 0;
  o.provenance.reason.clear();
  Table t = ObservationTable({o}, ObservationColumns::kHistory);
  EXPECT_EQ(t.rows[0][13].Text(), "cli");
  EXPECT_EQ(t.rows[0][12].kind(), Cell::Kind::kNull);  // no items
  EXPECT_EQ(t.rows[0][15].kind(), Cell::Kind::kNull);  // no reason
}

TEST(ObservationTableTest, NoObservationsIsAnEmptyTable) {
  Table t = ObservationTable({}, ObservationColumns::kCurrent);
  EXPECT_EQ(t.columns.size(), 10u);
  EXPECT_TRUE(t.rows.empty());
}

}  // namespace
}  // namespace cotrack::tools
