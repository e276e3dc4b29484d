// DESIGN.md §3.6: one writer thread records visits while reader threads read
// visits, latest values and trajectories; no reader ever sees half a visit or
// half a correction, and another process can read the database while the
// writer works. (A second writer process being told "locked" is covered in
// crash_test.cc.) Also run under ThreadSanitizer in CI (.ci/run).
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cotrack/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::TempDir;

// Each visit writes one value v to all of these (each accepts 0..24).
const char* const kMeasures[] = {"ais", "fis", "hypo", "mfis"};  // Visit() order
constexpr size_t kMeasureCount = 4;
constexpr int kPatients = 3;
// Visits cycle over kDates dates per patient, so later visits are
// corrections of earlier ones: a reader must never see a mix of the old and
// the new version either.
constexpr int kDates = 7;
constexpr int kWrites = 240;
constexpr int kReaders = 3;
constexpr int64_t kFirstDay = 19000;  // 2022-01-08

std::string PatientOf(int k) { return absl::StrCat("P", k % kPatients); }
CivilTime DateOf(int k) { return CivilTime::FromDay(kFirstDay + (k / kPatients) % kDates); }
double ValueOf(int k) { return k % 25; }

std::vector<ObservationInput> VisitOf(int k) {
  std::vector<ObservationInput> visit;
  for (const char* m : kMeasures) {
    ObservationInput obs;
    obs.patient = PatientOf(k);
    obs.measure = m;
    obs.time = DateOf(k);
    obs.value = ValueOf(k);
    visit.push_back(obs);
  }
  return visit;
}

// Collects what readers found wrong; gtest assertions stay on the main thread.
class Problems {
 public:
  void Add(std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (list_.size() < 10) list_.push_back(std::move(what));
    ++count_;
  }
  std::vector<std::string> list() {
    std::lock_guard<std::mutex> lock(mu_);
    return list_;
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> list_;
  int count_ = 0;
};

// A visit read back must hold all measures with one value, or nothing.
void CheckWholeVisit(const std::vector<Observation>& visit, const std::string& where,
                     Problems& problems) {
  if (visit.empty()) return;
  std::string seen;
  for (const Observation& o : visit) absl::StrAppend(&seen, " ", o.measure, "=", o.value);
  if (visit.size() != kMeasureCount) {
    problems.Add(absl::StrCat(where, ": half a visit:", seen));
    return;
  }
  for (size_t m = 0; m < kMeasureCount; ++m) {
    if (visit[m].measure != kMeasures[m] || visit[m].value != visit[0].value ||
        visit[m].time != visit[0].time) {
      problems.Add(absl::StrCat(where, ": mixed visit:", seen));
      return;
    }
  }
}

TEST(ConcurrencyTest, ReadersNeverSeeHalfAVisitOrHalfACorrection) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, Database::Open(dir.File("db")));

  std::atomic<bool> done{false};
  std::atomic<int> writes{0};
  Problems problems;
  std::atomic<int64_t> whole_visits_seen{0};

  std::thread writer([&] {
    WriteOptions options;
    options.sync = false;  // visibility is under test here, not durability
    for (int k = 0; k < kWrites; ++k) {
      auto summary = db->RecordVisit(VisitOf(k), options);
      if (!summary.ok()) {
        problems.Add(absl::StrCat("write ", k, ": ", summary.status().ToString()));
        break;
      }
      writes.store(k + 1);
    }
    done.store(true);
  });

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      size_t last_trajectory_size[kPatients] = {};
      for (int i = 0; !done.load() || i < 10; ++i) {
        const int k = (i * 7 + r) % (kPatients * kDates);
        const std::string patient = PatientOf(k);
        auto visit = db->Visit(patient, DateOf(k));
        // Before the writer reaches a patient, the patient is unknown.
        if (absl::IsNotFound(visit.status())) continue;
        if (!visit.ok()) {
          problems.Add(absl::StrCat("Visit: ", visit.status().ToString()));
          continue;
        }
        CheckWholeVisit(*visit, absl::StrCat("Visit(", patient, ")"), problems);
        if (!visit->empty()) whole_visits_seen.fetch_add(1);

        // The latest value of every measure comes from one snapshot: the
        // same visit for all of them.
        auto latest = db->LatestAll(patient);
        if (!latest.ok()) {
          problems.Add(absl::StrCat("LatestAll: ", latest.status().ToString()));
          continue;
        }
        CheckWholeVisit(*latest, absl::StrCat("LatestAll(", patient, ")"), problems);

        // Snapshots only move forward: a trajectory never shrinks.
        const int p = k % kPatients;
        auto trajectory = db->Trajectory(patient, kMeasures[i % kMeasureCount]);
        if (!trajectory.ok()) {
          problems.Add(absl::StrCat("Trajectory: ", trajectory.status().ToString()));
          continue;
        }
        if (i % kMeasureCount == 0) {
          if (trajectory->size() < last_trajectory_size[p]) {
            problems.Add(absl::StrCat("trajectory of ", patient, " shrank from ",
                                      last_trajectory_size[p], " to ", trajectory->size()));
          }
          last_trajectory_size[p] = trajectory->size();
        }
        for (const Observation& o : *trajectory) {
          if (o.value < 0 || o.value > 24) {
            problems.Add(absl::StrCat("trajectory value ", o.value, " was never written"));
          }
        }
      }
    });
  }

  // Meanwhile another process reads the same database (read-only) and must
  // see whole visits too.
  int other_process_reads = 0;
  while (!done.load()) {
    const int k = writes.load();
    if (k == 0) {
      std::this_thread::yield();
      continue;
    }
    const int last = k - 1;
    auto result = RunCotrack({"--db", dir.File("db"), "visit", PatientOf(last),
                              FormatCivilTime(DateOf(last)), "--format", "csv"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    if (result.exit_code != 0) break;
    ++other_process_reads;
    // csv: a header, then one line per measure; the value column must be
    // the same on every line.
    std::vector<std::string> lines = absl::StrSplit(result.out, '\n', absl::SkipEmpty());
    ASSERT_FALSE(lines.empty());
    std::vector<std::string> header = absl::StrSplit(lines[0], ',');
    auto value_col = std::find(header.begin(), header.end(), "value") - header.begin();
    ASSERT_LT(static_cast<size_t>(value_col), header.size()) << lines[0];
    EXPECT_EQ(lines.size(), 1 + kMeasureCount) << result.out;
    std::set<std::string> values;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::vector<std::string> cells = absl::StrSplit(lines[i], ',');
      ASSERT_LT(static_cast<size_t>(value_col), cells.size()) << lines[i];
      values.insert(cells[value_col]);
    }
    EXPECT_EQ(values.size(), 1u) << "another process saw a mixed visit:\n" << result.out;
  }

  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(problems.count(), 0) << ::testing::PrintToString(problems.list());
  EXPECT_EQ(writes.load(), kWrites);
  // The readers must actually have raced the writer, or this proves little.
  EXPECT_GT(whole_visits_seen.load(), 0);
  EXPECT_GT(other_process_reads, 0);

  // Each (patient, date) ends with the last write to it, all measures alike,
  // and every correction kept its earlier versions.
  for (int k = kWrites - kPatients * kDates; k < kWrites; ++k) {
    ASSERT_OK_AND_ASSIGN(auto visit, db->Visit(PatientOf(k), DateOf(k)));
    ASSERT_EQ(visit.size(), kMeasureCount);
    for (const Observation& o : visit) EXPECT_EQ(o.value, ValueOf(k)) << o.measure;
  }
  ASSERT_OK_AND_ASSIGN(auto history, db->History(PatientOf(0), "ais", DateOf(0)));
  EXPECT_GT(history.size(), 1u);
}

}  // namespace
}  // namespace cotrack
