// ImportFile against a real database: one atomic batch per file.
#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "cotrack/database.h"
#include "cotrack/import.h"
#include "cotrack/measure_options.h"
#include "import/csv_reader.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kGoodObservations[] =
    "patient,measure,date,value,unit,visit,items\n"
    "P1,edss,2020-01-15,3.5,,M0,\n"
    "P1,edss,2020-07-15,3.0,,M6,\n"
    "P1,hba1c,2020-01-15,48,mmol/mol,M0,\n"
    "P1,il4,2020-01-15,<0.5,pg/mL,M0,\n"
    "P2,ais,2020-02-01,,,M0,1;1;1;1;1;1;1;0\n";

class ImportFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.File("db"));
    ASSERT_OK(db);
    db_ = *std::move(db);
  }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = dir_.File(name);
    WriteFile(path, contents);
    return path;
  }

  // Every patient and every current value, as text.
  std::vector<std::string> Everything() {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<Patient>> patients = db_->ListPatients();
    EXPECT_OK(patients);
    absl::StatusOr<std::vector<MeasureDefinition>> measures = db_->ListMeasures();
    EXPECT_OK(measures);
    if (!patients.ok() || !measures.ok()) return out;
    for (const Patient& p : *patients) {
      out.push_back(p.id + " arm=" + p.arm + " v" + std::to_string(p.version));
      for (const MeasureDefinition& m : *measures) {
        absl::StatusOr<std::vector<Observation>> t = db_->Trajectory(p.id, m.code);
        EXPECT_OK(t);
        if (!t.ok()) continue;
        for (const Observation& o : *t) {
          out.push_back(p.id + "/" + m.code + "/" + FormatCivilTime(o.time) + "=" +
                        std::to_string(o.value) + " v" + std::to_string(o.version));
        }
      }
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(ImportFileTest, GoodFileImportsWithProvenance) {
  const std::string path = Write("good.csv", kGoodObservations);
  ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_, path, ImportOptions()));
  EXPECT_EQ(r.path, path);
  EXPECT_EQ(r.format, ImportFormat::kObservationsCsv);
  EXPECT_EQ(r.rows, 5);
  EXPECT_EQ(r.summary.written, 5);
  EXPECT_EQ(r.summary.unchanged, 0);

  ASSERT_OK_AND_ASSIGN(std::vector<Observation> edss, db_->Trajectory("P1", "edss"));
  ASSERT_EQ(edss.size(), 2u);
  EXPECT_EQ(edss[0].value, 3.5);
  EXPECT_EQ(edss[0].visit, "M0");
  EXPECT_EQ(edss[0].provenance.source, path);
  EXPECT_EQ(edss[0].provenance.line, 2);
  EXPECT_EQ(edss[1].provenance.line, 3);

  ASSERT_OK_AND_ASSIGN(std::vector<Observation> il4, db_->Trajectory("P1", "il4"));
  ASSERT_EQ(il4.size(), 1u);
  EXPECT_EQ(il4[0].comparator, Comparator::kLess);
  EXPECT_EQ(il4[0].value, 0.5);
  EXPECT_EQ(il4[0].original_value, "<0.5");

  ASSERT_OK_AND_ASSIGN(std::vector<Observation> ais, db_->Trajectory("P2", "ais"));
  ASSERT_EQ(ais.size(), 1u);
  EXPECT_EQ(ais[0].value, 7);  // computed from the items
  EXPECT_EQ(ais[0].provenance.line, 6);
}

TEST_F(ImportFileTest, ReimportChangesNothing) {
  const std::string path = Write("good.csv", kGoodObservations);
  ASSERT_OK(ImportFile(*db_, path, ImportOptions()));
  const std::vector<std::string> before = Everything();
  ASSERT_OK_AND_ASSIGN(ImportReport again, ImportFile(*db_, path, ImportOptions()));
  EXPECT_EQ(again.rows, 5);
  EXPECT_EQ(again.summary.written, 0);
  EXPECT_EQ(again.summary.corrected, 0);
  EXPECT_EQ(again.summary.unchanged, 5);
  EXPECT_EQ(Everything(), before);
}

TEST_F(ImportFileTest, ChangedValueBecomesANewVersion) {
  ASSERT_OK(ImportFile(*db_, Write("a.csv", kGoodObservations), ImportOptions()));
  ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_,
                                                  Write("b.csv",
                                                        "patient,measure,date,value\n"
                                                        "P1,edss,2020-07-15,4.0\n"),
                                                  ImportOptions()));
  EXPECT_EQ(r.summary.corrected, 1);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> h,
                       db_->History("P1", "edss", *ParseCivilTime("2020-07-15")));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].value, 3.0);
  EXPECT_EQ(h[1].value, 4.0);
}

TEST_F(ImportFileTest, OneSyntaxErrorAnywhereLeavesTheDatabaseUnchanged) {
  ASSERT_OK(ImportFile(*db_, Write("base.csv", kGoodObservations), ImportOptions()));
  const std::vector<std::string> before = Everything();
  const std::string path = Write("bad.csv",
                                 "patient,measure,date,value\n"
                                 "P3,edss,2021-01-01,2.0\n"
                                 "P3,edss,2021-06-01,2.5\n"
                                 "P1,edss,2020-07-15,6.0\n"
                                 "P3,edss,2021-13-01,3.0\n");
  EXPECT_THAT(ImportFile(*db_, path, ImportOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith(path + ":5:9: field \"date\": bad value \"2021-13-01\"")));
  EXPECT_EQ(Everything(), before);
}

TEST_F(ImportFileTest, OneInvalidValueAnywhereLeavesTheDatabaseUnchanged) {
  ASSERT_OK(ImportFile(*db_, Write("base.csv", kGoodObservations), ImportOptions()));
  const std::vector<std::string> before = Everything();
  // Syntactically fine; EDSS 0.5 does not exist (the catalog says so).
  const std::string path = Write("bad.csv",
                                 "patient,measure,date,value\n"
                                 "P3,edss,2021-01-01,2.0\n"
                                 "P1,edss,2020-07-15,6.0\n"
                                 "P3,edss,2021-06-01,0.5\n"
                                 "P3,hba1c,2021-06-01,7.1\n");
  EXPECT_THAT(ImportFile(*db_, path, ImportOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path + ":4")));
  EXPECT_EQ(Everything(), before);
}

TEST_F(ImportFileTest, DryRunWritesNothing) {
  ImportOptions options;
  options.write.dry_run = true;
  ASSERT_OK_AND_ASSIGN(ImportReport r,
                       ImportFile(*db_, Write("good.csv", kGoodObservations), options));
  EXPECT_EQ(r.rows, 5);
  EXPECT_EQ(r.summary.written, 5);
  EXPECT_THAT(Everything(), IsEmpty());
}

TEST_F(ImportFileTest, HeaderOnlyImportsZeroRows) {
  ASSERT_OK_AND_ASSIGN(
      ImportReport r,
      ImportFile(*db_, Write("empty.csv", "patient,measure,date,value\n"), ImportOptions()));
  EXPECT_EQ(r.rows, 0);
  EXPECT_EQ(r.summary.written, 0);
}

TEST_F(ImportFileTest, PatientsFileRegistersPatients) {
  const std::string path = Write("patients.csv",
                                 "patient,arm,index_date,treatment_dates,sex\n"
                                 "P1,AHSCT,2019-12-01,2020-06-01,F\n"
                                 "P2,control,,,\n");
  ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_, path, ImportOptions()));
  EXPECT_EQ(r.format, ImportFormat::kPatientsCsv);
  EXPECT_EQ(r.rows, 2);
  EXPECT_EQ(r.summary.patients, 2);
  ASSERT_OK_AND_ASSIGN(Patient p1, db_->GetPatient("P1"));
  EXPECT_EQ(p1.arm, "AHSCT");
  ASSERT_TRUE(p1.index_date.has_value());
  EXPECT_EQ(FormatCivilTime(*p1.index_date), "2019-12-01");
  EXPECT_THAT(p1.treatment_dates, ElementsAre(*ParseCivilTime("2020-06-01")));
  EXPECT_EQ(p1.attributes["sex"], "F");
  EXPECT_EQ(p1.provenance.source, path);
  EXPECT_EQ(p1.provenance.line, 2);

  ASSERT_OK_AND_ASSIGN(ImportReport again, ImportFile(*db_, path, ImportOptions()));
  EXPECT_EQ(again.summary.patients, 0);
}

TEST_F(ImportFileTest, UnrecognisedSharedFileLeavesTheDatabaseEmpty) {
  // REDCap's event metadata is not an export of data.
  const std::string path = testing::SharedData("redcap_redcapr/longitudinal_event.csv");
  EXPECT_THAT(ImportFile(*db_, path, ImportOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unrecognised header")));
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> patients, db_->ListPatients());
  EXPECT_THAT(patients, IsEmpty());
}

TEST_F(ImportFileTest, AMeasuresLoincCodesMapSyntheaRowsToIt) {
  // Synthea's body weights (LOINC 29463-7) are unmapped until a measure of
  // the database carries that code (`measure add --loinc`).
  const std::string path = testing::SharedData("synthea_csv_dbt_ohdsi/observations.csv");
  const std::string text = testing::ReadFile(path);
  int64_t weights = 0;
  for (size_t p = text.find(",29463-7,"); p != std::string::npos;
       p = text.find(",29463-7,", p + 1)) {
    ++weights;
  }
  ASSERT_EQ(weights, 27);
  ImportOptions dry;
  dry.write.dry_run = true;
  ASSERT_OK_AND_ASSIGN(ImportReport before, ImportFile(*db_, path, dry));
  EXPECT_EQ(before.skipped_by_reason["unmapped code 29463-7"], weights);
  ASSERT_OK_AND_ASSIGN(MeasureAddOptions add,
                       ParseMeasureAddOptions({{"code", "weight"},
                                               {"name", "Body weight"},
                                               {"unit", "kg"},
                                               {"min", "0"},
                                               {"max", "500"},
                                               {"convert", "[lb_av]=0.45359237*x"},
                                               {"loinc", "29463-7"}}));
  ASSERT_OK(db_->RegisterMeasure(add.measure, Provenance{}));
  ASSERT_OK_AND_ASSIGN(ImportReport after, ImportFile(*db_, path, ImportOptions()));
  EXPECT_EQ(after.skipped_by_reason.count("unmapped code 29463-7"), 0u);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t,
                       db_->Trajectory("3edac2e3-d223-6fae-d515-daf96ef6bc76", "weight"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].unit, "kg");
  int64_t stored = 0;
  ASSERT_OK(db_->ForEachSeries("weight", [&](const Patient&, const std::vector<Observation>& s) {
    stored += static_cast<int64_t>(s.size());
    return absl::OkStatus();
  }));
  EXPECT_EQ(stored, weights);
}

TEST_F(ImportFileTest, MsprogVisitsAsAWideCsvNameTheColumnsThatAreNotMeasures) {
  // id,date,visit_day,EDSS,SDMT: a wide visit CSV whose visit_day and SDMT
  // are not measures of ours; rejected whole, naming them, nothing written.
  // The unknown column is named once, at its header cell, with both fixes,
  // not once per row of the file (57 rows).
  const std::string path = testing::SharedData("msprog_toydata/MSprog_toydata_visits.csv");
  absl::StatusOr<ImportReport> refused = ImportFile(*db_, path, ImportOptions());
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("MSprog_toydata_visits.csv:1:13: header: column "
                                       "\"visit_day\": no measure \"visit_day\" in this "
                                       "database; register it with `cotrack measure add` or skip "
                                       "it with `--ignore-columns` (--ignore-columns visit_day)"),
                             HasSubstr("nothing was written"))));
  const std::string message(refused.status().message());
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> patients, db_->ListPatients());
  EXPECT_THAT(patients, IsEmpty());
  // Leaving those columns out imports the EDSS series as published.
  ImportOptions options;
  options.ignore_columns = {"visit_day", "sdmt"};
  ASSERT_OK_AND_ASSIGN(ImportReport report, ImportFile(*db_, path, options));
  EXPECT_EQ(report.rows, 57);
  EXPECT_EQ(report.summary.written, 57);
}

// --index-date first-visit on msprog's visits as published: each patient's
// index date is the first date the file lists for it (counted here).
TEST_F(ImportFileTest, IndexDateFirstVisitFromTheFileAndTheDatabase) {
  const std::string path = testing::SharedData("msprog_toydata/MSprog_toydata_visits.csv");
  std::map<std::string, std::string> first;  // id -> first date
  {
    std::istringstream in(testing::ReadFile(path));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      const std::string id = line.substr(1, line.find('"', 1) - 1);
      const std::string date = line.substr(line.find(',') + 1, 10);
      if (!first.count(id) || date < first[id]) first[id] = date;
    }
  }
  ASSERT_EQ(first.size(), 7u);
  // Patient 1 already has an index date; patient 2 has an earlier stored
  // value of another measure (its first visit); relapses are no visits.
  Patient one;
  one.id = "1";
  one.index_date = *ParseCivilTime("2021-01-01");
  ASSERT_OK(db_->PutPatient(one));
  ASSERT_OK(ImportFile(*db_,
                       Write("earlier.csv",
                             "patient,measure,date,value\n2,hba1c,2019-05-05,6.1\n"
                             "3,relapse,2019-01-01,20\n"),
                       ImportOptions()));

  ImportOptions options;
  options.ignore_columns = {"visit_day", "sdmt"};
  options.index_date_first_visit = true;
  options.write.dry_run = true;
  ASSERT_OK_AND_ASSIGN(ImportReport dry, ImportFile(*db_, path, options));
  EXPECT_EQ(dry.index_dates_set, 6);
  ASSERT_OK_AND_ASSIGN(Patient two, db_->GetPatient("2"));
  EXPECT_FALSE(two.index_date.has_value());  // a dry run sets none

  options.write.dry_run = false;
  options.reason = "registry start";
  ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_, path, options));
  EXPECT_EQ(r.index_dates_set, 6);
  for (const auto& [id, date] : first) {
    ASSERT_OK_AND_ASSIGN(Patient p, db_->GetPatient(id));
    ASSERT_TRUE(p.index_date.has_value()) << id;
    const std::string expected = id == "1" ? "2021-01-01" : id == "2" ? "2019-05-05" : date;
    EXPECT_EQ(FormatCivilTime(*p.index_date), expected) << id;
  }
  ASSERT_OK_AND_ASSIGN(Patient three, db_->GetPatient("3"));
  EXPECT_EQ(three.provenance.reason, "registry start");
  EXPECT_EQ(three.provenance.source, path);

  // Once set, an index date stays: importing again sets none.
  ASSERT_OK_AND_ASSIGN(ImportReport again, ImportFile(*db_, path, options));
  EXPECT_EQ(again.index_dates_set, 0);
  EXPECT_EQ(again.summary.patients, 0);
}

TEST_F(ImportFileTest, IndexDateFirstVisitIsPartOfTheImportsAtomicWrite) {
  ImportOptions options;
  options.index_date_first_visit = true;
  // P9 is stored without an index date; the file's bad last row rejects it
  // whole, and with it every index date it would have set.
  ASSERT_OK(ImportFile(*db_, Write("p9.csv", "patient,measure,date,value\nP9,edss,2020-01-01,2\n"),
                       ImportOptions()));
  const std::string path = Write("bad.csv",
                                 "patient,measure,date,value\n"
                                 "P9,edss,2019-06-01,2.0\n"
                                 "P8,edss,2021-01-01,2.0\n"
                                 "P8,edss,2020-06-01,0.5\n");
  EXPECT_THAT(ImportFile(*db_, path, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path + ":4")));
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> patients, db_->ListPatients());
  ASSERT_EQ(patients.size(), 1u);
  EXPECT_FALSE(patients[0].index_date.has_value());

  // With --on-error skip the good rows go in, and the index dates with them;
  // the rejected value is no visit.
  options.on_error = ImportOptions::OnError::kSkip;
  options.reject_file = dir_.File("rejects.csv");
  ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_, path, options));
  EXPECT_EQ(r.rejected, 1);
  EXPECT_EQ(r.index_dates_set, 2);
  ASSERT_OK_AND_ASSIGN(Patient p9, db_->GetPatient("P9"));
  EXPECT_EQ(FormatCivilTime(*p9.index_date), "2019-06-01");
  ASSERT_OK_AND_ASSIGN(Patient p8, db_->GetPatient("P8"));
  EXPECT_EQ(FormatCivilTime(*p8.index_date), "2021-01-01");
}

TEST_F(ImportFileTest, ARejectedChangeReadsBackAsTheRowItWas) {
  // A reject file is there to be corrected and imported again: a change the
  // database refused (EDSS 12 is out of range) whose patient id holds a
  // comma must come back as one field, not split in two.
  const std::string path = Write("commas.csv",
                                 "patient,measure,date,value\n"
                                 "\"Smith, J\",edss,2020-01-01,12\n"
                                 "\"Doe, A\",edss,2020-01-01,2\n");
  ImportOptions options;
  options.on_error = ImportOptions::OnError::kSkip;
  options.reject_file = dir_.File("rejects.csv");
  ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_, path, options));
  EXPECT_EQ(r.rejected, 1);
  std::ifstream in(options.reject_file);
  CsvReader rejects(in, options.reject_file);
  CsvRecord record;
  ASSERT_OK(rejects.ReadHeader(record));
  ASSERT_OK_AND_ASSIGN(bool got, rejects.Next(record));
  ASSERT_TRUE(got);
  ASSERT_EQ(record.size(), 3u);
  const std::string row(record[2]);
  std::istringstream row_in(row);
  CsvReader fields(row_in, "row");
  CsvRecord change;
  ASSERT_OK_AND_ASSIGN(got, fields.Next(change));
  ASSERT_TRUE(got);
  ASSERT_EQ(change.size(), 5u) << row;
  EXPECT_EQ(change[0], "Smith, J");
  EXPECT_EQ(change[1], "edss");
  EXPECT_EQ(change[2], "2020-01-01");
  EXPECT_EQ(change[3], "12");
}

TEST_F(ImportFileTest, IndexDateOptionIsParsedForEveryCaller) {
  ASSERT_OK_AND_ASSIGN(ImportOptions o, ParseImportOptions({{"index-date", "first-visit"},
                                                            {"replace-registration", ""}}));
  EXPECT_TRUE(o.index_date_first_visit);
  EXPECT_TRUE(o.replace_registration);
  EXPECT_THAT(ParseImportOptions({{"index-date", "2020-01-01"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--index-date: bad value \"2020-01-01\" (expected "
                                       "first-visit"),
                             HasSubstr("patients file with the columns patient,index_date"))));
}

}  // namespace
}  // namespace cotrack
