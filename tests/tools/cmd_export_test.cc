// `cotrack export`'s parse step: words and the global --key-file ->
// ExportRequest.
#include "cmd_export.h"

#include "parse_test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;

absl::StatusOr<ExportRequest> Parse(const std::vector<std::string>& args,
                                    const std::string& global_key_file = "") {
  GlobalContext ctx;
  ctx.key_file = global_key_file;
  return ParseAs("export", args,
                 [&](const ParsedArgs& parsed) { return ParseExportRequest(parsed, ctx); });
}

TEST(ExportParseTest, DefaultsToEveryCurrentValueAsCsvOnStdout) {
  absl::StatusOr<ExportRequest> r = Parse({});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->options.format, ExportFormat::kCsv);
  EXPECT_TRUE(r->options.measures.empty());
  EXPECT_FALSE(r->options.patient.has_value());
  EXPECT_FALSE(r->options.fhir_patients);
  EXPECT_FALSE(r->options.deidentify_key.has_value());
  EXPECT_FALSE(r->deidentify_key_file.has_value());
  EXPECT_EQ(r->db_key_file, "");
  EXPECT_FALSE(r->out.has_value());
}

TEST(ExportParseTest, FormatsMeasuresPatientAndOut) {
  absl::StatusOr<ExportRequest> r = Parse({"--format", "fhir", "--measure", "edss,,hba1c",
                                           "--patient", "P1", "--with-patients", "--out", "x"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->options.format, ExportFormat::kFhir);
  EXPECT_THAT(r->options.measures, ElementsAre("edss", "hba1c"));
  EXPECT_EQ(r->options.patient, "P1");
  EXPECT_TRUE(r->options.fhir_patients);
  EXPECT_EQ(r->out, "x");
  EXPECT_EQ(Parse({"--format", "ndjson"})->options.format, ExportFormat::kNdjson);
  EXPECT_EQ(Parse({"--format", "json"})->options.format, ExportFormat::kNdjson);
}

TEST(ExportParseTest, TheGlobalKeyFileEncryptsTheDatabaseWithoutDeidentify) {
  absl::StatusOr<ExportRequest> r = Parse({}, "db.key");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->db_key_file, "db.key");
  EXPECT_FALSE(r->deidentify_key_file.has_value());
}

TEST(ExportParseTest, WithDeidentifyTheGlobalKeyFileIsTheDeidentificationKey) {
  absl::StatusOr<ExportRequest> r = Parse({"--deidentify"}, "pseudonym.key");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->deidentify_key_file, "pseudonym.key");
  EXPECT_EQ(r->db_key_file, "") << "the database is then opened without a key";
}

TEST(ExportParseTest, DeidentifyKeyLeavesTheGlobalKeyFileToTheDatabase) {
  absl::StatusOr<ExportRequest> r =
      Parse({"--deidentify", "--deidentify-key", "pseudonym.key"}, "db.key");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->deidentify_key_file, "pseudonym.key");
  EXPECT_EQ(r->db_key_file, "db.key");
}

TEST(ExportParseTest, UsageErrorsNameTheFlagAndWhatWasExpected) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"x"}, "expected no arguments"},
      {{"--format", "xml"}, "--format: bad value \"xml\" (expected csv, ndjson, fhir or omop)"},
      {{"--measure", ","}, "--measure: no measure code given"},
      {{"--with-patients"}, "--with-patients needs --format fhir"},
      {{"--deidentify"}, "--deidentify needs a key: --key-file F (or --deidentify-key F)"},
      {{"--deidentify", "--deidentify-key="},
       "--deidentify needs a key: --key-file F (or --deidentify-key F)"},
      {{"--deidentify-key", "k"}, "--deidentify-key needs --deidentify"},
      {{"--format", "omop"},
       "--format omop writes a directory of tables (person.csv, observation_period.csv, "
       "measurement.csv, cdm_source.csv): give it as --out DIR"},
      {{"--format", "omop", "--out", "-"},
       "--format omop writes a directory of tables (person.csv, observation_period.csv, "
       "measurement.csv, cdm_source.csv): give it as --out DIR"},
      {{"--format", "xml", "--with-patients"},
       "--format: bad value \"xml\" (expected csv, ndjson, fhir or omop)"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument, Eq(message)))
        << ::testing::PrintToString(args);
  }
}

}  // namespace
}  // namespace cotrack::tools
