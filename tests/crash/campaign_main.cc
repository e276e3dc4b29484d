// cotrack_crash_campaign: DESIGN.md §3.1, 3.2 and 3.6 under many kills.
//
// Repeatedly starts a writer child, kills it with SIGKILL at a random moment,
// reopens the database and verifies it. Two kinds of writer:
//   * `cotrack import` of freshly generated files (3 observation files and 1
//     patients file per round): each file must be all there or all absent,
//     and every file whose summary line the importer printed must be there;
//   * this binary in writer mode, recording single visits (4 measures at one
//     date) through Database::RecordVisit and printing each visit's id on
//     stdout (a pipe) once the call has returned: every printed id must be
//     there whole, and no visit may be half there.
// After each kill the database must open, every trajectory, visit, patient
// and the audit log must read back without error, and `cotrack check` (when
// the binary has it) must pass. A database lives for --epoch rounds, so the
// same store goes through many crash recoveries.
//
// Usage:
//   cotrack_crash_campaign --kills N [--seed S] [--dir D] [--epoch E]
//                          [--cotrack PATH] [--verbose]
// Exit 0 when every round verified, 1 on the first finding (its database is
// kept under D/finding-*), 2 on bad usage.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cotrack/database.h"

#ifndef COTRACK_BINARY
#define COTRACK_BINARY "cotrack"
#endif

namespace cotrack::crash {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Visits written by the writer mode. Visit k is a pure function of k, so the
// verifier knows what must be there without talking to the writer.

constexpr int kVisitPatients = 25;
constexpr int64_t kVisitBaseDay = 10957;                                // 2000-01-01
const char* const kVisitMeasures[] = {"ais", "edss", "hba1c", "hypo"};  // Visit() order
constexpr size_t kVisitMeasureCount = 4;

std::string VisitPatient(int64_t k) { return absl::StrCat("V", k % kVisitPatients); }
CivilTime VisitDate(int64_t k) { return CivilTime::FromDay(kVisitBaseDay + k); }

// The value of measure `m` (index into kVisitMeasures) at visit k; each is
// valid for its measure and differs between neighbouring visits.
double VisitValue(int64_t k, size_t m) {
  static const double kEdss[] = {0,   1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0,
                                 5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10};
  switch (m) {
    case 0:
      return static_cast<double>(k % 25);  // ais 0-24
    case 1:
      return kEdss[k % 20];
    case 2:
      return 4.0 + static_cast<double>(k % 100) / 10.0;  // hba1c %
    default:
      return static_cast<double>(k % 1000);  // hypo count
  }
}

std::vector<ObservationInput> MakeVisit(int64_t k) {
  std::vector<ObservationInput> visit;
  for (size_t m = 0; m < kVisitMeasureCount; ++m) {
    ObservationInput obs;
    obs.patient = VisitPatient(k);
    obs.measure = kVisitMeasures[m];
    obs.time = VisitDate(k);
    obs.value = VisitValue(k, m);
    obs.visit = absl::StrCat("K", k);
    obs.provenance.source = "crash-campaign";
    visit.push_back(std::move(obs));
  }
  return visit;
}

// Every fourth visit is written without sync: it must survive a process kill
// too (the WAL write reaches the kernel before the call returns), only not a
// power loss.
bool VisitIsSynced(int64_t k) { return k % 4 != 3; }

// Writer mode: records visits first, first+1, ... (at most `count`), printing
// "k\n" on stdout after each RecordVisit returns OK.
int RunWriter(const std::string& db_path, int64_t first, int64_t count) {
  auto db = Database::Open(db_path);
  if (!db.ok()) {
    absl::FPrintF(stderr, "writer: open %s: %s\n", db_path, db.status().ToString());
    return 1;
  }
  for (int64_t k = first; k < first + count; ++k) {
    WriteOptions options;
    options.sync = VisitIsSynced(k);
    auto summary = (*db)->RecordVisit(MakeVisit(k), options);
    if (!summary.ok()) {
      absl::FPrintF(stderr, "writer: visit %d: %s\n", k, summary.status().ToString());
      return 1;
    }
    const std::string line = absl::StrCat(k, "\n");
    // A plain write(2): nothing is buffered in this process, so what the
    // parent reads is exactly what was acknowledged before the kill.
    if (write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Import files, generated fresh each import round.

constexpr int kObsFilesPerRound = 3;
constexpr int kPatientsPerFile = 60;
constexpr int kRowsPerPatient = 6;
constexpr int kPatientsInPatientsFile = 150;

struct ImportFile {
  std::string path;
  bool patients_file = false;
  std::string prefix;  // every patient id in the file starts with it
  int round = 0;
  int index = 0;
  bool acknowledged = false;   // the importer printed its summary line
  bool known_present = false;  // seen whole after some kill: must stay
};

std::string ObsPatient(const ImportFile& f, int p) { return absl::StrCat(f.prefix, p); }
int64_t ObsYear(int v) { return 2010 + v; }
double ObsValue(const ImportFile& f, int p, int v) {
  return 1.0 + 0.5 * ((f.round + f.index + p + v) % 12);  // edss 1.0 .. 6.5
}
CivilTime ObsDate(int p, int v) {
  return CivilTime::FromDay(DaysFromCivil(ObsYear(v), 1 + p % 12, 1 + p % 28));
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ImportFile>> WriteRoundFiles(const std::string& dir, int round) {
  std::vector<ImportFile> files;
  for (int i = 0; i < kObsFilesPerRound; ++i) {
    ImportFile f;
    f.round = round;
    f.index = i;
    f.prefix = absl::StrCat("R", round, "F", i, "P");
    f.path = absl::StrCat(dir, "/r", round, "-obs", i, ".csv");
    std::string csv = "patient,measure,date,value\n";
    for (int p = 0; p < kPatientsPerFile; ++p) {
      for (int v = 0; v < kRowsPerPatient; ++v) {
        absl::StrAppend(&csv, ObsPatient(f, p), ",edss,", FormatCivilTime(ObsDate(p, v)), ",",
                        absl::StrFormat("%.1f", ObsValue(f, p, v)), "\n");
      }
    }
    auto st = WriteText(f.path, csv);
    if (!st.ok()) return st;
    files.push_back(f);
  }
  ImportFile pf;
  pf.round = round;
  pf.index = kObsFilesPerRound;
  pf.patients_file = true;
  pf.prefix = absl::StrCat("R", round, "Q");
  pf.path = absl::StrCat(dir, "/r", round, "-patients.csv");
  std::string csv = "patient,arm,index_date,sex\n";
  for (int p = 0; p < kPatientsInPatientsFile; ++p) {
    absl::StrAppend(&csv, pf.prefix, p, ",", p % 2 ? "A" : "B", ",2012-0", 1 + p % 9, "-15,",
                    p % 3 ? "F" : "M", "\n");
  }
  auto st = WriteText(pf.path, csv);
  if (!st.ok()) return st;
  // The patients file goes in the middle, so kills hit it between others.
  files.insert(files.begin() + 1, pf);
  return files;
}

// ---------------------------------------------------------------------------
// Child processes.

struct Child {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
  std::string out;
  std::string err;
};

absl::StatusOr<Child> Spawn(const std::vector<std::string>& args) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0) return absl::InternalError("pipe failed");
  if (pipe(err_pipe) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> storage = args;
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    unsetenv("COTRACK_DB");
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  Child c;
  c.pid = pid;
  c.out_fd = out_pipe[0];
  c.err_fd = err_pipe[0];
  return c;
}

// Reads what the child wrote until `deadline` (or, when unset, until both
// pipes close). Returns true when both pipes closed.
bool Drain(Child& c, std::optional<Clock::time_point> deadline) {
  char buf[65536];
  while (c.out_fd >= 0 || c.err_fd >= 0) {
    pollfd fds[2] = {{c.out_fd, POLLIN, 0}, {c.err_fd, POLLIN, 0}};
    int timeout_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) return false;
      timeout_ms = static_cast<int>(left.count());
    }
    int n = poll(fds, 2, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    int* fd_of[2] = {&c.out_fd, &c.err_fd};
    std::string* sink[2] = {&c.out, &c.err};
    for (int i = 0; i < 2; ++i) {
      if (*fd_of[i] < 0 || fds[i].revents == 0) continue;
      ssize_t r = read(*fd_of[i], buf, sizeof(buf));
      if (r > 0) {
        sink[i]->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        close(*fd_of[i]);
        *fd_of[i] = -1;
      }
    }
  }
  return true;
}

// Lets the child run for `delay`, then SIGKILLs it; returns true when the
// kill landed while it was running (false when it had already exited).
bool KillAfter(Child& c, std::chrono::microseconds delay, int* exit_status) {
  const auto deadline = Clock::now() + delay;
  // Sleeping in poll keeps the pipes drained so the child never blocks.
  while (Clock::now() < deadline) {
    if (Drain(c, deadline)) break;
  }
  const bool was_running = waitpid(c.pid, exit_status, WNOHANG) == 0;
  if (was_running) {
    kill(c.pid, SIGKILL);
    waitpid(c.pid, exit_status, 0);
  }
  Drain(c, std::nullopt);
  return was_running;
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
RunResult RunToEnd(const std::vector<std::string>& args) {
  RunResult r;
  auto c = Spawn(args);
  if (!c.ok()) {
    r.err = c.status().ToString();
    return r;
  }
  Drain(*c, std::nullopt);
  int status = 0;
  waitpid(c->pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = std::move(c->out);
  r.err = std::move(c->err);
  return r;
}

// ---------------------------------------------------------------------------
// The campaign.

struct Config {
  int kills = 25;
  uint64_t seed = 1;
  std::string dir;
  int epoch = 40;
  std::string cotrack = COTRACK_BINARY;
  std::string self;
  bool verbose = false;
};

struct Stats {
  int rounds = 0;
  int kills_mid_run = 0;
  int import_rounds = 0;
  int visit_rounds = 0;
  int64_t visits_acknowledged = 0;
  int64_t visits_acknowledged_unsynced = 0;
  int64_t files_acknowledged = 0;
  int64_t files_present = 0;
  int64_t files_absent = 0;
  int checks_run = 0;
  int interrupted_creations = 0;  // see Campaign::Verify
  int epochs = 0;
};

class Campaign {
 public:
  explicit Campaign(Config config) : config_(std::move(config)), rng_(config_.seed) {}

  int Run();

 private:
  std::string DbPath() const { return absl::StrCat(config_.dir, "/db-", stats_.epochs); }
  absl::Status Calibrate();
  absl::Status ImportRound(int round);
  absl::Status VisitRound(int round);
  // Reopens the database and checks everything known about it.
  absl::Status Verify(int round);
  absl::Status VerifyFile(Database& db, ImportFile& f);
  absl::Status VerifyVisit(Database& db, int64_t k, bool acknowledged, bool* present);
  absl::Status ReadEverything(Database& db);
  void NewEpoch();
  std::chrono::microseconds RandomDelay(std::chrono::microseconds span) {
    // Up to 20% past the undisturbed run time, so some kills find the child
    // done (or closing) and most find it mid-write.
    return std::chrono::microseconds(
        std::uniform_int_distribution<int64_t>(0, span.count() * 6 / 5)(rng_));
  }

  Config config_;
  std::mt19937_64 rng_;
  Stats stats_;
  bool has_check_ = false;
  std::chrono::microseconds import_span_{0};
  std::chrono::microseconds visit_span_{0};
  // State of the current epoch's database.
  std::vector<ImportFile> files_;
  std::set<int64_t> acknowledged_visits_;
  std::set<int64_t> present_visits_;
  int64_t next_visit_ = 0;
  bool db_exists_ = false;
};

absl::Status Campaign::Calibrate() {
  // One undisturbed import and one undisturbed batch of visits: kills are
  // spread over those spans.
  const std::string calib = absl::StrCat(config_.dir, "/calibration");
  fs::remove_all(calib);
  fs::create_directories(calib);
  auto files = WriteRoundFiles(calib, 0);
  if (!files.ok()) return files.status();
  std::vector<std::string> args = {config_.cotrack, "--db", calib + "/db", "import"};
  for (const auto& f : *files) args.push_back(f.path);
  auto t0 = Clock::now();
  RunResult r = RunToEnd(args);
  import_span_ = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("calibration import failed (exit ", r.exit_code, "): ", r.err));
  }
  t0 = Clock::now();
  r = RunToEnd({config_.self, "--writer", "--db", calib + "/db", "--first", "0", "--count", "40"});
  visit_span_ = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("calibration writer failed (exit ", r.exit_code, "): ", r.err));
  }
  fs::remove_all(calib);
  absl::FPrintF(stderr, "calibration: import %d ms, 40 visits %d ms\n", import_span_.count() / 1000,
                visit_span_.count() / 1000);
  return absl::OkStatus();
}

void Campaign::NewEpoch() {
  for (const auto& f : files_) fs::remove(f.path);
  fs::remove_all(DbPath());
  ++stats_.epochs;
  files_.clear();
  acknowledged_visits_.clear();
  present_visits_.clear();
  next_visit_ = 0;
  db_exists_ = false;
}

absl::Status Campaign::ImportRound(int round) {
  ++stats_.import_rounds;
  auto files = WriteRoundFiles(config_.dir, round);
  if (!files.ok()) return files.status();
  std::vector<std::string> args = {config_.cotrack, "--db", DbPath(), "import"};
  for (const auto& f : *files) args.push_back(f.path);
  auto child = Spawn(args);
  if (!child.ok()) return child.status();
  int status = 0;
  if (KillAfter(*child, RandomDelay(import_span_), &status)) ++stats_.kills_mid_run;
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("round ", round, ": import exited ",
                                            WEXITSTATUS(status), " without a kill: ", child->err));
  }
  // The importer prints "PATH (FORMAT): N rows read: ..." only after the
  // file's durable write returned.
  int acknowledged = 0;
  for (absl::string_view line : absl::StrSplit(child->err, '\n')) {
    for (auto& f : *files) {
      if (absl::StartsWith(line, f.path + " (") && absl::StrContains(line, "rows read")) {
        f.acknowledged = true;
        ++acknowledged;
      }
    }
  }
  stats_.files_acknowledged += acknowledged;
  if (config_.verbose) {
    absl::FPrintF(stderr, "round %d: import, %d of %d files acknowledged\n", round, acknowledged,
                  files->size());
  }
  const size_t first_new = files_.size();
  files_.insert(files_.end(), files->begin(), files->end());
  absl::Status st = Verify(round);
  if (!st.ok()) return st;
  for (size_t i = first_new; i < files_.size(); ++i) {
    if (files_[i].known_present) {
      ++stats_.files_present;
    } else {
      ++stats_.files_absent;
    }
  }
  return absl::OkStatus();
}

absl::Status Campaign::VisitRound(int round) {
  ++stats_.visit_rounds;
  const int64_t first = next_visit_;
  auto child = Spawn({config_.self, "--writer", "--db", DbPath(), "--first", absl::StrCat(first),
                      "--count", "1000000"});
  if (!child.ok()) return child.status();
  int status = 0;
  if (KillAfter(*child, RandomDelay(visit_span_), &status)) ++stats_.kills_mid_run;
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("round ", round, ": writer exited ",
                                            WEXITSTATUS(status), " without a kill: ", child->err));
  }
  int64_t last = first - 1;
  for (absl::string_view line : absl::StrSplit(child->out, '\n', absl::SkipEmpty())) {
    int64_t k = 0;
    if (!absl::SimpleAtoi(line, &k) || k != last + 1) {
      // A torn last line cannot happen (one write(2) per line); anything
      // else means the protocol broke.
      return absl::InternalError(
          absl::StrCat("round ", round, ": writer printed \"", line, "\" after ", last));
    }
    last = k;
    acknowledged_visits_.insert(k);
    ++stats_.visits_acknowledged;
    if (!VisitIsSynced(k)) ++stats_.visits_acknowledged_unsynced;
  }
  // The visit being written when the kill landed may or may not be there;
  // the next writer starts right after it (re-recording it is a no-op).
  next_visit_ = last + 2;
  if (config_.verbose) {
    absl::FPrintF(stderr, "round %d: visits %d..%d acknowledged\n", round, first, last);
  }
  return Verify(round);
}

absl::Status Campaign::VerifyFile(Database& db, ImportFile& f) {
  const bool acknowledged = f.acknowledged;
  int64_t present = 0, expected = 0;
  if (f.patients_file) {
    expected = kPatientsInPatientsFile;
    for (int p = 0; p < kPatientsInPatientsFile; ++p) {
      auto patient = db.GetPatient(absl::StrCat(f.prefix, p));
      if (patient.ok()) {
        ++present;
        if (patient->arm != (p % 2 ? "A" : "B")) {
          return absl::DataLossError(
              absl::StrCat(f.path, ": patient ", patient->id, " has arm \"", patient->arm, "\""));
        }
      } else if (!absl::IsNotFound(patient.status())) {
        return patient.status();
      }
    }
  } else {
    expected = int64_t{kPatientsPerFile} * kRowsPerPatient;
    for (int p = 0; p < kPatientsPerFile; ++p) {
      auto t = db.Trajectory(ObsPatient(f, p), "edss");
      if (absl::IsNotFound(t.status())) continue;  // patient unknown: none of its rows
      if (!t.ok()) return t.status();
      for (const Observation& o : *t) {
        bool matched = false;
        for (int v = 0; v < kRowsPerPatient; ++v) {
          if (o.time == ObsDate(p, v) && o.value == ObsValue(f, p, v)) matched = true;
        }
        if (!matched) {
          return absl::DataLossError(absl::StrCat(f.path, ": ", o.patient, " has ", o.value, " at ",
                                                  FormatCivilTime(o.time),
                                                  ", which the file does not hold"));
        }
        ++present;
      }
    }
  }
  if (present != 0 && present != expected) {
    return absl::DataLossError(absl::StrCat(f.path, " is half there: ", present, " of ", expected,
                                            " records (atomic import broken)"));
  }
  if (present == 0 && (acknowledged || f.known_present)) {
    return absl::DataLossError(absl::StrCat(
        f.path, acknowledged ? " was acknowledged by the importer" : " was seen whole earlier",
        " but is missing (durable write lost)"));
  }
  if (present == expected) f.known_present = true;
  return absl::OkStatus();
}

absl::Status Campaign::VerifyVisit(Database& db, int64_t k, bool acknowledged, bool* present) {
  auto visit = db.Visit(VisitPatient(k), VisitDate(k));
  if (absl::IsNotFound(visit.status())) visit = std::vector<Observation>();  // unknown patient
  if (!visit.ok()) return visit.status();
  *present = !visit->empty();
  if (visit->empty()) {
    if (acknowledged) {
      return absl::DataLossError(
          absl::StrCat("visit ", k, " (", VisitPatient(k), " ", FormatCivilTime(VisitDate(k)), ", ",
                       VisitIsSynced(k) ? "sync" : "no sync", ") was acknowledged but is missing"));
    }
    if (present_visits_.count(k)) {
      return absl::DataLossError(absl::StrCat("visit ", k, " was seen earlier but is missing"));
    }
    return absl::OkStatus();
  }
  if (visit->size() != kVisitMeasureCount) {
    return absl::DataLossError(absl::StrCat("visit ", k, " is half there: ", visit->size(), " of ",
                                            kVisitMeasureCount, " measures"));
  }
  for (size_t m = 0; m < kVisitMeasureCount; ++m) {
    const Observation& o = (*visit)[m];
    if (o.measure != kVisitMeasures[m] || o.value != VisitValue(k, m)) {
      return absl::DataLossError(absl::StrCat("visit ", k, ": ", o.measure, " = ", o.value,
                                              ", expected ", kVisitMeasures[m], " = ",
                                              VisitValue(k, m)));
    }
  }
  return absl::OkStatus();
}

absl::Status Campaign::ReadEverything(Database& db) {
  auto patients = db.ListPatients();
  if (!patients.ok()) return patients.status();
  for (const Patient& p : *patients) {
    auto latest = db.LatestAll(p.id);
    if (!latest.ok()) return latest.status();
    for (const Observation& o : *latest) {
      auto t = db.Trajectory(p.id, o.measure);
      if (!t.ok()) return t.status();
      if (t->empty()) {
        return absl::DataLossError(
            absl::StrCat(p.id, " ", o.measure, ": latest value but empty trajectory"));
      }
    }
    auto history = db.PatientHistory(p.id);
    if (!history.ok()) return history.status();
  }
  auto audit = db.AuditLog();
  if (!audit.ok()) return audit.status();
  return absl::OkStatus();
}

absl::Status Campaign::Verify(int round) {
  const std::string path = DbPath();
  const bool anything_acknowledged =
      db_exists_ || !acknowledged_visits_.empty() ||
      std::any_of(files_.begin(), files_.end(), [](const ImportFile& f) { return f.acknowledged; });
  if (!fs::exists(path)) {
    // Killed before the database was created: nothing may have been
    // acknowledged.
    if (anything_acknowledged) {
      return absl::DataLossError(
          absl::StrCat("round ", round, ": database directory ", path, " is gone"));
    }
    return absl::OkStatus();
  }
  {
    Options options;
    options.create_if_missing = false;
    auto db = Database::Open(path, options);
    if (!db.ok()) {
      // A database killed while being created may not be openable yet, as
      // long as nothing was ever acknowledged in it.
      if (!anything_acknowledged) {
        // Finding 1 (reported): a kill while the first writer is creating the
        // database (between RocksDB creating it and creating the column
        // families) leaves a directory that a non-creating open rejects
        // ("Column family not found"); the next writer repairs it. Nothing
        // acknowledged is at stake, so this is counted, not fatal.
        if (!absl::IsNotFound(db.status())) {
          ++stats_.interrupted_creations;
          if (config_.verbose || stats_.interrupted_creations == 1) {
            absl::FPrintF(stderr, "round %d: note: database killed while being created: %s\n",
                          round, db.status().ToString());
          }
        }
        return absl::OkStatus();
      }
      return absl::Status(
          db.status().code(),
          absl::StrCat("round ", round, ": reopen failed: ", db.status().message()));
    }
    db_exists_ = true;
    auto prefix = [round](const absl::Status& st) {
      return absl::Status(st.code(), absl::StrCat("round ", round, ": ", st.message()));
    };
    for (ImportFile& f : files_) {
      absl::Status st = VerifyFile(**db, f);
      if (!st.ok()) return prefix(st);
    }
    for (int64_t k = 0; k < next_visit_; ++k) {
      bool present = false;
      absl::Status st = VerifyVisit(**db, k, acknowledged_visits_.count(k) > 0, &present);
      if (!st.ok()) return prefix(st);
      if (present) present_visits_.insert(k);
    }
    absl::Status st = ReadEverything(**db);
    if (!st.ok()) return prefix(st);
  }
  if (has_check_) {
    ++stats_.checks_run;
    RunResult r = RunToEnd({config_.cotrack, "--db", path, "check"});
    if (r.exit_code != 0) {
      return absl::DataLossError(absl::StrCat("round ", round, ": cotrack check failed (exit ",
                                              r.exit_code, "): ", r.out, r.err));
    }
  }
  return absl::OkStatus();
}

int Campaign::Run() {
  fs::create_directories(config_.dir);
  has_check_ = RunToEnd({config_.cotrack, "check", "--help"}).exit_code == 0;
  absl::FPrintF(stderr, "crash campaign: %d kills, seed %d, dir %s; verifying with %s\n",
                config_.kills, config_.seed, config_.dir,
                has_check_ ? "cotrack check + full reads" : "full reads (no cotrack check)");
  absl::Status st = Calibrate();
  if (!st.ok()) {
    absl::FPrintF(stderr, "crash campaign: %s\n", st.ToString());
    return 1;
  }
  NewEpoch();
  stats_.epochs = 0;
  fs::remove_all(DbPath());
  const auto start = Clock::now();
  for (int round = 1; round <= config_.kills; ++round) {
    if (round > 1 && (round - 1) % config_.epoch == 0) NewEpoch();
    ++stats_.rounds;
    const bool import = std::uniform_int_distribution<int>(0, 1)(rng_) == 0;
    st = import ? ImportRound(round) : VisitRound(round);
    if (!st.ok()) {
      const std::string kept = absl::StrCat(config_.dir, "/finding-round", round);
      std::error_code ec;
      fs::remove_all(kept, ec);
      fs::copy(DbPath(), kept, fs::copy_options::recursive, ec);
      absl::FPrintF(stderr,
                    "crash campaign: FINDING in round %d (%s writer, seed %d): %s\n"
                    "crash campaign: database kept in %s\n",
                    round, import ? "import" : "visit", config_.seed, st.ToString(), kept);
      return 1;
    }
    if (!config_.verbose && round % 50 == 0) {
      absl::FPrintF(stderr, "crash campaign: %d kills done\n", round);
    }
  }
  NewEpoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count();
  absl::FPrintF(stderr,
                "crash campaign: OK: %d kills (%d landed mid-run) in %d s, %d databases; "
                "%d import rounds (%d files acknowledged; %d files whole, %d absent after the "
                "kill), %d visit rounds (%d visits acknowledged, %d of them unsynced); %d "
                "cotrack check runs; %d kills during database creation left it unopenable "
                "until the next writer\n",
                stats_.rounds, stats_.kills_mid_run, secs, stats_.epochs, stats_.import_rounds,
                stats_.files_acknowledged, stats_.files_present, stats_.files_absent,
                stats_.visit_rounds, stats_.visits_acknowledged,
                stats_.visits_acknowledged_unsynced, stats_.checks_run,
                stats_.interrupted_creations);
  return 0;
}

int Usage(const std::string& message) {
  absl::FPrintF(stderr,
                "cotrack_crash_campaign: %s\n"
                "Usage: cotrack_crash_campaign --kills N [--seed S] [--dir D] [--epoch E]\n"
                "                              [--cotrack PATH] [--verbose]\n",
                message);
  return 2;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto value = [&](size_t& i, std::string* out) {
    if (i + 1 >= args.size()) return false;
    *out = args[++i];
    return true;
  };
  bool writer = false;
  std::string db, first = "0", count = "1000000";
  std::string kills, seed, epoch;
  Config config;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool ok = true;
    if (a == "--writer") {
      writer = true;
    } else if (a == "--verbose") {
      config.verbose = true;
    } else if (a == "--db") {
      ok = value(i, &db);
    } else if (a == "--first") {
      ok = value(i, &first);
    } else if (a == "--count") {
      ok = value(i, &count);
    } else if (a == "--kills") {
      ok = value(i, &kills);
    } else if (a == "--seed") {
      ok = value(i, &seed);
    } else if (a == "--dir") {
      ok = value(i, &config.dir);
    } else if (a == "--epoch") {
      ok = value(i, &epoch);
    } else if (a == "--cotrack") {
      ok = value(i, &config.cotrack);
    } else if (a == "--help") {
      Usage("crash-tests cotrack by killing writers");
      return 0;
    } else {
      return Usage(absl::StrCat("unknown argument \"", a, "\""));
    }
    if (!ok) return Usage(absl::StrCat(a, " needs a value"));
  }
  if (writer) {
    int64_t f = 0, c = 0;
    if (db.empty() || !absl::SimpleAtoi(first, &f) || !absl::SimpleAtoi(count, &c) || c < 0) {
      return Usage("--writer needs --db DIR and numeric --first/--count");
    }
    return RunWriter(db, f, c);
  }
  if (!kills.empty() && (!absl::SimpleAtoi(kills, &config.kills) || config.kills < 1)) {
    return Usage(absl::StrCat("--kills: bad value \"", kills, "\" (expected a positive integer)"));
  }
  if (!seed.empty() && !absl::SimpleAtoi(seed, &config.seed)) {
    return Usage(absl::StrCat("--seed: bad value \"", seed, "\" (expected an integer)"));
  }
  if (!epoch.empty() && (!absl::SimpleAtoi(epoch, &config.epoch) || config.epoch < 1)) {
    return Usage(absl::StrCat("--epoch: bad value \"", epoch, "\" (expected a positive integer)"));
  }
  if (config.dir.empty()) {
    config.dir = (fs::temp_directory_path() / absl::StrCat("cotrack-crash-", getpid())).string();
  }
  std::error_code ec;
  config.self = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) return Usage("cannot find this program's own path in /proc/self/exe");
  config.dir = fs::absolute(config.dir).string();
  return Campaign(std::move(config)).Run();
}

}  // namespace
}  // namespace cotrack::crash

int main(int argc, char** argv) { return cotrack::crash::Main(argc, argv); }
