// OMOP CDM 5.4 export (issue 15, item 2): the CDM's tables and columns, the
// concepts from the data tables, censored values as operator concepts, the
// source values kept, person ids stable, and de-identification as for the
// other formats.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "cotrack/database.h"
#include "cotrack/export.h"
#include "cotrack/import.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::ReadFile;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;

// The CDM 5.4 DDL's columns, in its order (OHDSI/CommonDataModel,
// inst/ddl/5.4/postgresql/OMOPCDM_postgresql_5.4_ddl.sql).
constexpr char kMeasurementHeader[] =
    "measurement_id,person_id,measurement_concept_id,measurement_date,measurement_datetime,"
    "measurement_time,measurement_type_concept_id,operator_concept_id,value_as_number,"
    "value_as_concept_id,unit_concept_id,range_low,range_high,provider_id,visit_occurrence_id,"
    "visit_detail_id,measurement_source_value,measurement_source_concept_id,unit_source_value,"
    "unit_source_concept_id,value_source_value,measurement_event_id,meas_event_field_concept_id";
constexpr char kPersonHeader[] =
    "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,birth_datetime,"
    "race_concept_id,ethnicity_concept_id,location_id,provider_id,care_site_id,"
    "person_source_value,gender_source_value,gender_source_concept_id,race_source_value,"
    "race_source_concept_id,ethnicity_source_value,ethnicity_source_concept_id";
constexpr char kPeriodHeader[] =
    "observation_period_id,person_id,observation_period_start_date,observation_period_end_date,"
    "period_type_concept_id";
constexpr char kCdmSourceHeader[] =
    "cdm_source_name,cdm_source_abbreviation,cdm_holder,source_description,"
    "source_documentation_reference,cdm_etl_reference,source_release_date,cdm_release_date,"
    "cdm_version,cdm_version_concept_id,vocabulary_version";

CivilTime At(const char* text) { return *ParseCivilTime(text); }

ObservationInput Obs(const std::string& patient, const std::string& measure, const char* time,
                     double value) {
  ObservationInput in;
  in.patient = patient;
  in.measure = measure;
  in.time = At(time);
  in.value = value;
  in.provenance.source = "visits.csv";
  return in;
}

// A table as rows of cells keyed by column name (no quoted commas in what
// these tests write).
std::vector<std::map<std::string, std::string>> Table(const std::string& path,
                                                      std::string* header) {
  std::vector<std::string> lines = absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty());
  std::vector<std::map<std::string, std::string>> rows;
  if (lines.empty()) {
    ADD_FAILURE() << path << " is empty";
    return rows;
  }
  *header = lines[0];
  std::vector<std::string> names = absl::StrSplit(lines[0], ',');
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = absl::StrSplit(lines[i], ',');
    EXPECT_EQ(cells.size(), names.size()) << path << " line " << i + 1 << ": " << lines[i];
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < names.size() && c < cells.size(); ++c) row[names[c]] = cells[c];
    rows.push_back(std::move(row));
  }
  return rows;
}

class OmopExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(dir_.File("db"), Options()));
    Patient a;
    a.id = "MS-Alpha-001";
    a.attributes = {{"gender", "F"}, {"birthdate", "1980-04-09"}, {"site", "Uppsala"}};
    ASSERT_OK(db_->PutPatient(a));
    Patient b;
    b.id = "T1D gamma/003";
    ASSERT_OK(db_->PutPatient(b));
    Patient c;  // registered, no values
    c.id = "C-9";
    ASSERT_OK(db_->PutPatient(c));
    Batch batch;
    batch.Record(Obs(a.id, "edss", "2021-01-15", 3.5));
    batch.Record(Obs(a.id, "edss", "2022-01-14", 2.5));
    ObservationInput il4 = Obs(a.id, "il4", "2021-02-01T08:30:00", 0.5);
    il4.comparator = Comparator::kLess;
    batch.Record(il4);
    ObservationInput hba1c = Obs(b.id, "hba1c", "2021-02-01T08:30:15", 53);
    hba1c.unit = "mmol/mol";
    batch.Record(hba1c);
    ObservationInput high = Obs(b.id, "il4", "2021-08-01", 14);
    high.comparator = Comparator::kGreaterEqual;
    batch.Record(high);
    ASSERT_OK(db_->Apply(batch));
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(OmopExportTest, WritesTheCdmTablesWithTheirColumnsAndConcepts) {
  const std::string out = dir_.File("omop");
  ASSERT_OK_AND_ASSIGN(ExportSummary s, ExportOmop(*db_, ExportOptions(), out));
  EXPECT_EQ(s.observations, 5);
  EXPECT_EQ(s.patients, 2);

  std::string header;
  const auto m = Table(out + "/measurement.csv", &header);
  EXPECT_EQ(header, kMeasurementHeader);
  ASSERT_EQ(m.size(), 5u);
  std::set<std::string> ids;
  for (const auto& row : m) {
    ids.insert(row.at("measurement_id"));
    EXPECT_EQ(row.at("measurement_type_concept_id"), "32817");
  }
  EXPECT_EQ(ids.size(), m.size()) << "measurement_id must be unique";

  // Built-in measure order: edss, ..., hba1c, il4.
  EXPECT_EQ(m[0].at("measurement_concept_id"), "0");  // no concept: the code is the source
  EXPECT_EQ(m[0].at("measurement_source_value"), "edss");
  const std::string alpha = m[0].at("person_id");
  EXPECT_EQ(m[0].at("measurement_date"), "2021-01-15");
  EXPECT_EQ(m[0].at("measurement_datetime"), "");
  EXPECT_EQ(m[0].at("value_as_number"), "3.5");
  EXPECT_EQ(m[0].at("operator_concept_id"), "");
  EXPECT_EQ(m[0].at("unit_concept_id"), "0");
  EXPECT_EQ(m[0].at("unit_source_value"), "score");

  const auto& entered = m[2];  // hba1c 53 mmol/mol, stored in %
  const std::string gamma = entered.at("person_id");
  EXPECT_NE(alpha, gamma);
  // Ids that are not integers are numbered from 2^31 on.
  EXPECT_GE(std::stoll(alpha), int64_t{1} << 31);
  EXPECT_GE(std::stoll(gamma), int64_t{1} << 31);
  EXPECT_EQ(entered.at("measurement_concept_id"), "3004410");
  EXPECT_EQ(entered.at("measurement_source_value"), "hba1c");
  EXPECT_EQ(entered.at("measurement_datetime"), "2021-02-01 08:30:15");
  EXPECT_EQ(entered.at("unit_concept_id"), "8554");
  EXPECT_EQ(entered.at("unit_source_value"), "%");
  EXPECT_EQ(entered.at("value_source_value"), "53 mmol/mol");
  EXPECT_NEAR(std::stod(entered.at("value_as_number")), 53 * 0.09148 + 2.152, 1e-9);
  // il4: within a measure, rows go in person_id order.
  const bool alpha_first = std::stoll(alpha) < std::stoll(gamma);
  const auto& below = alpha_first ? m[3] : m[4];
  const auto& above = alpha_first ? m[4] : m[3];
  EXPECT_EQ(below.at("measurement_source_value"), "il4");
  EXPECT_EQ(below.at("person_id"), alpha);
  EXPECT_EQ(below.at("operator_concept_id"), "4171756");  // <
  EXPECT_EQ(below.at("unit_concept_id"), "8845");         // pg/mL
  EXPECT_EQ(below.at("value_as_number"), "0.5");
  EXPECT_EQ(above.at("person_id"), gamma);
  EXPECT_EQ(above.at("operator_concept_id"), "4171755");  // >=
  EXPECT_EQ(above.at("value_source_value"), ">=14");

  const auto rows = Table(out + "/person.csv", &header);
  EXPECT_EQ(header, kPersonHeader);
  ASSERT_EQ(rows.size(), 3u);                 // every registered patient, with values or not
  for (size_t i = 1; i < rows.size(); ++i) {  // in person_id order
    EXPECT_LT(std::stoll(rows[i - 1].at("person_id")), std::stoll(rows[i].at("person_id")));
  }
  std::map<std::string, std::map<std::string, std::string>> p;  // person_source_value -> row
  for (const auto& row : rows) p[row.at("person_source_value")] = row;
  ASSERT_EQ(p.size(), 3u);
  const auto& a = p["MS-Alpha-001"];
  EXPECT_EQ(a.at("person_id"), alpha);
  EXPECT_EQ(a.at("gender_concept_id"), "8532");
  EXPECT_EQ(a.at("gender_source_value"), "F");
  EXPECT_EQ(a.at("year_of_birth"), "1980");
  EXPECT_EQ(a.at("month_of_birth"), "4");
  EXPECT_EQ(a.at("day_of_birth"), "9");
  EXPECT_EQ(p["T1D gamma/003"].at("person_id"), gamma);
  EXPECT_EQ(p["T1D gamma/003"].at("gender_concept_id"), "0");
  EXPECT_EQ(p["C-9"].at("year_of_birth"), "");

  const auto op = Table(out + "/observation_period.csv", &header);
  EXPECT_EQ(header, kPeriodHeader);
  ASSERT_EQ(op.size(), 2u);
  std::map<std::string, std::pair<std::string, std::string>> periods;
  for (const auto& row : op) {
    EXPECT_EQ(row.at("observation_period_id"), row.at("person_id"));
    periods[row.at("person_id")] = {row.at("observation_period_start_date"),
                                    row.at("observation_period_end_date")};
  }
  EXPECT_EQ(periods[alpha], std::make_pair(std::string("2021-01-15"), std::string("2022-01-14")));
  EXPECT_EQ(periods[gamma], std::make_pair(std::string("2021-02-01"), std::string("2021-08-01")));

  const auto src = Table(out + "/cdm_source.csv", &header);
  EXPECT_EQ(header, kCdmSourceHeader);
  ASSERT_EQ(src.size(), 1u);
  EXPECT_EQ(src[0].at("cdm_version"), "v5.4");
  EXPECT_EQ(src[0].at("cdm_version_concept_id"), "756265");
}

TEST_F(OmopExportTest, PersonIdsStayWhenPatientsAreAddedAndWhenOneIsSelected) {
  std::string header;
  ASSERT_OK(ExportOmop(*db_, ExportOptions(), dir_.File("before")).status());
  std::map<std::string, std::string> before;  // patient -> person_id
  for (const auto& row : Table(dir_.File("before") + "/person.csv", &header)) {
    before[row.at("person_source_value")] = row.at("person_id");
  }
  for (const char* id : {"AAA-first-by-name", "42"}) {
    Patient d;
    d.id = id;
    ASSERT_OK(db_->PutPatient(d));
    ASSERT_OK(db_->Record(Obs(d.id, "edss", "2020-01-01", 1)));
  }
  ASSERT_OK(ExportOmop(*db_, ExportOptions(), dir_.File("after")).status());
  std::map<std::string, std::string> after;
  for (const auto& row : Table(dir_.File("after") + "/person.csv", &header)) {
    after[row.at("person_source_value")] = row.at("person_id");
  }
  for (const auto& [patient, id] : before) EXPECT_EQ(after[patient], id) << patient;
  EXPECT_EQ(after["42"], "42");  // an integer id (an OMOP person_id) is its own number

  ExportOptions one;
  one.patient = "T1D gamma/003";
  ASSERT_OK(ExportOmop(*db_, one, dir_.File("one")).status());
  const auto p = Table(dir_.File("one") + "/person.csv", &header);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].at("person_id"), before["T1D gamma/003"]);
  for (const auto& row : Table(dir_.File("one") + "/measurement.csv", &header)) {
    EXPECT_EQ(row.at("person_id"), before["T1D gamma/003"]);
  }
}

TEST_F(OmopExportTest, DeidentifiedUsesThePseudonymsAndDateShifts) {
  ExportOptions options;
  options.deidentify_key = "0123456789abcdef-omop-test-key";
  const std::string out = dir_.File("deid");
  ASSERT_OK(ExportOmop(*db_, options, out).status());
  std::string header;
  const auto p = Table(out + "/person.csv", &header);
  ASSERT_EQ(p.size(), 3u);
  std::map<std::string, std::string> person_of;  // person_id -> patient
  for (const auto& row : p) {
    EXPECT_EQ(row.at("year_of_birth"), "");
    EXPECT_EQ(row.at("gender_source_value"), "");
    EXPECT_EQ(row.at("gender_concept_id"), "0");
    for (const char* id : {"MS-Alpha-001", "T1D gamma/003", "C-9"}) {
      if (row.at("person_source_value") == PatientPseudonym(*options.deidentify_key, id)) {
        person_of[row.at("person_id")] = id;
      }
    }
  }
  ASSERT_EQ(person_of.size(), 3u) << "every person_source_value is a pseudonym";
  const std::string text = ReadFile(out + "/measurement.csv");
  EXPECT_EQ(text.find("MS-Alpha"), std::string::npos);
  EXPECT_EQ(ReadFile(out + "/person.csv").find("Uppsala"), std::string::npos);
  for (const auto& row : Table(out + "/measurement.csv", &header)) {
    if (row.at("measurement_source_value") != "edss") continue;
    const std::string& patient = person_of.at(row.at("person_id"));
    EXPECT_EQ(patient, "MS-Alpha-001");
    const int shift = DateShiftDays(*options.deidentify_key, patient);
    const CivilTime t = At(row.at("measurement_date").c_str());
    EXPECT_TRUE(t.day() == At("2021-01-15").day() + shift ||
                t.day() == At("2022-01-14").day() + shift)
        << row.at("measurement_date");
  }
}

// What the export writes, import reads back: into a new database, then
// exported again, every table is the same file.
TEST_F(OmopExportTest, ExportImportExportIsIdentical) {
  MeasureDefinition walk6;  // a user measure: no concept, its code is the source value
  walk6.code = "walk6";
  walk6.name = "Six-minute walk distance";
  walk6.unit = "m";
  walk6.max = 1000;
  ASSERT_OK(db_->RegisterMeasure(walk6, Provenance{"api", 0, "alice", ""}));
  ASSERT_OK(db_->Record(Obs("T1D gamma/003", "walk6", "2021-03-10", 412.5)));
  const std::string first = dir_.File("first"), second = dir_.File("second");
  ASSERT_OK(ExportOmop(*db_, ExportOptions(), first).status());

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> target,
                       Database::Open(dir_.File("target"), Options()));
  ASSERT_OK(target->RegisterMeasure(walk6, Provenance{"api", 0, "alice", ""}));
  ASSERT_OK_AND_ASSIGN(ImportReport persons,
                       ImportFile(*target, first + "/person.csv", ImportOptions()));
  EXPECT_EQ(persons.format, ImportFormat::kOmopPerson);
  EXPECT_EQ(persons.summary.patients, 3);
  ASSERT_OK_AND_ASSIGN(ImportReport values,
                       ImportFile(*target, first + "/measurement.csv", ImportOptions()));
  EXPECT_EQ(values.format, ImportFormat::kOmopMeasurement);
  EXPECT_EQ(values.skipped, 0);
  EXPECT_EQ(values.summary.written, 6);
  ASSERT_OK(ExportOmop(*target, ExportOptions(), second).status());
  for (const char* table : {"measurement.csv", "person.csv", "observation_period.csv"}) {
    EXPECT_EQ(ReadFile(second + "/" + table), ReadFile(first + "/" + table)) << table;
  }
  // Value by value, not only as text.
  for (const char* patient : {"MS-Alpha-001", "T1D gamma/003"}) {
    for (const char* measure : {"edss", "il4", "hba1c", "walk6"}) {
      ASSERT_OK_AND_ASSIGN(std::vector<Observation> want, db_->Trajectory(patient, measure));
      ASSERT_OK_AND_ASSIGN(std::vector<Observation> got, target->Trajectory(patient, measure));
      ASSERT_EQ(got.size(), want.size()) << patient << " " << measure;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].time, want[i].time);
        EXPECT_EQ(got[i].value, want[i].value);
        EXPECT_EQ(got[i].comparator, want[i].comparator);
      }
    }
  }
}

TEST_F(OmopExportTest, TheStreamExportRefusesOmopAndAnEmptyDirectory) {
  ExportOptions options;
  options.format = ExportFormat::kOmop;
  std::ostringstream out;
  EXPECT_THAT(Export(*db_, options, out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--out DIR")));
  EXPECT_THAT(ExportOmop(*db_, options, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--out DIR")));
  options.patient = "nobody";
  EXPECT_THAT(ExportOmop(*db_, options, dir_.File("x")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nobody")));
}

}  // namespace
}  // namespace cotrack
