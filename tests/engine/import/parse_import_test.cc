// Parsing observations and patients CSVs into a Batch (no database).
#include "import/parse_import.h"

#include <cmath>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "import/format_registry.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

absl::StatusOr<ParsedImport> Parse(const std::string& text, const std::string& source = "obs.csv",
                                   ImportFormat format = ImportFormat::kAuto) {
  std::istringstream in(text);
  ImportOptions options;
  options.format = format;
  options.user = "tester";
  return ParseImport(in, source, options);
}

CivilTime Date(const char* text) { return *ParseCivilTime(text); }

TEST(ParseObservationsTest, FieldsProvenanceAndAudit) {
  ASSERT_OK_AND_ASSIGN(ParsedImport p, Parse("patient,measure,date,value,unit,visit\n"
                                             "P1,edss,2024-01-10,3.5,,M0\n"
                                             "P1,HbA1c,2024-01-10T09:30,48,mmol/mol,M0\n"
                                             "\"P 2\",il4,2024-02-01,<0.5,pg/mL,\n",
                                             "data/obs.csv"));
  EXPECT_EQ(p.format, ImportFormat::kObservationsCsv);
  EXPECT_EQ(p.rows, 3);
  EXPECT_EQ(p.batch.audit_action(), "import");
  EXPECT_EQ(p.batch.audit_detail(), "data/obs.csv");
  ASSERT_EQ(p.batch.observations().size(), 3u);
  EXPECT_TRUE(p.batch.patients().empty());

  const ObservationInput& a = p.batch.observations()[0];
  EXPECT_EQ(a.patient, "P1");
  EXPECT_EQ(a.measure, "edss");
  EXPECT_EQ(a.time, Date("2024-01-10"));
  EXPECT_EQ(a.value, 3.5);
  EXPECT_EQ(a.original_value, "3.5");
  EXPECT_EQ(a.unit, "");
  EXPECT_EQ(a.visit, "M0");
  EXPECT_EQ(a.comparator, Comparator::kNone);
  EXPECT_FALSE(a.value_from_items);
  EXPECT_TRUE(a.items.empty());
  EXPECT_EQ(a.provenance.source, "data/obs.csv");
  EXPECT_EQ(a.provenance.line, 2);
  EXPECT_EQ(a.provenance.user, "tester");

  const ObservationInput& b = p.batch.observations()[1];
  EXPECT_EQ(b.measure, "hba1c");  // codes are matched case-insensitively
  EXPECT_EQ(b.time, Date("2024-01-10T09:30"));
  EXPECT_EQ(b.time.precision, TimePrecision::kDateTime);
  EXPECT_EQ(b.unit, "mmol/mol");
  EXPECT_EQ(b.provenance.line, 3);

  const ObservationInput& c = p.batch.observations()[2];
  EXPECT_EQ(c.patient, "P 2");
  EXPECT_EQ(c.comparator, Comparator::kLess);
  EXPECT_EQ(c.value, 0.5);
  EXPECT_EQ(c.original_value, "<0.5");
  EXPECT_EQ(c.visit, "");
}

TEST(ParseObservationsTest, HeaderInAnyOrderAndCase) {
  ASSERT_OK_AND_ASSIGN(ParsedImport p, Parse("\xEF\xBB\xBF Value ,DATE,Items,Measure,Patient\r\n"
                                             "7,2024-03-01,1;1;1;1;1;1;0;1,AIS,P9\r\n"));
  ASSERT_EQ(p.batch.observations().size(), 1u);
  const ObservationInput& o = p.batch.observations()[0];
  EXPECT_EQ(o.patient, "P9");
  EXPECT_EQ(o.measure, "ais");
  EXPECT_EQ(o.value, 7);
  EXPECT_THAT(o.items, ElementsAre(1, 1, 1, 1, 1, 1, 0, 1));
}

TEST(ParseObservationsTest, ItemsWithUnansweredAndTotalComputed) {
  ASSERT_OK_AND_ASSIGN(ParsedImport p, Parse("patient,measure,date,value,items\n"
                                             "P1,ais,2024-01-01,,0;1;2;3; ;;1;2\n"
                                             "P1,ais,2024-02-01,9,\n"));
  ASSERT_EQ(p.batch.observations().size(), 2u);
  const ObservationInput& o = p.batch.observations()[0];
  EXPECT_TRUE(o.value_from_items);
  EXPECT_EQ(o.original_value, "");
  ASSERT_EQ(o.items.size(), 8u);
  EXPECT_EQ(o.items[3], 3);
  EXPECT_TRUE(std::isnan(o.items[4]));
  EXPECT_TRUE(std::isnan(o.items[5]));
  EXPECT_EQ(o.items[7], 2);
  EXPECT_TRUE(p.batch.observations()[1].items.empty());
  EXPECT_FALSE(p.batch.observations()[1].value_from_items);
}

TEST(ParseObservationsTest, QuotedNewlineKeepsPhysicalLineNumbers) {
  ASSERT_OK_AND_ASSIGN(ParsedImport p, Parse("patient,measure,date,value,visit\n"
                                             "P1,edss,2024-01-01,2,\"month\nzero\"\n"
                                             "P1,edss,2024-06-01,2.5,M6\n"));
  ASSERT_EQ(p.batch.observations().size(), 2u);
  EXPECT_EQ(p.batch.observations()[0].visit, "month\nzero");
  EXPECT_EQ(p.batch.observations()[0].provenance.line, 2);
  EXPECT_EQ(p.batch.observations()[1].provenance.line, 4);
}

TEST(ParseObservationsTest, HeaderOnlyIsZeroRows) {
  ASSERT_OK_AND_ASSIGN(ParsedImport p, Parse("patient,measure,date,value\n"));
  EXPECT_EQ(p.rows, 0);
  EXPECT_TRUE(p.batch.empty());
}

TEST(ParseObservationsTest, BlankRowsAreNotRows) {
  ASSERT_OK_AND_ASSIGN(ParsedImport p,
                       Parse("patient,measure,date,value\n\nP1,edss,2024-01-01,2\n,,,\n"));
  EXPECT_EQ(p.rows, 1);
}

TEST(ParseObservationsTest, UnknownAndMissingColumns) {
  EXPECT_THAT(Parse("patient,measure,value,comment,unit,extra\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("obs.csv:1:23: header: unknown column \"comment\""),
                             HasSubstr("obs.csv:1:36: header: unknown column \"extra\""),
                             HasSubstr("obs.csv:1: header \"patient,measure,value,comment,unit,"
                                       "extra\": missing column date (an observations CSV has "
                                       "the columns patient,measure,date,value and optionally "
                                       "unit,visit,items (and comparator,status,version,"
                                       "recorded_at as `cotrack export` writes them))"))));
}

TEST(ParseObservationsTest, BadCellsAreAllReportedWithLineAndColumn) {
  EXPECT_THAT(
      Parse("patient,measure,date,value,items\n"
            "P1,edss,2024-02-30,3,\n"
            "P1,edss,2024-03-01,\"1,54\",\n"
            ",,2024-03-02,,\n"
            "P2,ais,2024-03-03,,1;x;2\n"
            "P2,ais,2024-03-04,NaN\n"
            "P2,ais,2024-03-05,1,2,3\n"),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          AllOf(StartsWith("obs.csv:2:9: field \"date\": bad value \"2024-02-30\" (expected a "
                           "date YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss]; 2024-02 has 29 days)\n"),
                HasSubstr("obs.csv:3:20: field \"value\": bad value \"1,54\" (expected a number "
                          "such as 6.5, .34, -1 or 1e3, optionally after <, <=, >= or >; this "
                          "looks like a decimal comma; write 1.54)\n"),
                HasSubstr("obs.csv:4:1: field \"patient\": bad value \"\" (it is empty; "
                          "expected a patient id of "),
                HasSubstr("obs.csv:4:2: field \"measure\": empty"),
                HasSubstr("obs.csv:4:14: field \"value\": empty (expected a number"),
                HasSubstr("obs.csv:5:20: field \"items\": bad value \"1;x;2\" (item 2 is \"x\""),
                HasSubstr("obs.csv:6:19: row has 4 fields but the header has 5 (nothing for "
                          "items)"),
                HasSubstr("obs.csv:7:23: row has 6 fields but the header has 5"))));
}

TEST(ParseObservationsTest, ErrorsOfARowAreListedInColumnOrder) {
  EXPECT_THAT(Parse("patient,measure,date,value,items\n"
                    "P2,ais,2024-03-03,x,1;y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("obs.csv:2:19: field \"value\": bad value \"x\""),
                             HasSubstr("\nobs.csv:2:21: field \"items\": bad value \"1;y\""))));
}

TEST(ParseObservationsTest, ErrorsPastTwentyAreCounted) {
  std::string text = "patient,measure,date,value\n";
  for (int i = 0; i < 30; ++i) absl::StrAppend(&text, "P1,edss,2024-01-", 10 + i % 20, ",x\n");
  absl::StatusOr<ParsedImport> p = Parse(text);
  ASSERT_FALSE(p.ok());
  const std::string message(p.status().message());
  EXPECT_THAT(message, HasSubstr("obs.csv:21:20: field \"value\": bad value \"x\""));
  EXPECT_THAT(message, Not(HasSubstr("obs.csv:22:")));
  // 30 bad values and 10 repeated identities (dates repeat after 20 rows).
  EXPECT_THAT(message, HasSubstr("\n... and 20 more errors"));
}

TEST(ParseObservationsTest, SameIdentityTwiceInAFileIsAnError) {
  EXPECT_THAT(Parse("patient,measure,date,value\n"
                    "P1,edss,2024-01-01,2\n"
                    "P1,EDSS,2024-01-01,3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "obs.csv:3:9: same patient, measure and date as line 2 (each observation "
                       "may appear only once in a file)"));
  // The patient's rows need not be together; another patient's same
  // measure and date is no repeat.
  EXPECT_THAT(Parse("patient,measure,date,value\n"
                    "P1,edss,2024-01-01,2\n"
                    "P2,edss,2024-01-01,2\n"
                    "P1,hba1c,2024-01-01,6.1\n"
                    "P1,edss,2024-01-01,3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "obs.csv:5:9: same patient, measure and date as line 2 (each observation "
                       "may appear only once in a file)"));
}

TEST(ParseObservationsTest, ReaderErrorEndsTheListAfterRowErrors) {
  EXPECT_THAT(Parse("patient,measure,date,value\n"
                    "P1,edss,2024-01-01,bad\n"
                    "P1,edss,2024-01-02,\"3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("obs.csv:2:20: field \"value\""),
                             HasSubstr("\nobs.csv:3:20: quote opened at line 3, column 20 is "
                                       "never closed"))));
}

TEST(ParsePatientsTest, ArmDatesAndAttributes) {
  ASSERT_OK_AND_ASSIGN(ParsedImport p,
                       Parse("patient,arm,index_date,treatment_dates,Sex,birth_year\n"
                             "P1,AHSCT,2020-03-15,2020-09-01;2021-03-01,F,1980\n"
                             "P2,,,,M,\n",
                             "pat.csv"));
  EXPECT_EQ(p.format, ImportFormat::kPatientsCsv);
  EXPECT_EQ(p.rows, 2);
  ASSERT_EQ(p.batch.patients().size(), 2u);
  EXPECT_TRUE(p.batch.observations().empty());
  const Patient& a = p.batch.patients()[0];
  EXPECT_EQ(a.id, "P1");
  EXPECT_EQ(a.arm, "AHSCT");
  ASSERT_TRUE(a.index_date.has_value());
  EXPECT_EQ(*a.index_date, Date("2020-03-15"));
  EXPECT_THAT(a.treatment_dates, ElementsAre(Date("2020-09-01"), Date("2021-03-01")));
  EXPECT_THAT(a.attributes,
              ElementsAre(std::pair<const std::string, std::string>("birth_year", "1980"),
                          std::pair<const std::string, std::string>("sex", "F")));
  EXPECT_EQ(a.provenance.source, "pat.csv");
  EXPECT_EQ(a.provenance.line, 2);
  EXPECT_EQ(a.provenance.user, "tester");
  const Patient& b = p.batch.patients()[1];
  EXPECT_EQ(b.arm, "");
  EXPECT_FALSE(b.index_date.has_value());
  EXPECT_TRUE(b.treatment_dates.empty());
  EXPECT_THAT(b.attributes, ElementsAre(std::pair<const std::string, std::string>("sex", "M")));
  EXPECT_EQ(b.provenance.line, 3);
}

TEST(ParsePatientsTest, OnlyPatientColumn) {
  ASSERT_OK_AND_ASSIGN(ParsedImport p, Parse("Patient\nP1\nP2", "pat.csv"));
  EXPECT_EQ(p.format, ImportFormat::kPatientsCsv);
  EXPECT_EQ(p.rows, 2);
}

TEST(ParsePatientsTest, BadDatesAndDuplicates) {
  EXPECT_THAT(Parse("patient,index_date,treatment_dates\n"
                    "P1,2020-13-01,\n"
                    "P2,,2020-01-01;01/02/2020\n"
                    "P1,,\n"
                    ",,\n",
                    "pat.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("pat.csv:2:4: field \"index_date\": bad value "
                                       "\"2020-13-01\" (expected a date YYYY-MM-DD"),
                             HasSubstr("pat.csv:3:5: field \"treatment_dates\": bad value "
                                       "\"2020-01-01;01/02/2020\" (\"01/02/2020\" is not a date"),
                             HasSubstr("pat.csv:4:1: patient \"P1\" is already on line 2"))));
}

TEST(DetectFormatTest, ByHeader) {
  EXPECT_EQ(DetectCsvFormat({"patient", "measure", "date", "value"}),
            ImportFormat::kObservationsCsv);
  EXPECT_EQ(DetectCsvFormat({"date", " VALUE", "Measure ", "patient"}),
            ImportFormat::kObservationsCsv);
  EXPECT_EQ(DetectCsvFormat({"patient", "arm"}), ImportFormat::kPatientsCsv);
  EXPECT_EQ(DetectCsvFormat({" Patient "}), ImportFormat::kPatientsCsv);
  EXPECT_EQ(DetectCsvFormat({"arm", "patient"}), ImportFormat::kAuto);
  // Our observations format with a column missing, not a patients file.
  EXPECT_EQ(DetectCsvFormat({"patient", "measure", "date"}), ImportFormat::kObservationsCsv);
  EXPECT_EQ(DetectCsvFormat({"patient", "date", "value"}), ImportFormat::kObservationsCsv);
  // Synthea's observations.csv has VALUE but is neither.
  EXPECT_EQ(DetectCsvFormat({"DATE", "PATIENT", "ENCOUNTER", "CODE", "VALUE"}),
            ImportFormat::kAuto);
  EXPECT_EQ(DetectCsvFormat({}), ImportFormat::kAuto);
}

TEST(DetectFormatTest, FormatNames) {
  EXPECT_STREQ(ImportFormatName(ImportFormat::kObservationsCsv), "observations");
  EXPECT_EQ(*ParseImportFormat("patients"), ImportFormat::kPatientsCsv);
  EXPECT_EQ(*ParseImportFormat("observations-csv"), ImportFormat::kObservationsCsv);
  EXPECT_EQ(*ParseImportFormat("auto"), ImportFormat::kAuto);
  EXPECT_THAT(ParseImportFormat("xlsx"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"xlsx\"")));
}

TEST(DetectFormatTest, ForcedFormatChecksItsColumns) {
  EXPECT_THAT(Parse("patient,arm\nP1,A\n", "x.csv", ImportFormat::kObservationsCsv),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("x.csv:1:9: header: unknown column \"arm\""),
                             HasSubstr("missing columns measure,date,value"))));
  EXPECT_THAT(Parse("id,arm\n", "x.csv", ImportFormat::kPatientsCsv),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("x.csv:1: header \"id,arm\": missing column patient")));
}

TEST(DetectFormatTest, ObservationsFileMissingAColumnSaysWhich) {
  EXPECT_THAT(
      Parse("patient,measure,date\nP1,edss,2024-01-01\n", "x.csv"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("x.csv:1: header \"patient,measure,date\": missing column value")));
}

TEST(DetectFormatTest, EmptyFile) {
  EXPECT_THAT(Parse("", "empty.csv"), StatusIs(absl::StatusCode::kInvalidArgument,
                                               "empty.csv: empty file, expected a header line"));
}

TEST(SharedDataTest, FilesThatAreNoImportFormatAreRejectedWithTheExpectedHeaders) {
  for (const char* name :
       {"redcap_redcapr/longitudinal_event.csv", "redcap_redcapr/longitudinal_arm.csv",
        "redcap_redcapr/longitudinal_dictionary.csv"}) {
    const std::string path = testing::SharedData(name);
    EXPECT_THAT(ParseImportFile(path, ImportOptions()),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(StartsWith(path + ":1: unrecognised header"),
                               HasSubstr("patient,measure,date,value"))))
        << name;
  }
}

TEST(SharedDataTest, RedcapExportsNeedAMappingFile) {
  for (const char* name :
       {"redcap_redcapr/longitudinal_data.csv", "redcap_redcapr/decimal-comma_data.csv"}) {
    const std::string path = testing::SharedData(name);
    EXPECT_THAT(ParseImportFile(path, ImportOptions()),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(StartsWith(path + ": "), HasSubstr("--mapping FILE"))))
        << name;
  }
}

TEST(SharedDataTest, MissingFile) {
  EXPECT_THAT(ParseImportFile("/nonexistent/x.csv", ImportOptions()),
              StatusIs(absl::StatusCode::kNotFound,
                       "/nonexistent/x.csv: cannot open: No such file or directory"));
  testing::TempDir dir;
  EXPECT_THAT(ParseImportFile(dir.path(), ImportOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a directory")));
}

}  // namespace
}  // namespace cotrack
