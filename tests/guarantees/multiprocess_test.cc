// Guarantee 6 (../shared/DESIGN.md): any number of processes use one database
// at once, each reading and writing; an acknowledged write is visible to every
// later read in every process and survives the serving process being killed;
// nobody is told a healthy database is damaged, missing or locked.
//
// Every other process here is real: cotrack_mp_worker (a client that records
// visits and prints each acknowledged one) and the cotrack command line.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "multiprocess/processes.h"
#include "rpc/channel.h"
#include "support/attribution_scenario.h"
#include "support/edss.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using testing::Edss;
using ::testing::HasSubstr;
using testing::RunCotrack;
using testing::TempDir;

using mp::Child;
using mp::Holder;
using mp::Output;
using mp::Spawn;
using mp::Wait;

Child Worker(const TempDir& dir, const std::string& db, const std::string& name, int visits) {
  return Spawn({COTRACK_MP_WORKER, "--db", db, "--name", name, "--visits", std::to_string(visits)},
               dir.File(name + ".out"));
}

void AwaitLine(const Child& c, const std::string& prefix, int count = 1) {
  ASSERT_TRUE(mp::AwaitLines(c, prefix, count)) << Output(c);
}

// Every visit `children` acknowledged is in the database, whole.
void ExpectAcknowledgedVisits(Database& db, const std::vector<Child>& children,
                              int expected_at_least) {
  int checked = 0;
  for (const Child& c : children) {
    for (const auto& [patient, day] : mp::Acknowledged(Output(c))) {
      auto got = db.Visit(patient, CivilTime::FromDay(day));
      ASSERT_OK(got);
      EXPECT_EQ(got->size(), 2u) << "acknowledged visit " << patient << " " << day
                                 << " is missing or half there";
      ++checked;
    }
  }
  EXPECT_GE(checked, expected_at_least);
}

TEST(MultiProcessTest, EveryProcessWritesAndEveryAcknowledgedWriteIsThere) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  // This process holds the database (an app); workers and the command line
  // write through it at the same time.
  ASSERT_OK_AND_ASSIGN(auto app, Database::Open(db_path));
  std::vector<Child> workers;
  for (int w = 0; w < 4; ++w) workers.push_back(Worker(dir, db_path, absl::StrCat("W", w), 40));
  std::ostringstream csv;
  csv << "patient,measure,date,value\n";
  for (int i = 0; i < 200; ++i)
    csv << "CSV-" << i % 7 << ",edss," << 2000 + i / 7 << "-03-01,2.0\n";
  testing::WriteFile(dir.File("cron.csv"), csv.str());
  testing::CommandResult import = RunCotrack({"--db", db_path, "import", dir.File("cron.csv")});
  EXPECT_EQ(import.exit_code, 0) << import.err;
  for (Child& w : workers) EXPECT_EQ(Wait(w), 0) << Output(w);
  ExpectAcknowledgedVisits(*app, workers, 160);
  ASSERT_OK_AND_ASSIGN(auto imported, app->Trajectory("CSV-3", "edss"));
  EXPECT_FALSE(imported.empty());
  // The audit log names who made each change, not the serving process.
  ASSERT_OK_AND_ASSIGN(auto audit, app->AuditLog(std::string("W2-1")));
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().provenance.user, "W2");
}

TEST(MultiProcessTest, TheServingProcessIsKilledAndTheOthersCarryOn) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  Child holder = Spawn({COTRACK_MP_WORKER, "--db", db_path, "--hold"}, dir.File("holder.out"));
  AwaitLine(holder, "ready");
  ASSERT_EQ(Holder(db_path), holder.pid);
  std::vector<Child> workers;
  for (int w = 0; w < 3; ++w) workers.push_back(Worker(dir, db_path, absl::StrCat("K", w), 150));
  AwaitLine(workers[0], "ack", 20);
  // Mid-write: the workers' requests are in the holder when it dies.
  ASSERT_EQ(kill(holder.pid, SIGKILL), 0);
  EXPECT_EQ(Wait(holder), 128 + SIGKILL);
  for (Child& w : workers) EXPECT_EQ(Wait(w), 0) << Output(w);
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
  ExpectAcknowledgedVisits(*db, workers, 450);
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckDatabase(db_path));
  EXPECT_TRUE(report.ok()) << report.problems.front().message;
}

TEST(MultiProcessTest, BackupsChecksAndDumpsFromOtherProcessesWhileWritersRun) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  std::vector<Child> workers;
  for (int w = 0; w < 2; ++w) workers.push_back(Worker(dir, db_path, absl::StrCat("B", w), 200));
  AwaitLine(workers[0], "ack", 5);
  int rounds = 0;
  for (; rounds < 4; ++rounds) {
    for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
             {"backup", dir.File("backups")}, {"check"}, {"dump"}, {"export", "--format", "csv"}}) {
      std::vector<std::string> args = {"--db", db_path};
      args.insert(args.end(), command.begin(), command.end());
      testing::CommandResult r = RunCotrack(args);
      EXPECT_EQ(r.exit_code, 0) << command[0] << ": " << r.err;
      EXPECT_THAT(r.err, ::testing::Not(HasSubstr("damaged")));
    }
  }
  for (Child& w : workers) EXPECT_EQ(Wait(w), 0) << Output(w);
  testing::CommandResult restore =
      RunCotrack({"restore", dir.File("backups"), "--to", dir.File("restored")});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  testing::CommandResult check = RunCotrack({"--db", dir.File("restored"), "check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

// 600 patients with 20 EDSS values each: a dump of several frames, and a
// stream far larger than what the socket between two processes buffers.
constexpr int kStreamPatients = 600;
void WriteManySeries(const std::string& db_path) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
  Batch batch;
  for (int p = 0; p < kStreamPatients; ++p) {
    for (int v = 0; v < 20; ++v) {
      batch.Record(Edss(absl::StrCat("D", p), 18000 + 30 * v, 1.0 + 0.5 * (v % 12)));
    }
  }
  ASSERT_OK(db->Apply(batch));
}

// A dump streams from the serving process in frames; when that process is
// killed mid-stream the dump is taken again from whoever holds the database
// next, and the caller still gets one whole dump, not an error or a dump and
// a half.
TEST(MultiProcessTest, ADumpOutlivesTheProcessServingIt) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  std::string want;
  ASSERT_NO_FATAL_FAILURE(WriteManySeries(db_path));
  {
    std::ostringstream out;
    ASSERT_OK(DumpDatabase(db_path, Options(), out));
    want = out.str();
  }
  ASSERT_GT(want.size(), 2u << 20);
  // Kills at different moments of the stream; the last waits past its end.
  for (int delay_ms : {0, 5, 15, 30, 60, 120}) {
    Child holder = Spawn({COTRACK_MP_WORKER, "--db", db_path, "--hold"}, dir.File("holder.out"));
    AwaitLine(holder, "ready");
    ASSERT_EQ(Holder(db_path), holder.pid);
    std::ostringstream out;
    absl::Status dumped;
    std::thread dumper([&] { dumped = DumpDatabase(db_path, Options(), out).status(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ASSERT_EQ(kill(holder.pid, SIGKILL), 0);
    Wait(holder);
    dumper.join();
    EXPECT_OK(dumped) << "killed after " << delay_ms << " ms";
    EXPECT_TRUE(out.str() == want) << "killed after " << delay_ms << " ms: a dump of "
                                   << out.str().size() << " bytes, want " << want.size();
  }
}

// Waits up to 30 s for `done`; false when it never held.
bool AwaitTrue(const std::function<bool()>& done) {
  for (int i = 0; i < 3000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// WriteManySeries' database, held by a worker process that serves it to `db`.
void ServeManySeries(const TempDir& dir, const std::string& db_path, Child* holder,
                     std::unique_ptr<Database>* db) {
  ASSERT_NO_FATAL_FAILURE(WriteManySeries(db_path));
  *holder = Spawn({COTRACK_MP_WORKER, "--db", db_path, "--hold"}, dir.File("holder.out"));
  AwaitLine(*holder, "ready");
  ASSERT_OK_AND_ASSIGN(*db, Database::Open(db_path));
  ASSERT_EQ(Holder(db_path), holder->pid);
}

// A cron import or an app that exits in the normal way while an analysis
// session streams a cohort from it: the stream ends whole, and only then is
// the database handed over.
TEST(MultiProcessTest, AProcessClosingTheDatabaseFinishesAnotherProcesssRead) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  Child holder;
  std::unique_ptr<Database> db;
  ASSERT_NO_FATAL_FAILURE(ServeManySeries(dir, db_path, &holder, &db));
  const std::string socket = absl::StrCat(db_path, "/", rpc::kSocketName);
  int patients = 0;
  size_t values = 0;
  absl::Status read = db->ForEachSeries("edss", [&](const Patient&, const auto& trajectory) {
    if (patients++ == 0) {
      // The holder starts closing: its socket file goes first.
      ::close(holder.stdin_fd);
      holder.stdin_fd = -1;
      EXPECT_TRUE(AwaitTrue([&] { return ::access(socket.c_str(), F_OK) != 0; }));
    }
    values += trajectory.size();
    return absl::OkStatus();
  });
  EXPECT_OK(read);
  EXPECT_EQ(patients, kStreamPatients);
  EXPECT_EQ(values, kStreamPatients * 20u);
  EXPECT_EQ(Wait(holder), 0);
  // The next read goes on with whoever holds the database now.
  ASSERT_OK_AND_ASSIGN(auto trajectory, db->Trajectory("D7", "edss"));
  EXPECT_EQ(trajectory.size(), 20u);
}

// A reader that stops reading does not keep a closing process from handing
// the database over: after Server::kDrainLimit its read is cut off, and it
// is told the database is fine and to run the read again.
TEST(MultiProcessTest, AReadThatOutstaysAClosingProcessIsToldToRunAgain) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  Child holder;
  std::unique_ptr<Database> db;
  ASSERT_NO_FATAL_FAILURE(ServeManySeries(dir, db_path, &holder, &db));
  int patients = 0;
  absl::Status read = db->ForEachSeries("edss", [&](const Patient&, const auto&) {
    if (patients++ == 0) {
      ::close(holder.stdin_fd);
      holder.stdin_fd = -1;
      // Stuck until the holder has closed the database.
      EXPECT_TRUE(AwaitTrue([&] { return Holder(db_path) != holder.pid; }));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsUnavailable(read)) << read;
  EXPECT_THAT(read.message(), HasSubstr("nothing is wrong with the database: run the read again"));
  EXPECT_LT(patients, kStreamPatients);
  EXPECT_EQ(Wait(holder), 0);
  int again = 0;
  ASSERT_OK(db->ForEachSeries("edss", [&](const Patient&, const auto&) {
    ++again;
    return absl::OkStatus();
  }));
  EXPECT_EQ(again, kStreamPatients);
}

// A cron job's export to a file while the app holding the database crashes:
// the export is written again from the start, and the file holds one whole
// export, the same as with nobody else there.
TEST(MultiProcessTest, AnExportToAFileOutlivesTheProcessServingIt) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  ASSERT_NO_FATAL_FAILURE(WriteManySeries(db_path));
  const std::string want_path = dir.File("want.csv");
  testing::CommandResult alone =
      RunCotrack({"--db", db_path, "export", "--measure", "edss", "--out", want_path});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const std::string want = testing::ReadFile(want_path);
  ASSERT_GT(want.size(), 500u << 10);
  // Kills at different moments of the export; the last waits past its end.
  for (int delay_ms : {0, 5, 10, 20, 40, 80, 160}) {
    Child holder = Spawn({COTRACK_MP_WORKER, "--db", db_path, "--hold"}, dir.File("holder.out"));
    AwaitLine(holder, "ready");
    ASSERT_EQ(Holder(db_path), holder.pid);
    const std::string out_path = dir.File(absl::StrCat("export-", delay_ms, ".csv"));
    Child exporter =
        Spawn({COTRACK_BINARY, "--db", db_path, "export", "--measure", "edss", "--out", out_path},
              dir.File("exporter.out"), dir.File("exporter.err"));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ASSERT_EQ(kill(holder.pid, SIGKILL), 0);
    Wait(holder);
    EXPECT_EQ(Wait(exporter), 0) << "killed after " << delay_ms
                                 << " ms: " << testing::ReadFile(dir.File("exporter.err"));
    EXPECT_TRUE(testing::ReadFile(out_path) == want)
        << "killed after " << delay_ms << " ms: an export of " << testing::ReadFile(out_path).size()
        << " bytes, want " << want.size();
  }
}

// A web app's shared handle in a process the database is served to: each
// write's user and reason cross the socket and are stored as given, not as
// the handle's or the serving process's user.
TEST(MultiProcessTest, PerWriteUsersAndReasonsReachTheServingProcess) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  Child holder = Spawn({COTRACK_MP_WORKER, "--db", db_path, "--hold"}, dir.File("holder.out"));
  AwaitLine(holder, "ready");
  Options options;
  options.user = testing::kSharedHandleUser;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path, options));
  ASSERT_EQ(Holder(db_path), holder.pid);
  ASSERT_NO_FATAL_FAILURE(testing::WriteAsTwoClinicians(*db));
  testing::ExpectEachClinicianAttributed(*db);
  // A bad user is refused where the database is served, and says so.
  ObservationInput in = Edss("P1", 19000, 2.0);
  in.provenance.user = "dr.\x01";
  EXPECT_THAT(db->Record(in),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")));
  db.reset();
  EXPECT_EQ(Wait(holder), 0) << Output(holder);
  // As the process that held it stored them.
  ASSERT_OK_AND_ASSIGN(db, Database::Open(db_path));
  testing::ExpectEachClinicianAttributed(*db);
}

// A handle opened without a user writes as its own process's OS user, also
// where another process (here one whose handle is user "W") serves the
// database: the hello names the user, not only the writes of a handle that
// reconnected.
TEST(MultiProcessTest, AHandleWithoutAUserWritesAsItsOsUserWhereServed) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  Child holder = Spawn({COTRACK_MP_WORKER, "--db", db_path, "--hold"}, dir.File("holder.out"));
  AwaitLine(holder, "ready");
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
  ASSERT_EQ(Holder(db_path), holder.pid);
  const ObservationInput in = Edss("P1", 19000, 2.0);
  ASSERT_OK(db->Record(in));
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> edss, db->History("P1", "edss", in.time));
  ASSERT_EQ(edss.size(), 1u);
  const passwd* pw = getpwuid(geteuid());
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(edss[0].provenance.user, pw->pw_name);
  db.reset();
  EXPECT_EQ(Wait(holder), 0) << Output(holder);
}

// The whole API from a process the database is served to: reads, writes,
// bulk writes, snapshots; then the serving process exits and this one takes
// over without its callers noticing.
TEST(MultiProcessTest, TheApiWorksFromAServedProcessAndAcrossAHandOver) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  Child holder = Spawn({COTRACK_MP_WORKER, "--db", db_path, "--hold"}, dir.File("holder.out"));
  AwaitLine(holder, "ready");
  Options options;
  options.user = "dr.who";
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path, options));
  ASSERT_EQ(Holder(db_path), holder.pid);

  ObservationInput in = Edss("P1", 19000, 2.0);
  ASSERT_OK_AND_ASSIGN(WriteSummary s, db->Record(in));
  EXPECT_EQ(s.written, 1);
  ASSERT_OK_AND_ASSIGN(s, db->Record(in));  // the same again: a no-op
  EXPECT_EQ(s.unchanged, 1);
  EXPECT_THAT(db->Trajectory("P1", "nosuch"),
              testing::StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown measure")));
  in.value = 0.5;  // EDSS has no 0.5
  EXPECT_THAT(db->Record(in),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("edss")));

  // A read snapshot does not see later writes; a fresh read does.
  ASSERT_OK_AND_ASSIGN(auto snap, db->NewSnapshot());
  in.time = CivilTime::FromDay(19100);
  in.value = 3.0;
  ASSERT_OK(db->Record(in));
  ASSERT_OK_AND_ASSIGN(auto then, snap->Trajectory("P1", "edss"));
  ASSERT_OK_AND_ASSIGN(auto now, db->Trajectory("P1", "edss"));
  EXPECT_EQ(then.size(), 1u);
  EXPECT_EQ(now.size(), 2u);

  // A bulk write staged in the serving process, with rejections.
  ASSERT_OK_AND_ASSIGN(auto bulk, db->BeginBulkWrite(WriteOptions(), "import", "test"));
  Batch batch;
  for (int i = 0; i < 30000; ++i) {  // more than one message holds
    ObservationInput o = in;
    o.patient = absl::StrCat("B", i % 100);
    o.time = CivilTime::FromDay(18000 + i / 100);
    o.value = 1.0 + (i % 3);
    batch.Record(o);
  }
  ObservationInput bad = in;
  bad.value = 11;
  batch.Record(bad);
  std::vector<Rejection> rejected;
  ASSERT_OK(bulk->Add(batch, &rejected));
  EXPECT_EQ(rejected.size(), 1u);
  ASSERT_OK_AND_ASSIGN(s, bulk->Commit(&rejected));
  EXPECT_EQ(s.written, 30000);
  int series = 0;
  ASSERT_OK(db->ForEachSeries("edss", [&](const Patient&, const std::vector<Observation>& t) {
    series += !t.empty();
    return absl::OkStatus();
  }));
  EXPECT_EQ(series, 101);
  ASSERT_OK_AND_ASSIGN(auto audit, db->AuditLog(std::string("P1")));
  EXPECT_EQ(audit.back().provenance.user, "dr.who");

  // The serving process exits: this one takes over, unnoticed by its calls.
  EXPECT_EQ(Wait(holder), 0);
  in.time = CivilTime::FromDay(19200);
  ASSERT_OK(db->Record(in));
  ASSERT_OK_AND_ASSIGN(now, db->Trajectory("P1", "edss"));
  EXPECT_EQ(now.size(), 3u);
  EXPECT_EQ(Holder(db_path), 0);  // this process holds it now
  // A snapshot of the process that went away ends with a clear error.
  EXPECT_THAT(snap->Trajectory("P1", "edss"),
              testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr("snapshot ended")));

  // Closed is closed.
  db->Close();
  EXPECT_THAT(db->Trajectory("P1", "edss"),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
}

TEST(MultiProcessTest, ReadOnlyHandlesSeeLaterWrites) {
  TempDir dir;
  const std::string db_path = dir.File("db");
  Child holder = Spawn({COTRACK_MP_WORKER, "--db", db_path, "--hold"}, dir.File("holder.out"));
  AwaitLine(holder, "ready");
  Options ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto reader, Database::Open(db_path, ro));
  Child writer = Worker(dir, db_path, "R", 30);
  EXPECT_EQ(Wait(writer), 0) << Output(writer);
  ExpectAcknowledgedVisits(*reader, {writer}, 30);
  EXPECT_THAT(reader->Record(Edss("R-0", 1, 1.0)),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("read-only")));
  EXPECT_EQ(Wait(holder), 0);
}

}  // namespace
}  // namespace cotrack
