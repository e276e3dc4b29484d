// The store turns RocksDB's per-thread perf counters off on every thread that
// calls it (storage/rocks_store.cc, NoPerfCounts): nothing reads them, and
// counting every key comparison through a shared library's thread-local
// storage was 8 % of the instructions of a visit. Whatever level the thread
// had, a write, a point read, a scan and a cohort pass count nothing.
#include <memory>
#include <thread>

#include "cotrack/database.h"
#include "gtest/gtest.h"
#include "rocksdb/perf_context.h"
#include "rocksdb/perf_level.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::TempDir;

TEST(RocksPerfCountersTest, ReadsAndWritesCountNothingOnTheCallingThread) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("db")));
  // Each thread has its own level and counters: this one counts until the
  // store is called.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  ObservationInput in;
  in.measure = "edss";
  for (int p = 0; p < 20; ++p) {
    in.patient = "P" + std::to_string(p);
    for (int64_t day : {19000, 19100}) {  // two writes of each series
      in.time = CivilTime::FromDay(day);
      in.value = day == 19000 ? 2.0 : 2.5;
      ASSERT_OK(db->Record(in).status());
    }
  }
  ASSERT_OK_AND_ASSIGN(auto trajectory, db->Trajectory("P3", "edss"));
  EXPECT_EQ(trajectory.size(), 2u);
  int patients = 0;
  ASSERT_OK(db->ForEachSeries("edss", [&](const Patient&, const std::vector<Observation>&) {
    ++patients;
    return absl::OkStatus();
  }));
  EXPECT_EQ(patients, 20);
  const rocksdb::PerfContext& counted = *rocksdb::get_perf_context();
  EXPECT_EQ(counted.user_key_comparison_count, 0u);
  EXPECT_EQ(counted.get_from_memtable_count, 0u);
  EXPECT_EQ(counted.internal_key_skipped_count, 0u);
  EXPECT_EQ(rocksdb::GetPerfLevel(), rocksdb::PerfLevel::kDisable);
}

}  // namespace
}  // namespace cotrack
