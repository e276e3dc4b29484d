// One-shot reads (Options::one_shot_read; the command line's point queries):
// when nobody holds a database, `cotrack latest` opens it read-only in its own
// process instead of taking it over. Guarantee 6 (../shared/DESIGN.md) must
// hold all the same: the read sees every acknowledged write, even of a killed
// writer; a process that holds the database still answers it; a writer that
// arrives meanwhile waits for the read and then succeeds, is never told the
// database is damaged or locked, and is not starved by a stream of reads.
//
// Every other process here is real: cotrack_mp_worker, the cotrack command
// line, and a Python process that holds RocksDB's lock without serving.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "cotrack/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "multiprocess/processes.h"
#include "support/fault_store.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::testing::HasSubstr;
using testing::RunCotrack;
using testing::TempDir;

using mp::Child;
using mp::Output;
using mp::Spawn;
using mp::Wait;

// What a reader could change: every entry's name, size and modification time.
std::map<std::string, std::pair<uintmax_t, int64_t>> DirectoryState(const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, int64_t>> state;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    struct stat st;
    if (::lstat(entry.path().c_str(), &st) != 0) continue;
    state[entry.path().filename().string()] = {
        static_cast<uintmax_t>(st.st_size),
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  }
  return state;
}

std::string DateOfDay(int64_t day) {
  return absl::FormatCivilTime(absl::CivilDay(1970, 1, 1) + day);
}

// The latest acknowledged day of each patient in `out` ("ack PATIENT DAY").
std::map<std::string, int64_t> LatestAcknowledged(const std::string& out) {
  std::map<std::string, int64_t> latest;
  for (const auto& [patient, day] : mp::Acknowledged(out)) {
    latest[patient] = std::max(latest[patient], day);
  }
  return latest;
}

// A database that a worker process wrote five visits of patient NAME-0 to,
// then closed: nobody holds it.
void WriteVisits(const TempDir& dir, const std::string& db, const std::string& name) {
  Child first = Spawn({COTRACK_MP_WORKER, "--db", db, "--name", name, "--visits", "5"},
                      dir.File(name + ".out"));
  ASSERT_EQ(Wait(first), 0) << Output(first);
}

// `cotrack import` of the msprog toy EDSS file into `db`, started and not
// waited for: it wants to write, so it must take the database over.
Child StartImport(const TempDir& dir, const std::string& db) {
  const std::string csv = dir.File("edss.csv");
  testing::WriteFile(csv, testing::MsprogToyEdssObservations());
  return Spawn({COTRACK_BINARY, "--db", db, "import", csv}, dir.File("import.out"),
               dir.File("import.err"));
}

// True while `c` has not exited (it is waiting for the database).
bool StillRunning(const Child& c) {
  int status = 0;
  return ::waitpid(c.pid, &status, WNOHANG) == 0;
}

// Each patient's latest edss date, as `cotrack latest` prints it, is the
// latest acknowledged one (`killed`: or later, a write that landed before its
// acknowledgement was printed), and that visit is there whole.
void ExpectLatestDates(const std::string& db, const std::map<std::string, int64_t>& latest,
                       bool killed = false) {
  ASSERT_FALSE(latest.empty());
  for (const auto& [patient, day] : latest) {
    testing::CommandResult r =
        RunCotrack({"--db", db, "latest", patient, "edss", "--format", "csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
    ASSERT_EQ(lines.size(), 2u) << r.out;
    const std::vector<std::string> fields = absl::StrSplit(lines[1], ',');
    ASSERT_GE(fields.size(), 3u) << r.out;
    if (killed) {
      EXPECT_GE(fields[2], DateOfDay(day)) << patient;
    } else {
      EXPECT_EQ(fields[2], DateOfDay(day)) << patient;
    }
    testing::CommandResult visit =
        RunCotrack({"--db", db, "visit", patient, DateOfDay(day), "--format", "csv"});
    ASSERT_EQ(visit.exit_code, 0) << visit.err;
    EXPECT_THAT(visit.out, HasSubstr(",edss,")) << patient;
    EXPECT_THAT(visit.out, HasSubstr(",hba1c,")) << patient;
  }
}

// Waits up to 30 s until a process that wants to write says it waits (its
// exclusive flock on LOCK), so that slow process starts (sanitizers) do not
// decide what a test sees. This process holds no RocksDB lock here, so
// closing a descriptor of LOCK is safe.
bool WriterWaits(const std::string& db) {
  for (int i = 0; i < 3000; ++i) {
    int fd = ::open((db + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool busy = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
    ::close(fd);
    if (busy) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

Options OneShot() {
  Options o;
  o.read_only = true;
  o.one_shot_read = true;
  return o;
}

TEST(OneShotReadTest, SeesAClosedWritersDataAndChangesNothingInTheDirectory) {
  TempDir dir;
  const std::string db = dir.File("db");
  Child writer =
      Spawn({COTRACK_MP_WORKER, "--db", db, "--name", "W", "--visits", "12"}, dir.File("w.out"));
  ASSERT_EQ(Wait(writer), 0) << Output(writer);
  const auto before = DirectoryState(db);
  ExpectLatestDates(db, LatestAcknowledged(Output(writer)));
  testing::CommandResult measures = RunCotrack({"--db", db, "measures"});
  EXPECT_EQ(measures.exit_code, 0) << measures.err;
  // A process that took the database over would have written a MANIFEST,
  // CURRENT, an OPTIONS file and a log.
  EXPECT_EQ(DirectoryState(db), before);
}

TEST(OneShotReadTest, SeesEveryAcknowledgedWriteOfAKilledWriter) {
  TempDir dir;
  const std::string db = dir.File("db");
  Child writer = Spawn({COTRACK_MP_WORKER, "--db", db, "--name", "K", "--visits", "100000"},
                       dir.File("k.out"));
  ASSERT_TRUE(mp::AwaitLines(writer, "ack ", 40)) << Output(writer);
  ::kill(writer.pid, SIGKILL);
  EXPECT_EQ(Wait(writer), 128 + SIGKILL);
  // Its last writes are only in its write-ahead log (sync=false): the
  // read-only open replays it in memory.
  const auto before = DirectoryState(db);
  ExpectLatestDates(db, LatestAcknowledged(Output(writer)), /*killed=*/true);
  EXPECT_EQ(DirectoryState(db), before);
}

TEST(OneShotReadTest, AHeldDatabaseIsReadThroughItsHolder) {
  TempDir dir;
  const std::string db = dir.File("db");
  Child writer =
      Spawn({COTRACK_MP_WORKER, "--db", db, "--name", "H", "--visits", "5"}, dir.File("h.out"));
  ASSERT_EQ(Wait(writer), 0) << Output(writer);
  // This process holds and serves the database; its store counts reads.
  auto faults = std::make_shared<testing::Faults>();
  testing::FaultStores scope(faults);
  ASSERT_OK_AND_ASSIGN(auto holder, Database::Open(db));
  const int64_t reads = faults->reads();
  ExpectLatestDates(db, LatestAcknowledged(Output(writer)));
  EXPECT_GT(faults->reads(), reads) << "cotrack latest did not ask the holding process";
}

TEST(OneShotReadTest, AWriterWaitsForTheReadThenSucceeds) {
  TempDir dir;
  const std::string db = dir.File("db");
  ASSERT_NO_FATAL_FAILURE(WriteVisits(dir, db, "F"));
  ASSERT_OK_AND_ASSIGN(auto reader, Database::Open(db, OneShot()));
  Child import = StartImport(dir, db);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_TRUE(StillRunning(import)) << "the import took the database over under a one-shot read";
  // The read goes on undisturbed meanwhile.
  ASSERT_OK_AND_ASSIGN(auto values, reader->Trajectory("F-0", "edss"));
  EXPECT_FALSE(values.empty());
  reader.reset();
  EXPECT_EQ(Wait(import), 0) << testing::ReadFile(dir.File("import.err"));
  EXPECT_EQ(testing::ReadFile(dir.File("import.err")).find("cotrack:"), std::string::npos)
      << testing::ReadFile(dir.File("import.err"));
  ASSERT_OK_AND_ASSIGN(auto after, Database::Open(db, OneShot()));
  ASSERT_OK_AND_ASSIGN(auto patients, after->ListPatients());
  EXPECT_GT(patients.size(), 5u);
}

TEST(OneShotReadTest, AWaitingWriterKeepsNewOneShotReadersOut) {
  TempDir dir;
  const std::string db = dir.File("db");
  ASSERT_NO_FATAL_FAILURE(WriteVisits(dir, db, "S"));
  ASSERT_OK_AND_ASSIGN(auto reader, Database::Open(db, OneShot()));
  Child import = StartImport(dir, db);
  ASSERT_TRUE(WriterWaits(db)) << testing::ReadFile(dir.File("import.err"));
  ASSERT_TRUE(StillRunning(import));
  // Another short read now queues behind the writer instead of overlapping
  // the first one: reads that keep overlapping would keep the writer out.
  std::atomic<bool> opened{false};
  absl::StatusOr<std::unique_ptr<Database>> second;
  std::thread t([&] {
    second = Database::Open(db, OneShot());
    opened = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(opened.load()) << "a new one-shot read started while a writer waited";
  reader.reset();
  t.join();
  ASSERT_OK(second.status());
  EXPECT_EQ(Wait(import), 0) << testing::ReadFile(dir.File("import.err"));
  ASSERT_OK_AND_ASSIGN(auto patients, (*second)->ListPatients());
  EXPECT_GT(patients.size(), 0u);
}

TEST(OneShotReadTest, ALockHeldWithoutAServerIsWaitedFor) {
  TempDir dir;
  const std::string db = dir.File("db");
  Child writer =
      Spawn({COTRACK_MP_WORKER, "--db", db, "--name", "L", "--visits", "5"}, dir.File("l.out"));
  ASSERT_EQ(Wait(writer), 0) << Output(writer);
  // A process that holds RocksDB's lock and serves nobody: a holder that
  // stopped serving and is still closing, or one still opening.
  Child locker = Spawn({"/usr/bin/python3", "-c",
                        "import fcntl, sys\n"
                        "f = open(sys.argv[1], 'r+')\n"
                        "fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
                        "print('ready', flush=True)\n"
                        "sys.stdin.read()\n",
                        db + "/LOCK"},
                       dir.File("locker.out"));
  ASSERT_TRUE(mp::AwaitLines(locker, "ready", 1)) << Output(locker);
  const auto latest = LatestAcknowledged(Output(writer));
  ASSERT_FALSE(latest.empty());
  const std::string patient = latest.begin()->first;
  Child reader = Spawn({COTRACK_BINARY, "--db", db, "latest", patient, "edss", "--format", "csv"},
                       dir.File("reader.out"), dir.File("reader.err"));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_TRUE(StillRunning(reader)) << "read a database another process holds, by itself";
  EXPECT_EQ(Wait(locker), 0);
  EXPECT_EQ(Wait(reader), 0) << testing::ReadFile(dir.File("reader.err"));
  EXPECT_THAT(Output(reader), HasSubstr(DateOfDay(latest.begin()->second)));
}

// A one-shot handle opens no audit log (the one-shot commands never read
// it): reading it through such a handle says so, and `cotrack audit`, which
// opens the database in full, still shows it.
TEST(OneShotReadTest, AOneShotHandleHasNoAuditLogAndSaysSo) {
  TempDir dir;
  const std::string db = dir.File("db");
  WriteVisits(dir, db, "U");
  {
    absl::StatusOr<std::unique_ptr<Database>> handle = Database::Open(db, OneShot());
    ASSERT_TRUE(handle.ok()) << handle.status();
    absl::StatusOr<std::vector<Observation>> values = (*handle)->Trajectory("U-0", "edss");
    ASSERT_TRUE(values.ok()) << values.status();
    EXPECT_FALSE(values->empty());
    absl::StatusOr<std::vector<AuditRecord>> audit = (*handle)->AuditLog(std::nullopt);
    EXPECT_EQ(audit.status().code(), absl::StatusCode::kFailedPrecondition) << audit.status();
    EXPECT_THAT(audit.status().message(), HasSubstr("one-shot read"));
  }
  testing::CommandResult audit = RunCotrack({"--db", db, "audit"});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("U-0"));
}

// Damages a copy of a table file: `damage(path, size, i)` for i = 1..7.
using Damage = std::function<void(const std::filesystem::path&, uintmax_t, int)>;

// Guarantee 4 (DESIGN.md §3.4) in a one-shot read: what the read needs is
// verified as it is read, however little the open itself reads (it skips
// the table files' properties, their sizes, and most table files), so a
// damaged table file is reported as damage and never answered from. Each
// table file of a compacted 20-patient database is damaged in 7 ways in turn,
// and `cotrack latest` of some patients must give the undamaged answer or
// exit 1 saying "damaged".
void ExpectDamageReportedNeverAWrongAnswer(const Damage& damage) {
  TempDir pristine;
  constexpr int kPatients = 20;
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(pristine.path());
    ASSERT_TRUE(db.ok()) << db.status();
    Batch batch;
    for (int p = 0; p < kPatients; ++p) {
      for (int v = 0; v < 10; ++v) {
        ObservationInput in;
        in.patient = absl::StrCat("P", p);
        in.measure = "edss";
        in.time = CivilTime::FromDay(18000 + 180 * v);
        in.value = 1.0 + 0.5 * ((p + v) % 10);
        batch.Record(in);
      }
    }
    ASSERT_TRUE((*db)->Apply(batch).ok());
    ASSERT_TRUE((*db)->Compact().ok());
  }
  auto latest = [](const std::string& db, int p) {
    return RunCotrack({"--db", db, "latest", absl::StrCat("P", p), "edss", "--format", "csv"});
  };
  std::vector<std::string> want;
  for (int p = 0; p < kPatients; ++p) {
    testing::CommandResult r = latest(pristine.path(), p);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    want.push_back(r.out);
  }
  // Every table file (series, patients, ids, meta: which is which depends on
  // how the records are encoded).
  std::vector<std::filesystem::path> tables;
  for (const auto& e : std::filesystem::directory_iterator(pristine.path())) {
    if (e.path().extension() == ".sst") tables.push_back(e.path());
  }
  ASSERT_FALSE(tables.empty());
  int damage_reported = 0;
  for (const std::filesystem::path& table : tables) {
    const auto size = std::filesystem::file_size(table);
    for (int i = 1; i < 8; ++i) {
      TempDir copy;
      std::filesystem::copy(pristine.path(), copy.path(),
                            std::filesystem::copy_options::recursive |
                                std::filesystem::copy_options::overwrite_existing);
      damage(std::filesystem::path(copy.path()) / table.filename(), size, i);
      // Each table is one data block here: any patient's read needs it.
      for (int p = 0; p < kPatients; p += 6) {
        testing::CommandResult r = latest(copy.path(), p);
        if (r.exit_code == 0) {
          // The damage hit bytes this read did not need: the answer must be exact.
          EXPECT_EQ(r.out, want[p])
              << "wrong answer after damage " << i << " of " << table.filename();
          continue;
        }
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_THAT(r.err, HasSubstr("damaged")) << "damage " << i << " of " << table.filename();
        ++damage_reported;
        break;
      }
    }
  }
  EXPECT_GT(damage_reported, 0) << "no damage was detected at all";
}

TEST(OneShotReadTest, ADamagedTableFileIsDataLossNeverAWrongAnswer) {
  ExpectDamageReportedNeverAWrongAnswer(
      [](const std::filesystem::path& file, uintmax_t size, int i) {
        // One flipped byte, at the i-th eighth of the file.
        testing::FlipByte(file.string(), static_cast<int64_t>(size * i / 8));
      });
}

// A one-shot open does not compare every table file's size with the
// MANIFEST's (rocks_store.cc): a file cut short is found when a read opens it.
TEST(OneShotReadTest, ATruncatedTableFileIsDataLossNeverAWrongAnswer) {
  ExpectDamageReportedNeverAWrongAnswer(
      [](const std::filesystem::path& file, uintmax_t size, int i) {
        // Cut to i eighths of its size; the 7th loses the last byte only.
        std::filesystem::resize_file(file, i == 7 ? size - 1 : size * i / 8);
      });
}

}  // namespace
}  // namespace cotrack
