// Issue 5 item 2: incremental backups of a live database, verified, and
// restored into a new directory equal to the source.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

namespace fs = std::filesystem;
using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;

ObservationInput Obs(const std::string& patient, const std::string& measure, int day,
                     double value) {
  ObservationInput in;
  in.patient = patient;
  in.measure = measure;
  in.time = CivilTime::FromDay(day);
  in.value = value;
  return in;
}

// Everything the API can list, as text: every patient's registration
// history, every trajectory and the history of each of its observations, the
// history of every identity in `extra` (retracted ones leave trajectories),
// the measures and the audit log.
std::string Dump(Database& db, const std::vector<ObservationInput>& extra = {}) {
  std::ostringstream out;
  auto prov = [](const Provenance& p) {
    return absl::StrCat(p.source, ":", p.line, ":", p.user, ":", p.reason);
  };
  auto obs = [&](const Observation& o) {
    return absl::StrCat(o.patient, " ", o.measure, " ", o.time.seconds, " ", o.value, " ",
                        static_cast<int>(o.comparator), " ", o.original_value, " ", o.original_unit,
                        " [", absl::StrJoin(o.items, ","), "] ", o.visit, " ", StatusName(o.status),
                        " v", o.version, " ", o.recorded_at_us, " ", prov(o.provenance));
  };
  auto measures = db.ListMeasures();
  EXPECT_OK(measures);
  for (const MeasureDefinition& m : *measures) out << "measure " << m.code << " " << m.unit << "\n";
  auto patients = db.ListPatients();
  EXPECT_OK(patients);
  for (const Patient& p : *patients) {
    auto history = db.PatientHistory(p.id);
    EXPECT_OK(history);
    for (const Patient& v : *history) {
      out << "patient " << v.id << " v" << v.version << " " << v.arm << " "
          << (v.index_date ? v.index_date->seconds : -1) << " " << v.recorded_at_us << " "
          << prov(v.provenance);
      for (const auto& [k, val] : v.attributes) out << " " << k << "=" << val;
      out << "\n";
    }
    for (const MeasureDefinition& m : *measures) {
      auto t = db.Trajectory(p.id, m.code);
      EXPECT_OK(t);
      for (const Observation& o : *t) {
        auto h = db.History(p.id, m.code, o.time);
        EXPECT_OK(h);
        for (const Observation& v : *h) out << "obs " << obs(v) << "\n";
      }
    }
  }
  for (const ObservationInput& in : extra) {
    auto h = db.History(in.patient, in.measure, in.time);
    EXPECT_OK(h);
    if (h.ok()) {
      for (const Observation& v : *h) out << "extra " << obs(v) << "\n";
    }
  }
  auto audit = db.AuditLog();
  EXPECT_OK(audit);
  for (const AuditRecord& a : *audit) {
    out << "audit " << a.sequence << " " << a.at_us << " " << a.action << " " << a.patient << " "
        << a.detail << " " << prov(a.provenance) << " " << a.summary.written << "/"
        << a.summary.corrected << "/" << a.summary.unchanged << "\n";
  }
  return out.str();
}

// A varied database: registrations with attributes, several measures, unit
// conversion, censored values, a correction, a retraction, a user measure.
std::vector<ObservationInput> Populate(Database& db) {
  Patient p;
  p.id = "MS-001";
  p.arm = "aHSCT";
  p.index_date = CivilTime::FromDay(19000);
  p.attributes = {{"sex", "F"}, {"diagnosis", "RRMS"}};
  EXPECT_OK(db.PutPatient(p));
  p.arm = "aHSCT-late";
  EXPECT_OK(db.PutPatient(p));
  MeasureDefinition sdmt;
  sdmt.code = "sdmt";
  sdmt.name = "Symbol Digit Modalities Test";
  sdmt.unit = "score";
  sdmt.min = 0;
  sdmt.max = 110;
  sdmt.step = 1;
  sdmt.integer = true;
  EXPECT_OK(db.RegisterMeasure(sdmt, Provenance{}));
  Batch batch;
  for (int i = 0; i < 30; ++i) {
    const std::string id = absl::StrCat(i == 0 ? "MS-001" : "P", i);
    for (int v = 0; v < 6; ++v) {
      batch.Record(Obs(id, "edss", 19000 + 90 * v, 1.0 + 0.5 * ((i + v) % 8)));
      batch.Record(Obs(id, "sdmt", 19000 + 90 * v, 40 + v));
    }
    ObservationInput hba1c = Obs(id, "hba1c", 19100, 48);
    hba1c.unit = "mmol/mol";
    batch.Record(hba1c);
  }
  batch.SetAudit("import", "populate");
  EXPECT_OK(db.Apply(batch));
  EXPECT_OK(db.Record(Obs("P3", "edss", 19000, 6.5)));  // a correction
  Provenance why;
  why.reason = "wrong patient";
  EXPECT_OK(db.Retract("P4", "edss", CivilTime::FromDay(19090), why));
  return {Obs("P4", "edss", 19090, 0)};
}

TEST(BackupTest, RestoredDataEqualsTheSource) {
  TempDir dir;
  const std::string db_path = dir.File("db"), backups = dir.File("backups");
  std::string want;
  std::vector<ObservationInput> extra;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
    extra = Populate(*db);
    ASSERT_OK_AND_ASSIGN(BackupInfo b, BackupDatabase(db_path, backups));  // writer still open
    EXPECT_EQ(b.id, 1u);
    EXPECT_GT(b.file_count, 0u);
    want = Dump(*db, extra);
  }
  ASSERT_OK(RestoreBackup(backups, dir.File("restored")));
  Options ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto restored, Database::Open(dir.File("restored"), ro));
  EXPECT_EQ(Dump(*restored, extra), want);
  EXPECT_THAT(want, HasSubstr("entered-in-error"));  // the dump sees retractions
  EXPECT_THAT(want, HasSubstr("sdmt"));
}

TEST(BackupTest, BackupsAreIncrementalAndVerified) {
  TempDir dir;
  const std::string db_path = dir.File("db"), backups = dir.File("backups");
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
  Populate(*db);
  ASSERT_OK(db->Compact());
  ASSERT_OK_AND_ASSIGN(BackupInfo first, BackupDatabase(db_path, backups));
  auto count_files = [&] {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(backups)) n += e.is_regular_file();
    return n;
  };
  const size_t files_after_first = count_files();
  ASSERT_OK(db->Record(Obs("P1", "edss", 21000, 2.0)));
  ASSERT_OK_AND_ASSIGN(BackupInfo second, BackupDatabase(db_path, backups));
  EXPECT_EQ(second.id, first.id + 1);
  // Only the new write-ahead log, manifest and the like are added: the
  // table files are shared with the first backup.
  EXPECT_LT(count_files() - files_after_first, first.file_count);

  ASSERT_OK_AND_ASSIGN(std::vector<BackupInfo> all, VerifyBackups(backups));
  ASSERT_EQ(all.size(), 2u);
  for (const BackupInfo& b : all) EXPECT_EQ(b.error, "") << "backup " << b.id;
  testing::CommandResult cli = RunCotrack({"backup", "verify", backups});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;

  // The latest backup is restored: it has the last write.
  ASSERT_OK(RestoreBackup(backups, dir.File("restored")));
  Options ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto restored, Database::Open(dir.File("restored"), ro));
  ASSERT_OK_AND_ASSIGN(auto t, restored->Trajectory("P1", "edss"));
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.back().time.day(), 21000);
}

// A cron backup and an operator's backup into one directory at the same
// time (or one retried by the process that took a database over): RocksDB's
// backup engine deletes the files of a backup in progress when another opens
// the directory, so they must take turns, and every one must land.
TEST(BackupTest, BackupsIntoOneDirectoryAtOnceAllLand) {
  TempDir dir;
  const std::string db_path = dir.File("db"), backups = dir.File("backups");
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
  Populate(*db);
  constexpr int kThreads = 4, kEach = 3;
  std::vector<std::string> errors[kThreads];
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<BackupInfo> made = BackupDatabase(db_path, backups);
        if (!made.ok()) errors[t].push_back(std::string(made.status().message()));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_THAT(errors[t], ::testing::IsEmpty()) << "thread " << t;
  ASSERT_OK_AND_ASSIGN(std::vector<BackupInfo> all, VerifyBackups(backups));
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  for (const BackupInfo& b : all) EXPECT_EQ(b.error, "") << "backup " << b.id;
}

TEST(BackupTest, ADamagedBackupFailsVerification) {
  TempDir dir;
  const std::string db_path = dir.File("db"), backups = dir.File("backups");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
    Populate(*db);
    ASSERT_OK(db->Compact());
  }
  ASSERT_OK(BackupDatabase(db_path, backups));
  fs::path largest;
  for (const auto& e : fs::recursive_directory_iterator(backups)) {
    if (e.is_regular_file() && e.path().extension() == ".sst" &&
        (largest.empty() || fs::file_size(e.path()) > fs::file_size(largest))) {
      largest = e.path();
    }
  }
  ASSERT_FALSE(largest.empty());
  {
    std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(largest) / 2));
    f.put('\x7f');
    f.seekp(static_cast<std::streamoff>(fs::file_size(largest) / 2 + 1));
    f.put('\x00');
  }
  ASSERT_OK_AND_ASSIGN(std::vector<BackupInfo> all, VerifyBackups(backups));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_NE(all[0].error, "");
  testing::CommandResult cli = RunCotrack({"backup", "verify", backups});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.out, HasSubstr("BAD"));
  // Restoring it does not hand back damaged data as good.
  EXPECT_FALSE(RestoreBackup(backups, dir.File("restored")).ok());
}

TEST(BackupTest, RestoreRefusesANonEmptyTarget) {
  TempDir dir;
  const std::string db_path = dir.File("db"), backups = dir.File("backups");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
    Populate(*db);
  }
  ASSERT_OK(BackupDatabase(db_path, backups));
  EXPECT_THAT(RestoreBackup(backups, db_path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not empty")));
  testing::CommandResult cli = RunCotrack({"restore", backups, "--to", db_path});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.err, HasSubstr("not empty"));
  cli = RunCotrack({"restore", backups});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_THAT(RestoreBackup(dir.File("no-backups"), dir.File("new")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no cotrack backup")));
  // An empty directory is a fine target.
  fs::create_directory(dir.File("empty"));
  cli = RunCotrack({"restore", backups, "--to", dir.File("empty")});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
}

// A writer records visits (three measures each, one batch per visit) while
// backups are taken from another process; the restored latest backup holds a
// prefix of the visits, each one whole, and passes the check.
TEST(BackupTest, BackupWhileAWriterRuns) {
  TempDir dir;
  const std::string db_path = dir.File("db"), backups = dir.File("backups");
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::thread writer([&] {
    auto last_compaction = std::chrono::steady_clock::now();
    for (int v = 0; !stop && v < 100000; ++v) {
      const std::string patient = absl::StrCat("W", v % 50);
      const int day = 18000 + v;
      WriteOptions no_sync;
      no_sync.sync = false;
      auto s = db->RecordVisit({Obs(patient, "edss", day, 1.0 + (v % 8) * 0.5),
                                Obs(patient, "ais", day, v % 24), Obs(patient, "hypo", day, v % 5)},
                               no_sync);
      if (!s.ok()) {
        ADD_FAILURE() << s.status();
        return;
      }
      acknowledged = v + 1;
      // Make files come and go, at a pace that does not depend on how fast
      // visits are recorded: every file of a backup must outlive its copy.
      if (std::chrono::steady_clock::now() - last_compaction > std::chrono::milliseconds(200)) {
        (void)db->Compact();
        last_compaction = std::chrono::steady_clock::now();
      }
    }
  });
  while (acknowledged < 200) std::this_thread::yield();
  int backups_made = 0;
  for (int i = 0; i < 4; ++i) {
    testing::CommandResult cli = RunCotrack({"--db", db_path, "backup", backups});
    EXPECT_EQ(cli.exit_code, 0) << cli.err;
    backups_made += cli.exit_code == 0;
    // Every backup taken under load restores to a database that passes the
    // check (counters, audit sequence and data of all families agree).
    EXPECT_OK(RestoreBackup(backups, dir.File(absl::StrCat("restored-", i))));
  }
  stop = true;
  writer.join();
  ASSERT_GT(backups_made, 0);
  const int written = acknowledged;

  ASSERT_OK(RestoreBackup(backups, dir.File("restored")));
  Options ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto restored, Database::Open(dir.File("restored"), ro));
  std::set<int> days;
  for (int p = 0; p < 50; ++p) {
    const std::string patient = absl::StrCat("W", p);
    std::map<int, int> measures_per_day;
    for (const char* m : {"edss", "ais", "hypo"}) {
      auto t = restored->Trajectory(patient, m);
      if (absl::IsNotFound(t.status())) continue;  // patient not written yet
      ASSERT_OK(t);
      for (const Observation& o : *t) ++measures_per_day[static_cast<int>(o.time.day())];
    }
    for (const auto& [day, n] : measures_per_day) {
      EXPECT_EQ(n, 3) << "half a visit of " << patient << " on day " << day;
      days.insert(day);
    }
  }
  ASSERT_FALSE(days.empty());
  // A prefix: visits 0..k-1 and nothing after a gap.
  EXPECT_EQ(*days.begin(), 18000);
  EXPECT_EQ(*days.rbegin() - 18000 + 1, static_cast<int>(days.size()));
  EXPECT_LE(static_cast<int>(days.size()), written);
}

}  // namespace
}  // namespace cotrack
