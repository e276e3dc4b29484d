// The caches a serving engine warms after opening (DatabaseImpl::StartWarming):
// a write trusts a cached series end to skip reading a series, so a warmed
// cache must hold exactly what is stored, whether the writes come after the
// warming or during it. Counted against what the same writes report without
// warming, and checked with CheckDatabase.
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "cotrack/maintenance.h"
#include "db/database_impl.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using testing::TempDir;

constexpr int kPatients = 3000;

std::string Id(int p) { return absl::StrFormat("W%05d", p); }

ObservationInput Obs(int p, const char* measure, int64_t day, double value) {
  ObservationInput in;
  in.patient = Id(p);
  in.measure = measure;
  in.time = CivilTime::FromDay(day);
  in.value = value;
  return in;
}

// Each patient's EDSS and HbA1c days, different from its neighbours'.
int64_t EdssDay(int p) { return 100 + p % 37; }
int64_t Hba1cDay(int p) { return 200 + p % 41; }

// kPatients patients with one EDSS and one HbA1c, written in one (ingested)
// write, so that each has a series-ends record.
void Populate(const std::string& path) {
  auto db = DatabaseImpl::Open(path, Options());
  ASSERT_OK(db);
  Batch batch;
  for (int p = 0; p < kPatients; ++p) {
    batch.Record(Obs(p, "edss", EdssDay(p), 2.0));
    batch.Record(Obs(p, "hba1c", Hba1cDay(p), 6.0));
  }
  ASSERT_OK((*db)->Apply(batch, WriteOptions(), WriteContext()));
}

WriteOptions NoSync() {
  WriteOptions options;
  options.sync = false;  // a process crash still loses nothing; the test is faster
  return options;
}

WriteSummary Write(DatabaseImpl& db, ObservationInput obs) {
  Batch batch;
  batch.Record(std::move(obs));
  absl::StatusOr<WriteSummary> s = db.Apply(batch, NoSync(), WriteContext());
  EXPECT_OK(s);
  return s.ok() ? *s : WriteSummary();
}

// Per patient, writes whose summaries depend on the stored series being
// read whenever they must be: a later EDSS (new), the same again
// (unchanged), a corrected earlier EDSS, and a first AIS (new).
void WriteAndCount(DatabaseImpl& db, int from, int to) {
  for (int p = from; p < to; ++p) {
    SCOPED_TRACE(Id(p));
    EXPECT_EQ(Write(db, Obs(p, "edss", 300, 3.0)).written, 1);
    EXPECT_EQ(Write(db, Obs(p, "edss", 300, 3.0)).unchanged, 1);
    EXPECT_EQ(Write(db, Obs(p, "edss", EdssDay(p), 2.5)).corrected, 1);
    EXPECT_EQ(Write(db, Obs(p, "hba1c", Hba1cDay(p), 6.0)).unchanged, 1);
    EXPECT_EQ(Write(db, Obs(p, "ais", 150, 7.0)).written, 1);
  }
}

void ExpectChecks(const std::string& path) {
  absl::StatusOr<CheckReport> report = CheckDatabase(path);
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << report->problems.front().message;
}

TEST(WarmingTest, WritesAfterTheWarmingReadWhatTheyMust) {
  TempDir dir;
  Populate(dir.path());
  {
    auto db = DatabaseImpl::Open(dir.path(), Options());
    ASSERT_OK(db);
    (*db)->StartWarming();
    (*db)->WaitForWarming();
    WriteAndCount(**db, 0, kPatients);
  }
  ExpectChecks(dir.path());
}

TEST(WarmingTest, WritesDuringTheWarmingReadWhatTheyMust) {
  // Visits from two threads and an ingested write of every patient race the
  // warming thread; the ingested write makes the handle forget its patients'
  // records, which the warming must not bring back as they were before it.
  TempDir dir;
  Populate(dir.path());
  {
    Options options;
    options.bulk_ingest_threshold = kPatients / 2;  // the write of every patient is ingested
    auto db = DatabaseImpl::Open(dir.path(), options);
    ASSERT_OK(db);
    (*db)->StartWarming();
    std::thread second([&] { WriteAndCount(**db, kPatients / 2, kPatients); });
    Batch batch;
    for (int p = 0; p < kPatients; ++p) batch.Record(Obs(p, "fis", 250, 40.0));
    absl::StatusOr<WriteSummary> all = (*db)->Apply(batch, NoSync(), WriteContext());
    ASSERT_OK(all);
    EXPECT_EQ(all->written, kPatients);
    WriteAndCount(**db, 0, kPatients / 2);
    second.join();
    for (int p = 0; p < kPatients; p += 7) {
      SCOPED_TRACE(Id(p));
      EXPECT_EQ(Write(**db, Obs(p, "fis", 250, 40.0)).unchanged, 1);
      EXPECT_EQ(Write(**db, Obs(p, "fis", 260, 41.0)).written, 1);
    }
  }
  ExpectChecks(dir.path());
}

TEST(WarmingTest, AHandleWarmsOnceItsWritesHaveReadManyPatientsEnds) {
  TempDir dir;
  Populate(dir.path());
  auto db = DatabaseImpl::Open(dir.path(), Options());
  ASSERT_OK(db);
  const int reads = static_cast<int>(DatabaseImpl::kWarmAfterEndsReads);
  for (int p = 0; p < reads - 1; ++p) {
    EXPECT_EQ(Write(**db, Obs(p, "edss", 300, 3.0)).written, 1);
    EXPECT_EQ(Write(**db, Obs(p, "edss", 301, 3.0)).written, 1);  // its ends are cached now
  }
  // A new patient's write reads no ends (it has none), nor does an import's
  // scan of many.
  EXPECT_EQ(Write(**db, Obs(kPatients + 1, "edss", 300, 3.0)).written, 1);
  Batch batch;
  for (int p = reads; p < kPatients; ++p) batch.Record(Obs(p, "ais", 300, 5.0));
  ASSERT_OK((*db)->Apply(batch, NoSync(), WriteContext()));
  EXPECT_FALSE((*db)->warming_started());
  EXPECT_EQ(Write(**db, Obs(reads - 1, "edss", 300, 3.0)).written, 1);
  EXPECT_TRUE((*db)->warming_started());
}

TEST(WarmingTest, ClosingStopsTheWarming) {
  // Destroying the engine right after starting joins the thread, whatever
  // it was doing (a hang or a use after free here fails the test).
  TempDir dir;
  Populate(dir.path());
  for (int i = 0; i < 5; ++i) {
    auto db = DatabaseImpl::Open(dir.path(), Options());
    ASSERT_OK(db);
    (*db)->StartWarming();
  }
  ExpectChecks(dir.path());
}

}  // namespace
}  // namespace cotrack
