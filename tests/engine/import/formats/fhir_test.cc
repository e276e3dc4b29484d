// FHIR R4 Observations: Bulk Data NDJSON and Bundle/resource JSON.
#include "import/fhir.h"

#include <cmath>
#include <map>
#include <string>

#include "formats_test_util.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::ReadFile;
using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kKrishna[] =
    "synthea_heart_health/Krishna674_Treutel973_2bfebc58-f094-c9e9-7545-4d1edce8306b.json";

// The Observation.code of an NDJSON line written by Synthea (compact JSON):
// the first "code" after "code":{"coding":[.
std::string FirstCode(const std::string& line) {
  const size_t coding = line.find("\"code\":{\"coding\":[");
  if (coding == std::string::npos) return "";
  const size_t code = line.find("\"code\":\"", coding + 18);
  const size_t end = line.find('"', code + 8);
  return line.substr(code + 8, end - code - 8);
}

// A mapping file in a temporary directory.
class MappingFile {
 public:
  explicit MappingFile(const std::string& rows) {
    WriteFile(dir_.File("map.csv"), "system,code,measure,unit\n" + rows);
  }
  ImportOptions Options() const {
    ImportOptions o;
    o.mapping_file = dir_.File("map.csv");
    return o;
  }

 private:
  TempDir dir_;
};

class FhirTest : public DbFixture {};

TEST_F(FhirTest, SyntheaNdjsonEveryResourceCountedPerReason) {
  const std::string path = SharedData("synthea_fhir_ndjson/Observation.ndjson");
  const std::string text = ReadFile(path);
  std::map<std::string, int64_t> expected;
  std::istringstream lines(text);
  std::string line;
  int64_t quantity = 0;
  while (std::getline(lines, line)) {
    // Synthea's component observations (blood pressure) have no top-level
    // value; their components hold valueQuantity.
    if (line.find("\"component\"") != std::string::npos) {
      ++expected["no value (components only)"];
    } else if (line.find("\"valueCodeableConcept\"") != std::string::npos) {
      ++expected["valueCodeableConcept"];
    } else if (line.find("\"valueQuantity\"") != std::string::npos) {
      ++quantity;
      ++expected["unmapped code " + FirstCode(line)];
    }
  }
  // The README's census of the file.
  EXPECT_EQ(NonBlankLines(text), 174);
  EXPECT_EQ(quantity, 140);
  EXPECT_EQ(expected["valueCodeableConcept"], 13);
  EXPECT_EQ(expected["no value (components only)"], 21);

  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(path));
  EXPECT_EQ(r.format, ImportFormat::kFhirNdjson);
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, 174);
  EXPECT_EQ(r.counts.skipped, 174);  // no HbA1c, C-peptide or IL-4 in it
  EXPECT_EQ(r.counts.skipped_by_reason, expected);
  EXPECT_TRUE(r.batch.empty());
}

TEST_F(FhirTest, NdjsonOffsetsAreDroppedNotApplied) {
  const std::string path = SharedData("synthea_fhir_ndjson/Observation.ndjson");
  MappingFile map("http://loinc.org,8302-2,height,cm\n");
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(path, map.Options()));
  ASSERT_OK(r.errors);
  const int64_t heights = Occurrences(ReadFile(path), "\"code\":\"8302-2\"");
  ASSERT_GT(heights, 0);
  ASSERT_EQ(static_cast<int64_t>(r.batch.observations().size()), heights);
  const ObservationInput& first = r.batch.observations()[0];
  EXPECT_EQ(first.patient, "913e9363-b137-25f7-9585-ce7970dce7b2");  // "Patient/" stripped
  // 2012-05-30T20:42:24+12:00 is 08:42 UTC; the clinic's date and clock stay.
  EXPECT_EQ(FormatCivilTime(first.time), "2012-05-30T20:42:24");
  EXPECT_EQ(first.unit, "cm");
  EXPECT_EQ(first.provenance.line, 1);
  Register("height", "cm", 0, 300);
  ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(r.batch));
  EXPECT_EQ(s.written, heights);
}

TEST_F(FhirTest, PatientNdjsonRegisters) {
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(SharedData("synthea_fhir_ndjson/Patient1.ndjson")));
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, 1);
  EXPECT_EQ(r.counts.skipped, 0);
  ASSERT_EQ(r.batch.patients().size(), 1u);
  ASSERT_OK(db_->Apply(r.batch));
  ASSERT_OK_AND_ASSIGN(Patient p, db_->GetPatient("913e9363-b137-25f7-9585-ce7970dce7b2"));
  EXPECT_EQ(p.attributes["birthdate"], "1954-08-25");
  EXPECT_EQ(p.attributes["gender"], "female");
}

TEST_F(FhirTest, SyntheaTransactionBundle) {
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(SharedData(kKrishna), ImportOptions(), 50));
  EXPECT_EQ(r.format, ImportFormat::kFhirJson);
  ASSERT_OK(r.errors);
  // README: 338 entries, one Patient, 134 Observations (115 valueQuantity of
  // which 5 HbA1c, 11 components only, 8 valueCodeableConcept).
  EXPECT_EQ(r.counts.rows, 338);
  EXPECT_EQ(r.counts.skipped, 338 - 1 - 5);
  EXPECT_EQ(r.counts.skipped_by_reason.at("valueCodeableConcept"), 8);
  EXPECT_EQ(r.counts.skipped_by_reason.at("no value (components only)"), 11);
  int64_t unmapped = 0, other_resources = 0;
  for (const auto& [reason, n] : r.counts.skipped_by_reason) {
    if (reason.rfind("unmapped code ", 0) == 0) unmapped += n;
    if (reason.rfind("resource ", 0) == 0) other_resources += n;
  }
  EXPECT_EQ(unmapped, 115 - 5);
  EXPECT_EQ(other_resources, 338 - 134 - 1);
  EXPECT_EQ(r.counts.skipped_by_reason.at("resource Claim"), 21);
  ASSERT_EQ(r.batch.patients().size(), 1u);
  EXPECT_EQ(r.batch.patients()[0].id, "2bfebc58-f094-c9e9-7545-4d1edce8306b");
  ASSERT_EQ(r.batch.observations().size(), 5u);
  ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(r.batch));
  EXPECT_EQ(s.written, 5);
}

// The same patient's HbA1c from Synthea's CSV and its FHIR bundle. Synthea
// writes the CSV in UTC with values rounded to 1 decimal (17:35:29Z, 6.2) and
// FHIR in local time with 2 decimals (13:35:29-04:00, 6.23). Offsets are
// dropped, never applied, so the clock readings differ by the offset; the
// rule checked: the same readings in the same order, on the same calendar
// dates, and each CSV value is the FHIR value rounded to 1 decimal.
TEST_F(FhirTest, CrossFormatHbA1cTrajectoryMatchesSyntheaCsv) {
  const std::string id = "2bfebc58-f094-c9e9-7545-4d1edce8306b";
  ASSERT_OK_AND_ASSIGN(ReadResult fhir, ReadPath(SharedData(kKrishna)));
  ASSERT_OK(fhir.errors);
  ASSERT_OK_AND_ASSIGN(ReadResult csv,
                       ReadPath(SharedData("synthea_heart_health/observations.csv")));
  // Its last row is cut off (see synthea_test.cc); the other rows are good.
  EXPECT_THAT(csv.errors, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(":10073:")));
  std::vector<const ObservationInput*> from_csv, from_fhir;
  for (const auto& o : csv.batch.observations()) {
    if (o.patient == id && o.measure == "hba1c") from_csv.push_back(&o);
  }
  for (const auto& o : fhir.batch.observations()) {
    if (o.patient == id && o.measure == "hba1c") from_fhir.push_back(&o);
  }
  ASSERT_EQ(from_csv.size(), 5u);
  ASSERT_EQ(from_fhir.size(), from_csv.size());
  for (size_t i = 0; i < from_csv.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(from_fhir[i]->time.day(), from_csv[i]->time.day());
    EXPECT_EQ(from_fhir[i]->unit, from_csv[i]->unit);
    EXPECT_NEAR(from_fhir[i]->value, from_csv[i]->value, 0.05 + 1e-9);
    EXPECT_EQ(std::round(from_fhir[i]->value * 10) / 10, from_csv[i]->value);
  }
  EXPECT_EQ(FormatCivilTime(from_fhir[0]->time), "2021-05-04T13:35:29");
  EXPECT_EQ(FormatCivilTime(from_csv[0]->time), "2021-05-04T17:35:29");
  EXPECT_EQ(from_fhir[0]->original_value, "6.23");
  EXPECT_EQ(from_csv[0]->original_value, "6.2");
}

TEST_F(FhirTest, SpecExamplesEachCountedWithItsReason) {
  const std::map<std::string, std::string> reasons = {
      {"observation-decimal.json", "no value (components only)"},
      {"observation-example-bloodpressure.json", "no value (components only)"},
      {"observation-example-f205-egfr.json", "no value (components only)"},
      {"observation-example-sample-data.json", "no value (components only)"},
      {"observation-example-f001-glucose.json", "unmapped code 15074-8"},
      {"observation-example-glasgow.json", "unmapped code 9269-2"},
      {"observation-example.json", "unmapped code 29463-7"},
  };
  for (const auto& [file, reason] : reasons) {
    SCOPED_TRACE(file);
    ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(SharedData("fhir_r4_examples/" + file)));
    EXPECT_EQ(r.format, ImportFormat::kFhirJson);
    ASSERT_OK(r.errors);
    EXPECT_EQ(r.counts.rows, 1);
    EXPECT_THAT(r.counts.skipped_by_reason, ElementsAre(Pair(reason, 1)));
    EXPECT_TRUE(r.batch.empty());
  }
}

TEST_F(FhirTest, MappedSpecExamplesConvertUnitsAndUsePeriodStart) {
  MappingFile map(
      "http://loinc.org,15074-8,glucose,\n"
      "http://loinc.org,29463-7,weight,\n"
      "http://loinc.org,9269-2,gcs,\n");
  Register("glucose", "mmol/L", 0, 100);
  Register("gcs", "{score}", 3, 15);
  MeasureDefinition weight;
  weight.code = "weight";
  weight.name = "Body weight";
  weight.unit = "kg";
  weight.min = 0;
  weight.max = 500;
  weight.units = {UnitConversion{"[lb_av]", 0.45359237, 0}};
  ASSERT_OK(db_->RegisterMeasure(weight, Provenance{}));

  ASSERT_OK_AND_ASSIGN(
      ReadResult glucose,
      ReadPath(SharedData("fhir_r4_examples/observation-example-f001-glucose.json"),
               map.Options()));
  ASSERT_OK(glucose.errors);
  ASSERT_EQ(glucose.batch.observations().size(), 1u);
  const ObservationInput& g = glucose.batch.observations()[0];
  EXPECT_EQ(g.patient, "f001");
  EXPECT_EQ(FormatCivilTime(g.time), "2013-04-02T09:30:10");  // effectivePeriod.start
  EXPECT_EQ(g.unit, "mmol/L");  // the UCUM code, not the 'mmol/l' text
  EXPECT_EQ(g.value, 6.3);
  ASSERT_OK(db_->Apply(glucose.batch));

  ASSERT_OK_AND_ASSIGN(
      ReadResult w,
      ReadPath(SharedData("fhir_r4_examples/observation-example.json"), map.Options()));
  ASSERT_OK(w.errors);
  ASSERT_OK(db_->Apply(w.batch));
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory("example", "weight"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_NEAR(t[0].value, 185 * 0.45359237, 1e-6);
  EXPECT_EQ(t[0].original_unit, "[lb_av]");

  ASSERT_OK_AND_ASSIGN(
      ReadResult gcs,
      ReadPath(SharedData("fhir_r4_examples/observation-example-glasgow.json"), map.Options()));
  ASSERT_OK(gcs.errors);
  ASSERT_EQ(gcs.batch.observations().size(), 1u);
  EXPECT_EQ(gcs.batch.observations()[0].unit, "{score}");
  ASSERT_OK(db_->Apply(gcs.batch));
}

TEST_F(FhirTest, GeneralHealthPanelComparatorsAndCounts) {
  const std::string path = SharedData("fhir_r4_examples/diagnosticreport-example-ghp.json");
  MappingFile map("http://loinc.org,30391-7,urine_rbc,/uL\n");
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(path, map.Options()));
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, 55);
  EXPECT_EQ(r.counts.skipped, 54);
  EXPECT_EQ(r.counts.skipped_by_reason.at("resource Specimen"), 3);
  EXPECT_EQ(r.counts.skipped_by_reason.at("resource DiagnosticReport"), 1);
  EXPECT_EQ(r.counts.skipped_by_reason.at("valueCodeableConcept"), 4);
  EXPECT_EQ(r.counts.skipped_by_reason.at("no value"), 3);
  ASSERT_EQ(r.batch.observations().size(), 1u);
  const ObservationInput& o = r.batch.observations()[0];
  EXPECT_EQ(o.comparator, Comparator::kLess);
  EXPECT_EQ(o.value, 1);
  EXPECT_EQ(o.original_value, "<1");
  EXPECT_EQ(o.unit, "/uL");
  Register("urine_rbc", "/uL", 0, 1000);
  ASSERT_OK(db_->Apply(r.batch));
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory("pat2", "urine_rbc"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].comparator, Comparator::kLess);
}

TEST_F(FhirTest, LabBundleSameDayDuplicatesAreErrors) {
  // Two isolates' ampicillin MICs for one patient on one day, both <0.06:
  // the engine keeps one value per patient, measure and date, and an
  // identical repeat is that one value (a different one would be an error,
  // see duplicates_test.cc).
  MappingFile map("http://loinc.org,28-1,amp_mic,ug/mL\n");
  ASSERT_OK_AND_ASSIGN(
      ReadResult r,
      ReadPath(SharedData("fhir_r4_examples/diagnosticreport-example-lri.json"), map.Options()));
  EXPECT_EQ(r.counts.rows, 17);
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.skipped_by_reason["identical duplicate of an earlier row (stored once)"], 1);
  ASSERT_EQ(r.batch.observations().size(), 1u);
  EXPECT_EQ(r.batch.observations()[0].comparator, Comparator::kLess);
  EXPECT_EQ(r.batch.observations()[0].original_value, "<0.06");
}

std::string Obs(const std::string& extra, const std::string& status = "final") {
  return "{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"" + status +
         "\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"4548-4\"}]},"
         "\"subject\":{\"reference\":\"urn:uuid:p-1\"}," +
         extra + "}";
}

TEST_F(FhirTest, StatusValuesAndComparators) {
  const std::string when = "\"effectiveDateTime\":\"2024-03-05T23:30:00-05:00\"";
  const std::string ndjson =
      Obs(when + ",\"valueQuantity\":{\"value\":6.50,\"unit\":\"%\"}") + "\n" +
      Obs("\"effectiveDateTime\":\"2024-04-01\",\"valueQuantity\":{\"value\":48,"
          "\"system\":\"http://unitsofmeasure.org\",\"code\":\"mmol/mol\"}") +
      "\n\n" +  // blank lines are not resources
      Obs("\"effectiveDateTime\":\"2024-05-01\",\"valueQuantity\":{\"value\":15,"
          "\"comparator\":\">\"}") +
      "\r\n" +
      Obs("\"effectiveDateTime\":\"2024-06-01\",\"valueQuantity\":{\"value\":6}", "preliminary") +
      "\n" + Obs("\"effectiveDateTime\":\"2024-07-01\",\"valueQuantity\":{\"unit\":\"%\"}") + "\n" +
      Obs("\"effectiveDateTime\":\"2024-08-01\",\"valueQuantity\":{\"value\":1.0e-22,"
          "\"comparator\":\"ad\"}") +
      "\n" + Obs("\"valueQuantity\":{\"value\":6}") + "\n";
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(ndjson, ImportOptions(), "obs.ndjson"));
  EXPECT_EQ(r.format, ImportFormat::kFhirNdjson);
  EXPECT_EQ(r.counts.rows, 7);
  EXPECT_THAT(r.counts.skipped_by_reason,
              ElementsAre(Pair("no value", 1), Pair("status preliminary", 1)));
  EXPECT_THAT(r.errors,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("obs.ndjson:7: Observation/o: field "
                                       "\"valueQuantity.comparator\": bad value \"ad\""),
                             HasSubstr("obs.ndjson:8: Observation/o: no effectiveDateTime"))));
  ASSERT_EQ(r.batch.observations().size(), 3u);
  const auto& o = r.batch.observations();
  EXPECT_EQ(o[0].patient, "p-1");
  // 23:30 at -05:00 is the next day in UTC; the clinical date stays the 5th.
  EXPECT_EQ(FormatCivilTime(o[0].time), "2024-03-05T23:30:00");
  EXPECT_EQ(o[0].original_value, "6.50");  // digits as sent
  EXPECT_EQ(o[1].unit, "mmol/mol");
  EXPECT_EQ(o[2].comparator, Comparator::kGreater);
  EXPECT_EQ(o[2].unit, "%");  // none given: the mapping's
  EXPECT_EQ(o[2].provenance.line, 4);
}

TEST_F(FhirTest, EnteredInErrorRetracts) {
  const std::string when = "\"effectiveDateTime\":\"2024-03-05\"";
  ASSERT_OK_AND_ASSIGN(
      ReadResult first,
      ReadText(Obs(when + ",\"valueQuantity\":{\"value\":6.5}") + "\n", ImportOptions(), "a"));
  ASSERT_OK(first.errors);
  ASSERT_OK(db_->Apply(first.batch));
  ASSERT_OK_AND_ASSIGN(
      ReadResult second,
      ReadText(Obs(when + ",\"valueQuantity\":{\"value\":6.5}", "entered-in-error") + "\n",
               ImportOptions(), "b"));
  ASSERT_OK(second.errors);
  ASSERT_EQ(second.batch.retractions().size(), 1u);
  EXPECT_THAT(second.batch.retractions()[0].provenance.reason, HasSubstr("entered-in-error"));
  ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(second.batch));
  EXPECT_EQ(s.retracted, 1);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory("p-1", "hba1c"));
  EXPECT_TRUE(t.empty());
}

TEST(FhirInputTest, DeepNestingHugeLinesAndBrokenJsonAreErrorsNotCrashes) {
  const std::string deep = "{\"a\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  ImportOptions ndjson;
  ndjson.format = ImportFormat::kFhirNdjson;
  ASSERT_OK_AND_ASSIGN(ReadResult nd, ReadText(deep + "\n", ndjson, "deep.ndjson"));
  EXPECT_THAT(nd.errors, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deep.ndjson:1:")));
  EXPECT_THAT(nd.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("nested deeper than 100 levels")));

  ImportOptions json;
  json.format = ImportFormat::kFhirJson;
  EXPECT_THAT(ReadText("{\n  \"resourceType\": \"Bundle\",\n  \"entry\": [ {,\n", json, "b.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("b.json:3:"), HasSubstr("invalid JSON"))));
  EXPECT_THAT(ReadText(deep, json, "deep.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested deeper")));

  // One line over the limit is one bad row; the next line still reads.
  const std::string huge = "{\"x\":\"" + std::string(kMaxFhirLineBytes, 'a') + "\"}";
  ASSERT_OK_AND_ASSIGN(ReadResult h, ReadText("{\"resourceType\":\"Encounter\"}\n" + huge +
                                                  "\n{\"resourceType\":\"Encounter\"}\n",
                                              ImportOptions(), "huge.ndjson"));
  EXPECT_EQ(h.counts.rows, 3);
  EXPECT_EQ(h.counts.skipped, 2);
  EXPECT_THAT(h.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("huge.ndjson:2: line is longer than 16 MiB")));
  ASSERT_EQ(h.rejects.size(), 1u);
  EXPECT_EQ(h.rejects[0].first, 2);
}

TEST(FhirInputTest, ReadLineCappedHandlesLineEnds) {
  std::istringstream in("ab\r\ncd\nlast");
  std::string line;
  bool too_long = false;
  ASSERT_TRUE(ReadLineCapped(in, 10, line, too_long));
  EXPECT_EQ(line, "ab");
  ASSERT_TRUE(ReadLineCapped(in, 1, line, too_long));
  EXPECT_TRUE(too_long);
  ASSERT_TRUE(ReadLineCapped(in, 10, line, too_long));
  EXPECT_EQ(line, "last");
  EXPECT_FALSE(too_long);
  EXPECT_FALSE(ReadLineCapped(in, 10, line, too_long));
}

}  // namespace
}  // namespace cotrack::formats_test
