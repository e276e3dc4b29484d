// Export -> import -> export: what cotrack writes for other systems, it reads
// back into a new database without loss (issue 15, item 3), and its FHIR is
// R4 as written: dates as dates, UCUM only for UCUM units, one LOINC code
// that fits the unit.
#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cotrack/database.h"
#include "cotrack/export.h"
#include "cotrack/import.h"
#include "export/ucum.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Ucum, TellsUcumUnitsFromWords) {
  for (const char* unit :
       {"%",     "mmol/mol",         "pg/mL",   "ng/L",   "nmol/L", "pmol/mL", "10*9/L", "mm[Hg]",
        "kg/m2", "mL/min/{1.73_m2}", "{score}", "[iU]/L", "mg/dl",  "s-1",     "m",      "min",
        "/min",  "umol/L",           "U/L",     "g.m-2"}) {
    EXPECT_TRUE(IsUcumUnit(unit)) << unit;
  }
  for (const char* unit : {"", "score", "episodes", "IU/L", "cells", "mmHg", "beats/min", "mg / dL",
                           "{score", "m)", "%%x", "points"}) {
    EXPECT_FALSE(IsUcumUnit(unit)) << unit;
  }
}

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

MeasureDefinition Walk6() {
  MeasureDefinition m;
  m.code = "walk6";
  m.name = "Six-minute walk distance";
  m.unit = "m";
  m.min = 0;
  m.max = 1000;
  m.direction = Direction::kHigherIsBetter;
  return m;
}

// Every kind of content export carries: patients with arms, index and
// treatment dates, attributes and an id FHIR does not allow; visit labels,
// date-times, censored values, a unit converted on entry, a non-UCUM unit, a
// user measure, a corrected and a retracted value.
void Populate(Database& db) {
  ASSERT_OK(db.RegisterMeasure(Walk6(), Provenance{"api", 0, "alice", ""}));
  Patient a;
  a.id = "MS-Alpha-001";
  a.arm = "aHSCT";
  a.index_date = At("2020-12-01");
  a.treatment_dates = {At("2021-05-05"), At("2021-06-05")};
  a.attributes = {{"site", "Uppsala clinic"}, {"sex", "F"}};
  ASSERT_OK(db.PutPatient(a));
  Patient b;
  b.id = "T1D gamma/003";  // spaces and a slash: not a FHIR id
  b.arm = "control";
  ASSERT_OK(db.PutPatient(b));

  Batch batch;
  ObservationInput edss = Obs(a.id, "edss", "2021-01-15", 3.5);
  edss.visit = "BL";
  batch.Record(edss);
  batch.Record(Obs(a.id, "edss", "2021-07-15", 3.0));
  batch.Record(Obs(a.id, "edss", "2022-01-14", 2.5));
  ObservationInput il4 = Obs(a.id, "il4", "2021-02-01T08:30:00", 0.5);
  il4.comparator = Comparator::kLess;
  batch.Record(il4);
  ObservationInput hba1c = Obs(b.id, "hba1c", "2021-02-01T08:30:15", 53);
  hba1c.unit = "mmol/mol";
  hba1c.visit = "M0";
  batch.Record(hba1c);
  batch.Record(Obs(b.id, "hba1c", "2021-08-01", 6.9));
  batch.Record(Obs(b.id, "hypo", "2021-08-01", 3));
  batch.Record(Obs(b.id, "walk6", "2021-03-10", 412.5));
  ASSERT_OK(db.Apply(batch));
  ASSERT_OK(db.Record(Obs(a.id, "edss", "2021-07-15", 4.0)));  // a correction
  ASSERT_OK(db.Retract(a.id, "edss", At("2022-01-14"), Provenance{"cli", 0, "bob", "wrong"}));
}

std::string Export(Database& db, ExportFormat format) {
  ExportOptions options;
  options.format = format;
  options.fhir_patients = format == ExportFormat::kFhir;
  std::ostringstream out;
  EXPECT_OK(cotrack::Export(db, options, out));
  return out.str();
}

// The export without what belongs to the database that wrote it, not to the
// data: FHIR meta (versionId, lastUpdated) and "amended" (the target holds
// the value as its first version); CSV/NDJSON version and recorded_at.
std::string WithoutBookkeeping(const std::string& text, ExportFormat format) {
  static const std::regex kMeta(R"("meta":\{[^{}]*\},)");
  static const std::regex kVersion(R"(,"version":[0-9]+,"recorded_at":("[^"]*"|null))");
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::string l(line);
    if (format == ExportFormat::kCsv) {
      std::vector<std::string> f = absl::StrSplit(l, ',');
      if (f.size() >= 10) f.resize(f.size() - 2);  // version, recorded_at
      if (f.back() == "amended") f.back() = "final";
      l = absl::StrJoin(f, ",");
    } else {
      l = std::regex_replace(l, kMeta, "");
      l = std::regex_replace(l, kVersion, "");
      l = absl::StrReplaceAll(l, {{R"("status":"amended")", R"("status":"final")"}});
    }
    absl::StrAppend(&out, l, "\n");
  }
  return out;
}

class RoundTripTest : public ::testing::TestWithParam<ExportFormat> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(source_, Database::Open(dir_.File("source"), Options()));
    ASSERT_NO_FATAL_FAILURE(Populate(*source_));
    ASSERT_OK_AND_ASSIGN(target_, Database::Open(dir_.File("target"), Options()));
    // A user measure is a definition of the source database; the target
    // registers it first (import says so when it does not).
    ASSERT_OK(target_->RegisterMeasure(Walk6(), Provenance{"api", 0, "alice", ""}));
  }
  TempDir dir_;
  std::unique_ptr<Database> source_, target_;
};

TEST_P(RoundTripTest, ExportImportExportIsIdentical) {
  const ExportFormat format = GetParam();
  const std::string first = Export(*source_, format);
  const std::string file = dir_.File("export");
  testing::WriteFile(file, first);
  ASSERT_OK_AND_ASSIGN(ImportReport report, ImportFile(*target_, file, ImportOptions()));
  EXPECT_EQ(report.skipped, 0) << first;
  EXPECT_EQ(report.summary.written, 7);
  const std::string second = Export(*target_, format);
  EXPECT_EQ(WithoutBookkeeping(second, format), WithoutBookkeeping(first, format));

  // Value by value, not only as text.
  for (const char* patient : {"MS-Alpha-001", "T1D gamma/003"}) {
    for (const char* measure : {"edss", "il4", "hba1c", "hypo", "walk6"}) {
      ASSERT_OK_AND_ASSIGN(std::vector<Observation> want, source_->Trajectory(patient, measure));
      ASSERT_OK_AND_ASSIGN(std::vector<Observation> got, target_->Trajectory(patient, measure));
      ASSERT_EQ(got.size(), want.size()) << patient << " " << measure;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].time, want[i].time);
        EXPECT_EQ(got[i].value, want[i].value);
        EXPECT_EQ(got[i].comparator, want[i].comparator);
        EXPECT_EQ(got[i].unit, want[i].unit);
        EXPECT_EQ(got[i].visit, want[i].visit) << patient << " " << measure;
      }
    }
  }
  if (format == ExportFormat::kFhir) {
    for (const char* id : {"MS-Alpha-001", "T1D gamma/003"}) {
      ASSERT_OK_AND_ASSIGN(Patient want, source_->GetPatient(id));
      ASSERT_OK_AND_ASSIGN(Patient got, target_->GetPatient(id));
      EXPECT_EQ(got.arm, want.arm);
      EXPECT_EQ(got.index_date, want.index_date);
      EXPECT_EQ(got.treatment_dates, want.treatment_dates);
      EXPECT_EQ(got.attributes, want.attributes);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTripTest,
                         ::testing::Values(ExportFormat::kFhir, ExportFormat::kCsv,
                                           ExportFormat::kNdjson),
                         [](const auto& info) {
                           switch (info.param) {
                             case ExportFormat::kFhir:
                               return "Fhir";
                             case ExportFormat::kCsv:
                               return "Csv";
                             case ExportFormat::kNdjson:
                               return "Ndjson";
                             case ExportFormat::kOmop:  // omop_test.cc
                               return "Omop";
                           }
                           return "Unknown";
                         });

// The instant of the latest write: what a since-export taken now covers.
int64_t LatestWriteUs(Database& db) {
  absl::StatusOr<std::vector<AuditRecord>> log = db.AuditLog();
  EXPECT_OK(log);
  return log.ok() && !log->empty() ? log->back().at_us : 0;
}

std::string ExportSince(Database& db, ExportFormat format, int64_t since_us,
                        ExportSummary* summary = nullptr) {
  ExportOptions options;
  options.format = format;
  options.fhir_patients = format == ExportFormat::kFhir;
  options.since_us = since_us;
  std::ostringstream out;
  absl::StatusOr<ExportSummary> s = cotrack::Export(db, options, out);
  EXPECT_OK(s);
  if (s.ok() && summary != nullptr) *summary = *s;
  return out.str();
}

// Issue 15, item 3: a copy fed a full export at t1 and then the changes
// since t1 (new values, corrections, retractions, patients) equals a full
// export at the later time, in every format.
TEST_P(RoundTripTest, IncrementalExportBringsACopyUpToDate) {
  const ExportFormat format = GetParam();
  const int64_t t1 = LatestWriteUs(*source_);
  const std::string full = dir_.File("full");
  testing::WriteFile(full, Export(*source_, format));
  ASSERT_OK(ImportFile(*target_, full, ImportOptions()));

  // After t1: a new value of a new patient, a correction (value and visit),
  // a retraction of a value the copy holds, a value written and retracted
  // (the copy never saw it), the value retracted before t1 entered again,
  // and a changed registration.
  Batch batch;
  ObservationInput fresh = Obs("C-3", "edss", "2023-03-03", 6.0);
  fresh.visit = "M12";
  batch.Record(fresh);
  ObservationInput fixed = Obs("MS-Alpha-001", "edss", "2021-01-15", 4.5);
  fixed.visit = "BL2";
  batch.Record(fixed);
  batch.Record(Obs("T1D gamma/003", "hypo", "2021-09-09", 1));
  batch.Record(Obs("MS-Alpha-001", "edss", "2022-01-14", 2.0));
  Patient b;
  b.id = "T1D gamma/003";
  b.arm = "insulin";
  batch.PutPatient(b);
  ASSERT_OK(source_->Apply(batch));
  ASSERT_OK(source_->Retract("T1D gamma/003", "hba1c", At("2021-08-01"),
                             Provenance{"cli", 0, "bob", "wrong patient"}));
  ASSERT_OK(source_->Retract("T1D gamma/003", "hypo", At("2021-09-09"),
                             Provenance{"cli", 0, "bob", "typo"}));

  ExportSummary summary;
  const std::string changes = ExportSince(*source_, format, t1, &summary);
  EXPECT_EQ(summary.observations, 4) << changes;  // fresh, fixed, re-entered, one retraction
  EXPECT_EQ(summary.retracted, 1) << changes;
  EXPECT_EQ(summary.up_to_us, LatestWriteUs(*source_));
  EXPECT_THAT(changes, Not(HasSubstr("2021-09-09")));  // never seen by the copy
  EXPECT_THAT(changes, Not(HasSubstr("2021-07-15")));  // unchanged since t1
  EXPECT_THAT(changes, HasSubstr("entered-in-error"));
  const std::string file = dir_.File("changes");
  testing::WriteFile(file, changes);
  ASSERT_OK_AND_ASSIGN(ImportReport report, ImportFile(*target_, file, ImportOptions()));
  EXPECT_EQ(report.summary.retracted, 1);

  EXPECT_EQ(WithoutBookkeeping(Export(*target_, format), format),
            WithoutBookkeeping(Export(*source_, format), format));
  if (format == ExportFormat::kFhir) {
    ASSERT_OK_AND_ASSIGN(Patient got, target_->GetPatient("T1D gamma/003"));
    EXPECT_EQ(got.arm, "insulin");
    // A retraction names the resource it withdraws: the id of the exported one.
    for (absl::string_view line : absl::StrSplit(changes, '\n')) {
      if (!absl::StrContains(line, "entered-in-error")) continue;
      const size_t at = line.find(R"("id":"obs-)");
      ASSERT_NE(at, absl::string_view::npos) << line;
      EXPECT_THAT(testing::ReadFile(full), HasSubstr(std::string(line.substr(at, 42))));
    }
  }

  // Nothing changed since: an empty export that covers the same instant.
  ExportSummary again;
  ExportSince(*source_, format, summary.up_to_us, &again);
  EXPECT_EQ(again.observations, 0);
  EXPECT_EQ(again.up_to_us, summary.up_to_us);
}

// --until alone is the export as it was at that instant; --measure and
// --patient narrow a since-export as they narrow a full one.
TEST_F(RoundTripTest, UntilGivesThePastExportAndFiltersApply) {
  const int64_t t1 = LatestWriteUs(*source_);
  const std::string then = Export(*source_, ExportFormat::kCsv);
  ASSERT_OK(source_->Record(Obs("MS-Alpha-001", "edss", "2021-01-15", 4.5)));
  ASSERT_OK(source_->Retract("T1D gamma/003", "hba1c", At("2021-08-01"),
                             Provenance{"cli", 0, "bob", "wrong patient"}));
  ASSERT_OK(source_->Record(Obs("T1D gamma/003", "hba1c", "2022-02-02", 7.1)));

  ExportOptions options;
  options.until_us = t1;
  std::ostringstream past;
  ASSERT_OK_AND_ASSIGN(ExportSummary summary, cotrack::Export(*source_, options, past));
  // The same rows; a since/until export is in storage order.
  auto sorted = [](const std::string& text) {
    std::vector<std::string> lines = absl::StrSplit(text, '\n');
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  EXPECT_EQ(sorted(past.str()), sorted(then));
  EXPECT_EQ(summary.up_to_us, t1);

  options = ExportOptions();
  options.since_us = t1;
  options.measures = {"hba1c"};
  options.patient = "T1D gamma/003";
  std::ostringstream changes;
  ASSERT_OK_AND_ASSIGN(summary, cotrack::Export(*source_, options, changes));
  EXPECT_EQ(summary.observations, 2) << changes.str();
  EXPECT_EQ(summary.retracted, 1);
  EXPECT_THAT(changes.str(),
              HasSubstr("T1D gamma/003,hba1c,2021-08-01,6.9,%,,,entered-in-error,2,"));
  EXPECT_THAT(changes.str(), HasSubstr("T1D gamma/003,hba1c,2022-02-02,7.1,%,,,final,1,"));
  EXPECT_THAT(changes.str(), Not(HasSubstr("edss")));
}

TEST(ExportOptionsTest, SinceAndUntilAreInstantsWithAZone) {
  EXPECT_EQ(*ParseExportInstant("since", "2026-12-03T15:00:01.123456Z"), 1796310001123456);
  EXPECT_EQ(*ParseExportInstant("since", "2026-12-03T16:00:01.123456+01:00"), 1796310001123456);
  EXPECT_EQ(*ParseExportInstant("since", "2026-12-03"), 1796256000000000);
  absl::StatusOr<int64_t> bare = ParseExportInstant("since", "2026-12-03T15:00:01");
  ASSERT_FALSE(bare.ok());
  EXPECT_THAT(bare.status().message(), HasSubstr("--since: bad value \"2026-12-03T15:00:01\""));
  absl::StatusOr<ExportCommandOptions> omop =
      ParseExportOptions({{"format", "omop"}, {"since", "2026-12-03"}});
  ASSERT_FALSE(omop.ok());
  EXPECT_THAT(omop.status().message(), HasSubstr("omop"));
  absl::StatusOr<ExportCommandOptions> backwards =
      ParseExportOptions({{"since", "2026-12-03"}, {"until", "2026-12-02"}});
  EXPECT_FALSE(backwards.ok());
}

class FhirExportTest : public RoundTripTest {};

TEST_F(FhirExportTest, WritesR4AsSpecified) {
  const std::string text = Export(*source_, ExportFormat::kFhir);
  // A time of day goes beside the date, since cotrack knows no offset.
  EXPECT_THAT(text, HasSubstr(R"("effectiveDateTime":"2021-02-01")"));
  EXPECT_THAT(text, Not(HasSubstr("T08:30")));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"({"url":"https://cotrack.example/fhir/StructureDefinition/time-of-day","valueTime":"08:30:15"})"));
  // HbA1c in % is 4548-4 only: the mmol/mol code 59261-8 is not a synonym.
  EXPECT_THAT(text, HasSubstr(R"("coding":[{"system":"http://loinc.org","code":"4548-4"},)"));
  EXPECT_THAT(text, Not(HasSubstr("59261-8")));
  EXPECT_THAT(text, Not(HasSubstr("17856-6")));
  // UCUM where the unit is UCUM, free text where it is not.
  EXPECT_THAT(text, HasSubstr(R"("unit":"%","system":"http://unitsofmeasure.org","code":"%")"));
  EXPECT_THAT(text, HasSubstr(R"("valueQuantity":{"value":3,"unit":"episodes"})"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"("valueQuantity":{"value":0.5,"comparator":"<","unit":"pg/mL","system":"http://unitsofmeasure.org","code":"pg/mL"})"));
  EXPECT_THAT(text, Not(HasSubstr("{episodes}")));
  // The clinic's id rides along where FHIR's id cannot hold it.
  EXPECT_THAT(
      text,
      HasSubstr(
          R"("identifier":{"system":"https://cotrack.example/fhir/NamingSystem/patient-id","value":"T1D gamma/003"})"));
  EXPECT_THAT(text,
              HasSubstr(R"("url":"https://cotrack.example/fhir/StructureDefinition/attribute")"));
  EXPECT_THAT(text, Not(HasSubstr(R"("issued")")));
}

TEST_F(FhirExportTest, ImportNamesAUserMeasureTheTargetLacks) {
  const std::string file = dir_.File("export.ndjson");
  testing::WriteFile(file, Export(*source_, ExportFormat::kFhir));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> fresh,
                       Database::Open(dir_.File("fresh"), Options()));
  absl::StatusOr<ImportReport> report = ImportFile(*fresh, file, ImportOptions());
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("walk6"));
  EXPECT_THAT(report.status().message(), HasSubstr("measure add"));
}

}  // namespace
}  // namespace cotrack
