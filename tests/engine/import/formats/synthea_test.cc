// Synthea observations.csv and patients.csv, read as published.
#include <map>
#include <set>
#include <string>

#include "formats_test_util.h"
#include "import/code_mapping.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::ReadFile;
using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::HasSubstr;

// What the reader must report for a Synthea observations.csv, counted here
// from the file with a CSV splitter of its own and the built-in mapping.
struct Expected {
  int64_t rows = 0;
  std::vector<int64_t> short_rows;  // lines of rows cut short (errors)
  int64_t mapped = 0;
  std::map<std::string, int64_t> skipped;  // reason -> rows
  std::set<std::string> patients;          // with a mapped row
};

Expected Count(const std::string& path) {
  Expected e;
  const auto records = NaiveCsv(ReadFile(path));
  if (records.empty()) {  // a missing file must fail the test, not crash it
    ADD_FAILURE() << path << " is missing or empty";
    return e;
  }
  const size_t code = Column(records[0], "CODE");
  const size_t patient = Column(records[0], "PATIENT");
  for (size_t i = 1; i < records.size(); ++i) {
    ++e.rows;
    if (records[i].size() != records[0].size()) {
      // No quoted newlines in these files: record i is on line i + 1.
      e.short_rows.push_back(static_cast<int64_t>(i) + 1);
      continue;
    }
    if (CodeMapping::Builtin().Find("", records[i][code]) != nullptr) {
      ++e.mapped;
      e.patients.insert(records[i][patient]);
    } else {
      ++e.skipped["unmapped code " + records[i][code]];
    }
  }
  return e;
}

class SyntheaTest : public DbFixture {
 protected:
  void ImportsExactly(const std::string& relative, int64_t hba1c_rows, int64_t total_rows) {
    const std::string path = SharedData(relative);
    const Expected e = Count(path);
    EXPECT_EQ(e.rows, total_rows);  // README: the file's size
    EXPECT_EQ(e.mapped, hba1c_rows);
    ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(path, ImportOptions(), 500));
    EXPECT_EQ(r.format, ImportFormat::kSyntheaObservations);
    if (e.short_rows.empty()) {
      ASSERT_OK(r.errors);
    } else {
      // A truncated row is an error (the import fails unless --on-error
      // skip), never a silent skip; the good rows are still all read.
      ASSERT_EQ(e.short_rows.size(), 1u);
      EXPECT_THAT(r.errors,
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr(path + ":" + std::to_string(e.short_rows[0]) + ":")));
      ASSERT_EQ(r.rejects.size(), 1u);
      EXPECT_EQ(r.rejects[0].first, e.short_rows[0]);
    }
    EXPECT_EQ(r.counts.rows, e.rows);
    EXPECT_EQ(r.counts.skipped, e.rows - e.mapped - static_cast<int64_t>(e.short_rows.size()));
    EXPECT_EQ(r.counts.skipped_by_reason, e.skipped);
    EXPECT_EQ(static_cast<int64_t>(r.batch.observations().size()), e.mapped);
    for (const ObservationInput& o : r.batch.observations()) {
      EXPECT_EQ(o.measure, "hba1c");
      EXPECT_EQ(o.unit, "%");
    }
    ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(r.batch));
    EXPECT_EQ(s.written, e.mapped);
    int64_t stored = 0;
    for (const std::string& p : e.patients) {
      ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory(p, "hba1c"));
      stored += static_cast<int64_t>(t.size());
    }
    EXPECT_EQ(stored, e.mapped);
    // Importing the same file again changes nothing.
    ASSERT_OK_AND_ASSIGN(WriteSummary again, db_->Apply(r.batch));
    EXPECT_EQ(again.written, 0);
    EXPECT_EQ(again.unchanged, e.mapped);
  }
};

// This file's last row is cut off in the middle (the published file is
// truncated): 10,072 data rows of which the last has 6 of 9 fields.
TEST_F(SyntheaTest, HeartHealthObservations) {
  ImportsExactly("synthea_heart_health/observations.csv", 99, 10072);
}

TEST_F(SyntheaTest, DbtSeedObservations) {
  ImportsExactly("synthea_csv_dbt_ohdsi/observations.csv", 7, 990);
}

TEST_F(SyntheaTest, HeaderWithoutCategoryAndUserMapping) {
  // Older Synthea releases have no CATEGORY column.
  const std::string csv =
      "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n"
      "2020-01-02T10:00:00Z,p1,e1,4548-4,Hemoglobin A1c/Hemoglobin.total in Blood,6.1,%,numeric\n"
      "2020-01-02T10:00:00Z,p1,e1,8302-2,Body Height,170.2,cm,numeric\n"
      "2020-01-03,p1,e2,1986-9,C peptide,0.9,ng/mL,numeric\n"
      "2020-01-04,p1,e2,99999-9,\"Site, local\",5,,numeric\n";
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(csv));
  EXPECT_EQ(r.format, ImportFormat::kSyntheaObservations);
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, 4);
  EXPECT_EQ(r.counts.skipped, 2);
  EXPECT_EQ(r.counts.skipped_by_reason.at("unmapped code 8302-2"), 1);
  EXPECT_EQ(r.counts.skipped_by_reason.at("unmapped code 99999-9"), 1);
  ASSERT_EQ(r.batch.observations().size(), 2u);
  EXPECT_EQ(r.batch.observations()[1].measure, "cpeptide");
  // The UTC marker is dropped: the clock reading is kept as written.
  EXPECT_EQ(FormatCivilTime(r.batch.observations()[0].time), "2020-01-02T10:00:00");

  // A user mapping adds a code (and may override built-in ones).
  TempDir dir;
  WriteFile(dir.File("map.csv"),
            "# local lab code\nsystem,code,measure,unit\n,99999-9,il4,pg/mL\n");
  ImportOptions o;
  o.mapping_file = dir.File("map.csv");
  ASSERT_OK_AND_ASSIGN(ReadResult mapped, ReadText(csv, o));
  EXPECT_EQ(mapped.counts.skipped, 1);
  ASSERT_EQ(mapped.batch.observations().size(), 3u);
  EXPECT_EQ(mapped.batch.observations()[2].measure, "il4");
  EXPECT_EQ(mapped.batch.observations()[2].unit, "pg/mL");  // from the mapping
  EXPECT_OK(db_->Apply(mapped.batch));
}

TEST_F(SyntheaTest, BadMappedValueIsAnErrorNotASkip) {
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadText("DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n"
                                "2020-01-02,p1,e1,4548-4,HbA1c,high,%,text\n"));
  EXPECT_THAT(r.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("test.csv:2:31: field \"VALUE\": bad value \"high\"")));
  EXPECT_EQ(r.counts.skipped, 0);
  EXPECT_TRUE(r.batch.empty());
}

TEST(CodeMappingTest, BuiltinTableAndSystems) {
  const CodeMapping& m = CodeMapping::Builtin();
  for (const char* code : {"4548-4", "17856-6"}) {
    ASSERT_NE(m.Find("http://loinc.org", code), nullptr) << code;
    EXPECT_EQ(m.Find("http://loinc.org", code)->measure, "hba1c");
    EXPECT_EQ(m.Find("", code)->unit, "%");
  }
  EXPECT_EQ(m.Find("", "59261-8")->unit, "mmol/mol");
  EXPECT_EQ(m.Find("", "1986-9")->measure, "cpeptide");
  // The same code in another system is another concept.
  EXPECT_EQ(m.Find("http://snomed.info/sct", "4548-4"), nullptr);
  EXPECT_EQ(m.Find("", "8302-2"), nullptr);
  EXPECT_THAT(CodeMapping::Parse("system,code\n", "m.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("m.csv:1: header")));
}

class SyntheaPatientsTest : public DbFixture {
 protected:
  void RegistersAll(const std::string& relative) {
    const std::string path = SharedData(relative);
    const auto records = NaiveCsv(ReadFile(path));
    ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(path));
    EXPECT_EQ(r.format, ImportFormat::kSyntheaPatients);
    ASSERT_OK(r.errors);
    EXPECT_EQ(r.counts.rows, static_cast<int64_t>(records.size()) - 1);
    EXPECT_EQ(r.counts.skipped, 0);
    ASSERT_EQ(r.batch.patients().size(), records.size() - 1);
    ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(r.batch));
    EXPECT_EQ(s.patients, static_cast<int64_t>(records.size()) - 1);
    const size_t birth = Column(records[0], "BIRTHDATE"), first = Column(records[0], "FIRST");
    ASSERT_OK_AND_ASSIGN(Patient p, db_->GetPatient(records[1][0]));
    EXPECT_EQ(p.attributes["birthdate"], records[1][birth]);
    // Names, SSNs and addresses are not imported.
    for (const auto& [key, value] : p.attributes) EXPECT_NE(value, records[1][first]) << key;
  }
};

TEST_F(SyntheaPatientsTest, HeartHealthVariantWithIncome) {
  RegistersAll("synthea_heart_health/patients.csv");
}

TEST_F(SyntheaPatientsTest, DbtVariantWithoutIncome) {
  RegistersAll("synthea_csv_dbt_ohdsi/patients.csv");
}

}  // namespace
}  // namespace cotrack::formats_test
