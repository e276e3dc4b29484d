// Issue 5 item 1: `cotrack check` finds damage to table files and to stored
// values, names what is damaged, and exits non-zero.
#include <filesystem>

#include "absl/strings/match.h"
#include "codec/key_codec.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "db/series_ends.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "support/edss.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

namespace fs = std::filesystem;
using ::cotrack::testing::Edss;
using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::TempDir;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;

constexpr int kPatients = 40;
constexpr int kVisits = 10;

std::string PatientId(int i) { return "P" + std::to_string(i); }

// kPatients EDSS series of kVisits values, one corrected value, compacted
// into table files.
void Populate(const std::string& path) {
  auto db = Database::Open(path);
  ASSERT_OK(db);
  Batch batch;
  for (int p = 0; p < kPatients; ++p) {
    for (int v = 0; v < kVisits; ++v) {
      batch.Record(Edss(PatientId(p), 18000 + 180 * v, 1.0 + 0.5 * ((p + v) % 10)));
    }
  }
  ASSERT_OK((*db)->Apply(batch));
  ASSERT_OK((*db)->Record(Edss("P3", 18000, 6.5)));
  ASSERT_OK((*db)->Compact());
}

// Problems mentioning `text` in family, key, patient or message.
bool Mentions(const CheckReport& r, const std::string& family, const std::string& text) {
  for (const CheckProblem& p : r.problems) {
    if (p.family == family && (absl::StrContains(p.key, text) || p.patient == text ||
                               absl::StrContains(p.message, text))) {
      return true;
    }
  }
  return false;
}

std::string Describe(const CheckReport& r) {
  std::string out;
  for (const CheckProblem& p : r.problems) {
    out += p.family + " | " + p.key + " | " + p.patient + " | " + p.message + "\n";
  }
  return out;
}

TEST(CheckTest, AnIntactDatabaseIsCleanAndCounted) {
  TempDir dir;
  Populate(dir.path());
  ASSERT_OK_AND_ASSIGN(CheckReport r, CheckDatabase(dir.path()));
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_GT(r.table_files, 0u);
  EXPECT_EQ(r.patients, static_cast<size_t>(kPatients));
  EXPECT_EQ(r.series, static_cast<size_t>(kPatients));
  EXPECT_EQ(r.observations, static_cast<size_t>(kPatients * kVisits));
  EXPECT_EQ(r.versions, static_cast<size_t>(kPatients * kVisits + 1));  // one correction
  EXPECT_EQ(r.audit_entries, 2u);

  testing::CommandResult cli = RunCotrack({"--db", dir.path(), "check"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("401"));  // versions
  EXPECT_THAT(cli.err, HasSubstr("intact"));
}

TEST(CheckTest, RunsWhileAWriterHasTheDatabaseOpen) {
  TempDir dir;
  Populate(dir.path());
  ASSERT_OK_AND_ASSIGN(auto writer, Database::Open(dir.path()));
  ObservationInput in;
  in.patient = "P1";
  in.measure = "edss";
  in.time = CivilTime::FromDay(20000);
  in.value = 2.0;
  ASSERT_OK(writer->Record(in));  // in the write-ahead log only
  ASSERT_OK_AND_ASSIGN(CheckReport r, CheckDatabase(dir.path()));
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.versions, static_cast<size_t>(kPatients * kVisits + 2));
  // And from another process, while this one holds the write lock.
  testing::CommandResult cli = RunCotrack({"--db", dir.path(), "check"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
}

// Writes at dates later than a series' recorded end (meta) skip reading the
// series. A database whose series have no end listed (written before ends
// existed) must still compare each write with what is stored, and a series
// whose end is earlier than a stored version is a problem for the check.
void SetEnds(const std::string& path, uint32_t patient_num, const std::string& value) {
  auto store = Store::Open(path, StoreOptions());
  ASSERT_OK(store);
  auto batch = (*store)->NewBatch();
  batch->Put(Family::kMeta, keys::SeriesEndsKey(patient_num), value);
  ASSERT_OK((*store)->Write(*batch, true));
}

TEST(CheckTest, SeriesWithoutARecordedEndAreStillComparedAndGetOne) {
  TempDir dir;
  Populate(dir.path());
  SetEnds(dir.path(), 8, "");  // P7 (number 8): nothing listed, as before ends existed
  const int64_t last_day = 18000 + 180 * (kVisits - 1);
  const double last_value = 1.0 + 0.5 * ((7 + kVisits - 1) % 10);
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path()));
    // The stored value again: unchanged, which only a read of the series knows.
    ASSERT_OK_AND_ASSIGN(WriteSummary same, db->Record(Edss("P7", last_day, last_value)));
    EXPECT_EQ(same.unchanged, 1);
    EXPECT_EQ(same.written, 0);
    ASSERT_OK_AND_ASSIGN(WriteSummary fix, db->Record(Edss("P7", last_day, 9.5)));
    EXPECT_EQ(fix.corrected, 1);
    // Now listed: a later date is written without a read, an earlier one
    // still compared.
    ASSERT_OK_AND_ASSIGN(WriteSummary later, db->Record(Edss("P7", last_day + 30, 2.0)));
    EXPECT_EQ(later.written, 1);
    ASSERT_OK_AND_ASSIGN(WriteSummary again, db->Record(Edss("P7", last_day + 30, 2.0)));
    EXPECT_EQ(again.unchanged, 1);
    ASSERT_OK_AND_ASSIGN(auto t, db->Trajectory("P7", "edss"));
    ASSERT_EQ(t.size(), static_cast<size_t>(kVisits + 1));
    EXPECT_EQ(t[kVisits - 1].version, 2u);
    EXPECT_EQ(t[kVisits - 1].value, 9.5);
  }
  ASSERT_OK_AND_ASSIGN(CheckReport r, CheckDatabase(dir.path()));
  EXPECT_TRUE(r.ok()) << Describe(r);
}

TEST(CheckTest, ASeriesEndEarlierThanAStoredVersionIsReported) {
  TempDir dir;
  Populate(dir.path());
  // P7's edss (measure id 1) said to end on the first visit: later writes
  // would not compare with the nine stored after it.
  std::string ends;
  keys::AppendU32(&ends, 1);
  keys::AppendI64(&ends, CivilTime::FromDay(18000).seconds);
  SetEnds(dir.path(), 8, ends);
  ASSERT_OK_AND_ASSIGN(CheckReport r, CheckDatabase(dir.path()));
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.problems, Contains(AllOf(Field(&CheckProblem::family, "series"),
                                         Field(&CheckProblem::patient, "P7"),
                                         Field(&CheckProblem::message, HasSubstr("end")))))
      << Describe(r);
  // And a malformed record is named.
  SetEnds(dir.path(), 8, "abc");
  ASSERT_OK_AND_ASSIGN(r, CheckDatabase(dir.path()));
  EXPECT_THAT(r.problems, Contains(AllOf(Field(&CheckProblem::family, "meta"),
                                         Field(&CheckProblem::message, HasSubstr("patient #8")))))
      << Describe(r);
}

TEST(CheckTest, ACompleteSeriesEndsRecordThatMissesASeriesIsReported) {
  TempDir dir;
  Populate(dir.path());
  // P7's record says it lists every series but lists none: a write of its
  // edss at any date would skip reading the ten stored values and add a
  // second version 1.
  SeriesEnds ends;
  ends.MarkComplete();
  SetEnds(dir.path(), 8, ends.Encode());
  ASSERT_OK_AND_ASSIGN(CheckReport r, CheckDatabase(dir.path()));
  EXPECT_THAT(r.problems, Contains(AllOf(Field(&CheckProblem::family, "series"),
                                         Field(&CheckProblem::patient, "P7"),
                                         Field(&CheckProblem::key, HasSubstr("edss")),
                                         Field(&CheckProblem::message, HasSubstr("every series")))))
      << Describe(r);
  EXPECT_EQ(r.problems.size(), 1u) << Describe(r);
  // Listing the series makes the record true again.
  ends.Set(1, CivilTime::FromDay(18000 + 180 * (kVisits - 1)).seconds);  // edss
  SetEnds(dir.path(), 8, ends.Encode());
  ASSERT_OK_AND_ASSIGN(r, CheckDatabase(dir.path()));
  EXPECT_TRUE(r.ok()) << Describe(r);
}

TEST(CheckTest, AFlippedByteInAStoredValueIsReportedWithItsPatient) {
  TempDir dir;
  Populate(dir.path());
  {
    auto store = Store::Open(dir.path(), StoreOptions());
    ASSERT_OK(store);
    // P7's series: measure edss (id 1), patient number 8 (P0 is 1).
    const std::string key = keys::SeriesKey(1, 8);
    std::string value;
    ASSERT_OK_AND_ASSIGN(bool found, (*store)->Get(nullptr, Family::kSeries, key, &value));
    ASSERT_TRUE(found);
    value[value.size() / 2] ^= 0x01;
    auto batch = (*store)->NewBatch();
    batch->Put(Family::kSeries, key, value);
    ASSERT_OK((*store)->Write(*batch, true));
  }
  ASSERT_OK_AND_ASSIGN(CheckReport r, CheckDatabase(dir.path()));
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.problems, Contains(AllOf(Field(&CheckProblem::family, "series"),
                                         Field(&CheckProblem::patient, "P7"),
                                         Field(&CheckProblem::key, HasSubstr("edss")))))
      << Describe(r);
  EXPECT_EQ(r.problems.size(), 1u) << Describe(r);  // the neighbours are fine

  testing::CommandResult cli = RunCotrack({"--db", dir.path(), "check"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.out, AllOf(HasSubstr("series"), HasSubstr("P7")));
  EXPECT_THAT(cli.err, HasSubstr("DAMAGED"));
}

TEST(CheckTest, AFlippedByteInATableFileIsReportedWithTheFile) {
  TempDir pristine;
  Populate(pristine.path());
  std::vector<fs::path> tables;
  for (const auto& e : fs::directory_iterator(pristine.path())) {
    if (e.path().extension() == ".sst") tables.push_back(e.path());
  }
  ASSERT_FALSE(tables.empty());
  const fs::path series = *std::max_element(tables.begin(), tables.end(), [](auto& a, auto& b) {
    return fs::file_size(a) < fs::file_size(b);
  });
  // Several places in the file: data, index and filter blocks all carry checksums.
  for (int i = 1; i < 8; ++i) {
    TempDir copy;
    fs::copy(pristine.path(), copy.path(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    const fs::path target = fs::path(copy.path()) / series.filename();
    const auto offset = static_cast<std::streamoff>(fs::file_size(target) * i / 8);
    ASSERT_NO_FATAL_FAILURE(testing::FlipByte(target.string(), offset));
    ASSERT_OK_AND_ASSIGN(CheckReport r, CheckDatabase(copy.path()));
    EXPECT_TRUE(Mentions(r, "table file", series.filename().string()))
        << "damage at byte " << offset << " not reported:\n"
        << Describe(r);
    if (i == 4) {
      testing::CommandResult cli = RunCotrack({"--db", copy.path(), "check"});
      EXPECT_EQ(cli.exit_code, 1) << cli.out << cli.err;
      EXPECT_THAT(cli.out, HasSubstr(series.filename().string()));
    }
  }
}

TEST(CheckTest, BrokenReferencesAreReported) {
  TempDir dir;
  Populate(dir.path());
  {
    auto store = Store::Open(dir.path(), StoreOptions());
    ASSERT_OK(store);
    std::string log;
    ASSERT_OK_AND_ASSIGN(bool found,
                         (*store)->Get(nullptr, Family::kSeries, keys::SeriesKey(1, 1), &log));
    ASSERT_TRUE(found);
    auto batch = (*store)->NewBatch();
    // A series of a patient number nobody has, and one of an unknown measure.
    batch->Put(Family::kSeries, keys::SeriesKey(1, 999), log);
    batch->Put(Family::kSeries, keys::SeriesKey(200, 2), log);
    // An audit entry after a gap.
    std::string audit;
    ASSERT_OK_AND_ASSIGN(bool has_audit,
                         (*store)->Get(nullptr, Family::kAudit, keys::AuditKey(1), &audit));
    ASSERT_TRUE(has_audit);
    batch->Put(Family::kAudit, keys::AuditKey(7), audit);
    // A patient id pointing at a missing record.
    std::string num;
    keys::AppendU32(&num, 41);
    batch->Put(Family::kPatientIds, "GHOST", num);
    ASSERT_OK((*store)->Write(*batch, true));
  }
  ASSERT_OK_AND_ASSIGN(CheckReport r, CheckDatabase(dir.path()));
  EXPECT_TRUE(Mentions(r, "series", "patient record 999")) << Describe(r);
  EXPECT_TRUE(Mentions(r, "series", "measure id 200")) << Describe(r);
  EXPECT_TRUE(Mentions(r, "audit", "entries 3..6 are missing")) << Describe(r);
  EXPECT_TRUE(Mentions(r, "patient_ids", "GHOST")) << Describe(r);
}

TEST(CheckTest, NoDatabaseIsAnErrorNotAReport) {
  TempDir dir;
  EXPECT_THAT(CheckDatabase(dir.File("nothing")),
              testing::StatusIs(absl::StatusCode::kNotFound, HasSubstr("no cotrack database")));
  testing::CommandResult cli = RunCotrack({"--db", dir.File("nothing"), "check"});
  EXPECT_EQ(cli.exit_code, 1);
}

}  // namespace
}  // namespace cotrack
