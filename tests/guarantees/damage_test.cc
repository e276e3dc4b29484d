// DESIGN.md §3.4: every stored record is verified when read; damage is
// reported as data loss, never returned as data.
#include <filesystem>

#include "codec/key_codec.h"
#include "cotrack/database.h"
#include "cotrack/summary.h"
#include "cotrack/timepoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

namespace fs = std::filesystem;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;

constexpr int kPatients = 40;

std::string PatientId(int i) { return "P" + std::to_string(i); }

// A database of kPatients EDSS series, compacted into table files.
void Populate(const std::string& path) {
  auto db = Database::Open(path);
  ASSERT_OK(db);
  Batch batch;
  for (int p = 0; p < kPatients; ++p) {
    for (int v = 0; v < 10; ++v) {
      ObservationInput in;
      in.patient = PatientId(p);
      in.measure = "edss";
      in.time = CivilTime::FromDay(18000 + 180 * v);
      in.value = 1.0 + 0.5 * ((p + v) % 10);
      batch.Record(in);
    }
  }
  ASSERT_OK((*db)->Apply(batch));
  ASSERT_OK((*db)->Compact());
}

// Reads every trajectory; returns the first error, else the values in "out".
absl::Status ReadAll(const std::string& path, std::vector<std::vector<double>>* out) {
  auto db = Database::Open(path);
  if (!db.ok()) return db.status();
  out->clear();
  for (int p = 0; p < kPatients; ++p) {
    auto t = (*db)->Trajectory(PatientId(p), "edss");
    if (!t.ok()) return t.status();
    std::vector<double> values;
    for (const auto& o : *t) values.push_back(o.value);
    out->push_back(values);
  }
  return absl::OkStatus();
}

// Flips one bit in the middle of the value stored under `key` in `family`,
// written back as is: what a bad sector under a valid frame would look like
// to a reader that trusted the bytes.
void FlipAByteOfStoredValue(const std::string& path, Family family, const std::string& key) {
  auto store = Store::Open(path, StoreOptions());
  ASSERT_OK(store);
  std::string value;
  ASSERT_OK_AND_ASSIGN(bool found, (*store)->Get(nullptr, family, key, &value));
  ASSERT_TRUE(found);
  value[value.size() / 2] ^= 0x01;
  auto batch = (*store)->NewBatch();
  batch->Put(family, key, value);
  ASSERT_OK((*store)->Write(*batch, true));
}

// The cohort summary and a scan in three parts both stop with DataLoss
// saying `message`, in whichever part the damage falls.
void ExpectCohortScansAreDataLoss(Database& db, const std::string& message) {
  SummaryOptions summary;
  summary.timepoints = *ParseTimepointList("0,6m");
  EXPECT_THAT(SummarizeCohort(db, "edss", summary).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(message)));
  Reader::SeriesScanOptions parts;
  parts.parts = 3;
  parts.min_patients_per_part = 1;
  EXPECT_THAT(db.ScanSeries("edss", parts,
                            [](int, const SeriesPatient&, const std::vector<SeriesValue>&) {
                              return absl::OkStatus();
                            }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(message)));
}

TEST(DamageTest, AFlippedByteInAStoredValueIsDataLoss) {
  TempDir dir;
  Populate(dir.path());
  // P7's series: measure edss (id 1) and P7's patient number (8: P0 is 1).
  ASSERT_NO_FATAL_FAILURE(
      FlipAByteOfStoredValue(dir.path(), Family::kSeries, keys::SeriesKey(1, 8)));
  auto db = Database::Open(dir.path());
  ASSERT_OK(db);
  EXPECT_THAT((*db)->Trajectory("P7", "edss"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"P7\"")));
  // Neighbours are intact and still readable.
  ASSERT_OK_AND_ASSIGN(auto t6, (*db)->Trajectory("P6", "edss"));
  EXPECT_EQ(t6.size(), 10u);
  // The cohort scans verify it too, in whichever part it falls.
  ExpectCohortScansAreDataLoss(**db, "series edss of patient \"P7\"");
}

// The lean scan checks each patient record's checksum before it decodes
// it, and names the record when one is damaged (the name is built only
// then: the scan reads tens of thousands of patients).
TEST(DamageTest, AFlippedByteInAPatientRecordIsDataLossInTheLeanScan) {
  TempDir dir;
  Populate(dir.path());
  ASSERT_NO_FATAL_FAILURE(
      FlipAByteOfStoredValue(dir.path(), Family::kPatients, keys::PatientKey(8)));  // P7
  auto db = Database::Open(dir.path());
  ASSERT_OK(db);
  ExpectCohortScansAreDataLoss(**db, "patient record 8: checksum");
}

TEST(DamageTest, DamagedTableFilesNeverReturnWrongData) {
  TempDir pristine;
  Populate(pristine.path());
  std::vector<std::vector<double>> want;
  ASSERT_OK(ReadAll(pristine.path(), &want));

  std::vector<fs::path> tables;
  for (const auto& e : fs::directory_iterator(pristine.path())) {
    if (e.path().extension() == ".sst") tables.push_back(e.path());
  }
  ASSERT_FALSE(tables.empty());
  // The series table is the largest one.
  fs::path series = *std::max_element(tables.begin(), tables.end(), [](auto& a, auto& b) {
    return fs::file_size(a) < fs::file_size(b);
  });
  const auto size = fs::file_size(series);

  int data_loss = 0;
  for (int i = 1; i < 16; ++i) {
    TempDir copy;
    fs::copy(pristine.path(), copy.path(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    const fs::path target = fs::path(copy.path()) / series.filename();
    const auto offset = static_cast<std::streamoff>(size * i / 16);
    ASSERT_NO_FATAL_FAILURE(testing::FlipByte(target.string(), offset));
    std::vector<std::vector<double>> got;
    absl::Status s = ReadAll(copy.path(), &got);
    if (s.ok()) {
      // The flip hit bytes no read needed (a filter, say): answers must be exact.
      EXPECT_EQ(got, want) << "wrong data returned after damage at byte " << offset;
    } else {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")))
          << "at byte " << offset;
      ++data_loss;
    }
  }
  EXPECT_GT(data_loss, 0) << "no damage was detected at all";
}

TEST(LockTest, HandlesOfOneProcessShareTheDatabase) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto first, Database::Open(dir.path()));
  ASSERT_OK_AND_ASSIGN(auto second, Database::Open(dir.path()));
  ObservationInput in;
  in.patient = "P1";
  in.measure = "edss";
  in.time = CivilTime::FromDay(19000);
  in.value = 2.0;
  ASSERT_OK(second->Record(in));
  ASSERT_OK_AND_ASSIGN(auto seen, first->Trajectory("P1", "edss"));
  EXPECT_EQ(seen.size(), 1u);
  Options ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto reader, Database::Open(dir.path(), ro));
  // Closing the handle that opened the database first leaves the others
  // working.
  first.reset();
  in.time = CivilTime::FromDay(19100);
  ASSERT_OK(second->Record(in));
  ASSERT_OK_AND_ASSIGN(seen, reader->Trajectory("P1", "edss"));
  EXPECT_EQ(seen.size(), 2u);
}

TEST(FormatTest, ANewerFormatIsRefusedClearly) {
  TempDir dir;
  { ASSERT_OK(Database::Open(dir.path())); }
  {
    auto store = Store::Open(dir.path(), StoreOptions());
    ASSERT_OK(store);
    std::string v;
    keys::AppendU32(&v, kFormatVersion + 1);
    auto batch = (*store)->NewBatch();
    batch->Put(Family::kMeta, keys::kFormatVersionKey, v);
    ASSERT_OK((*store)->Write(*batch, true));
  }
  EXPECT_THAT(Database::Open(dir.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("format 2"), HasSubstr("newer"))));
}

}  // namespace
}  // namespace cotrack
