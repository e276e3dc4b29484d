// OMOP CDM 5.4 MEASUREMENT and PERSON tables, read as published (the
// Sahohime pseudo-data of OHDSI Japan) and as `export --format omop` writes
// them (its round trip is in tests/engine/export/omop_test.cc).
#include <map>
#include <set>
#include <string>

#include "formats_test_util.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::ReadFile;
using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::WriteFile;
using ::testing::HasSubstr;

constexpr char kMeasurement[] = "omop_sahohime/measurement.csv";
constexpr char kTempConcept[] = "4218834";  // 口腔温, oral temperature
constexpr char kOakIgeConcept[] = "3006734";

// The comparator a Sahohime value_source_value writes ("0.10未満", "100以上").
std::string SaidComparator(const std::string& text) {
  if (text.size() > 6 && text.substr(text.size() - 6) == "未満") return "<";
  if (text.size() > 6 && text.substr(text.size() - 6) == "以上") return ">=";
  return "";
}

struct Expected {
  int64_t rows = 0;
  int64_t duplicates = 0;  // a second value for one person, concept and date: an error
  std::map<std::string, int64_t> imported;  // concept -> rows
  std::map<std::string, int64_t> skipped;   // reason -> rows
};

// Counted from the file with the test's own CSV splitter: what the reader
// must import and skip per concept when `mapped` concepts are mapped.
Expected Count(const std::set<std::string>& mapped) {
  Expected e;
  const auto records = NaiveCsv(ReadFile(SharedData(kMeasurement)));
  if (records.empty()) {
    ADD_FAILURE() << kMeasurement << " is missing or empty";
    return e;
  }
  const auto& h = records[0];
  std::set<std::string> seen;
  const size_t person = Column(h, "person_id"), date = Column(h, "measurement_date");
  const size_t concept_id = Column(h, "measurement_concept_id"),
               source = Column(h, "measurement_source_value"), value = Column(h, "value_as_number"),
               op = Column(h, "operator_concept_id"), text = Column(h, "value_source_value");
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& r = records[i];
    ++e.rows;
    if (!mapped.count(r[concept_id])) {
      ++e.skipped["unmapped concept " + r[concept_id] + " (" + r[source] + ")"];
      continue;
    }
    if (r[value].empty()) {
      ++e.skipped["no value_as_number"];
      continue;
    }
    const std::string said = SaidComparator(r[text]);
    const std::string stored = r[op] == "4172704" ? ">" : r[op] == "4171754" ? "<=" : "=";
    if (!said.empty() && said != stored) {
      ++e.skipped["concept " + r[concept_id] + ": operator_concept_id " + r[op] + " (" + stored +
                  ") contradicts value_source_value, which says " + said];
      continue;
    }
    if (!seen.insert(r[person] + "|" + r[concept_id] + "|" + r[date]).second) {
      ++e.duplicates;
      continue;
    }
    ++e.imported[r[concept_id]];
  }
  return e;
}

class OmopTest : public DbFixture {
 protected:
  std::string Mapping() {
    const std::string path = dir_.File("omop_mapping.csv");
    WriteFile(path,
              "system,code,measure,unit,display\n"
              "https://fhir-terminology.ohdsi.org,4218834,temp,Cel,Oral temperature\n"
              "https://fhir-terminology.ohdsi.org,3006734,ige_oak,UA/mL,White oak IgE\n");
    return path;
  }
};

TEST_F(OmopTest, SahohimeUnmappedConceptsAreSkippedAndCountedPerConcept) {
  const Expected e = Count({});
  EXPECT_EQ(e.rows, 39429);  // README: the file's size
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(SharedData(kMeasurement), ImportOptions(), 997));
  EXPECT_EQ(r.format, ImportFormat::kOmopMeasurement);
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, e.rows);
  EXPECT_EQ(r.counts.skipped, e.rows);
  EXPECT_EQ(r.counts.skipped_by_reason, e.skipped);
  EXPECT_EQ(r.counts.skipped_by_reason.at("unmapped concept 4218834 (口腔温)"), 12873);
  EXPECT_TRUE(r.batch.observations().empty());
}

TEST_F(OmopTest, SahohimeMappedConceptsImportAndContradictoryOperatorsAreSkipped) {
  ImportOptions options;
  options.mapping_file = Mapping();
  const Expected e = Count({kTempConcept, kOakIgeConcept});
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(SharedData(kMeasurement), options, 997));
  EXPECT_EQ(r.counts.skipped_by_reason, e.skipped);
  // The pseudo-data has two different oak IgE values for one person on one
  // day 15 times (besides 5 where one of the two is a skipped contradiction):
  // errors (which one is right?), each naming the first line.
  EXPECT_EQ(e.duplicates, 15);
  EXPECT_EQ(static_cast<int64_t>(r.rejects.size()), e.duplicates);
  EXPECT_THAT(r.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("measurement.csv:3954:24: same patient, measure and "
                                           "date as line 3943")));
  EXPECT_EQ(e.imported.at(kTempConcept), 12873);
  EXPECT_EQ(e.imported.at(kOakIgeConcept), 704 - 88 - 15);
  std::map<std::string, int64_t> by_measure;
  for (const ObservationInput& o : r.batch.observations()) {
    ++by_measure[o.measure];
    if (o.measure == "temp") {
      EXPECT_EQ(o.unit, "Cel");  // from unit_concept_id 586323
      EXPECT_EQ(o.time.precision, TimePrecision::kDate) << "midnight is no time of day";
    } else {
      EXPECT_EQ(o.unit, "UA/ml");  // unit concept 9257 is not in the table: the source unit
    }
  }
  EXPECT_EQ(by_measure["temp"], e.imported.at(kTempConcept));
  EXPECT_EQ(by_measure["ige_oak"], e.imported.at(kOakIgeConcept));
  // The first temperature row: person 1, 1991-01-31, 35.7.
  const ObservationInput& first = r.batch.observations().front();
  EXPECT_EQ(first.patient, "1");
  EXPECT_EQ(FormatCivilTime(first.time), "1991-01-31");
  EXPECT_EQ(first.value, 35.7);
  EXPECT_EQ(first.original_value, "35.7");

  // Into a database, through the whole import: the good rows with
  // --on-error skip.
  Register("temp", "Cel", 30, 45);
  Register("ige_oak", "UA/mL", 0, 1000);
  options.on_error = ImportOptions::OnError::kSkip;
  options.reject_file = dir_.File("rejects.csv");
  ASSERT_OK_AND_ASSIGN(ImportReport report, ImportFile(*db_, SharedData(kMeasurement), options));
  EXPECT_EQ(report.summary.written, e.imported.at(kTempConcept) + e.imported.at(kOakIgeConcept));
  EXPECT_EQ(report.rejected, e.duplicates);
  EXPECT_EQ(report.skipped_by_reason, e.skipped);
}

TEST_F(OmopTest, PersonTableRegistersPersonsWithBirthAndGender) {
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(SharedData("omop_sahohime/person.csv")));
  EXPECT_EQ(r.format, ImportFormat::kOmopPerson);
  ASSERT_OK(r.errors);
  ASSERT_EQ(r.batch.patients().size(), 2694u);  // README: the PERSON table of the same data
  const Patient& p = r.batch.patients().front();
  EXPECT_EQ(p.id, "1");
  EXPECT_EQ(p.attributes.at("gender"), "M");
  EXPECT_EQ(p.attributes.at("year_of_birth"), "1949");
  EXPECT_EQ(p.attributes.at("month_of_birth"), "1");
  EXPECT_EQ(p.attributes.at("day_of_birth"), "27");
}

TEST_F(OmopTest, CotrackCodesWithConceptZeroAndErrors) {
  const std::string header =
      "measurement_id,person_id,measurement_concept_id,measurement_date,measurement_datetime,"
      "operator_concept_id,value_as_number,unit_concept_id,measurement_source_value,"
      "unit_source_value,value_source_value\n";
  ASSERT_OK_AND_ASSIGN(
      ReadResult r,
      ReadText(header + "1,7,0,2021-01-15,,,3.5,0,edss,score,3.5\n"
                        "2,7,0,2021-01-16,2021-01-16 08:30:00,4171756,0.5,8845,il4,pg/mL,<0.5\n"
                        "3,7,0,2021-01-16,,,1,0,Body Weight,kg,1\n"
                        "4,7,3004410,2021-01-17,,,6.5,8554,,,\n"));
  ASSERT_OK(r.errors);
  ASSERT_EQ(r.batch.observations().size(), 3u);
  EXPECT_EQ(r.batch.observations()[0].measure, "edss");
  EXPECT_EQ(r.batch.observations()[0].patient, "7");
  const ObservationInput& il4 = r.batch.observations()[1];
  EXPECT_EQ(il4.comparator, Comparator::kLess);
  EXPECT_EQ(FormatCivilTime(il4.time), "2021-01-16T08:30:00");
  EXPECT_EQ(il4.unit, "pg/mL");
  EXPECT_EQ(r.batch.observations()[2].measure, "hba1c");
  EXPECT_EQ(
      r.counts.skipped_by_reason.at("unmapped measurement_source_value Body Weight (concept 0)"),
      1);

  EXPECT_THAT(
      ReadText(header + "1,7,x,2021-01-15,,,3.5,0,edss,score,3.5\n").value().errors,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("test.csv:2:5: field \"measurement_concept_id\": bad value \"x\"")));
  EXPECT_THAT(ReadText(header + "1,7,0,2021-01-15,,999,3.5,0,edss,score,3.5\n").value().errors,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field \"operator_concept_id\": bad value \"999\"")));
  EXPECT_THAT(
      ReadText(header + "1,7,0,2021-01-15,2021-01-14 10:00:00,,3.5,0,edss,score,3.5\n")
          .value()
          .errors,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("field \"measurement_datetime\": bad value \"2021-01-14 10:00:00\"")));
  EXPECT_THAT(
      ReadText("measurement_id,person_id,measurement_concept_id,measurement_date\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing column value_as_number")));
}

}  // namespace
}  // namespace cotrack::formats_test
