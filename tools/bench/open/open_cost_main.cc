// cotrack_open_bench: what opening a database costs a new process, at
// several registry sizes (issue 12: "open cost independent of size").
//
// For each size it builds a registry (2 EDSS values per patient, through
// Database::BeginBulkWrite in batches of 10,000 patients, i.e. one ingested
// write per batch as an import of many files would make) and an equivalent
// SQLite file, then measures, as medians over --runs runs, each with a random
// patient:
//   a. nobody has the database open: the whole `cotrack latest P edss` process
//      (spawn to exit), and, in a child of this program, Database::Open plus
//      the first Latest;
//   b. the same while another process (a "holder" child) holds it, so that the
//      new process is served over the socket;
//   c. resident memory a process gains at Database::Open and at its first
//      query, as the process that holds the database and as a client;
//   e. the `sqlite3` command line running the equivalent query on the SQLite
//      file, for the cotrack/SQLite ratio of a cold process;
// and, in up to 5 new processes, the latency of the first point queries after
// open (table files are opened when a read first needs them).
// And once, on a copy of the smallest registry:
//   d. a burst of small sync=false writes (RecordVisit of 3 measures) from one
//      process that then closes the database or is SIGKILLed, and the reopen
//      that follows (new process, open + first query): the write-ahead log the
//      burst leaves behind is what that reopen replays. With --baseline, the
//      same runs with another build's binaries (an engine without the change)
//      for an A/B in one run.
//
// The children are this program itself (--role ...) or the cotrack and
// sqlite3 command lines; the parent never opens a database, so it stays a
// small single-threaded process and spawning stays cheap. stdout is the
// report (Markdown), stderr is progress. A tool, not a test.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cotrack/civil_time.h"
#include "cotrack/database.h"
#include "process.h"

#ifndef COTRACK_CLI_PATH
#define COTRACK_CLI_PATH ""
#endif

namespace cotrack::openbench {
namespace {

constexpr const char* kUsage = R"(usage: cotrack_open_bench [flags]

Measures the cost of opening a cotrack database in a new process (open plus
the first point query, resident memory, reopening after a burst of writes)
at several registry sizes, beside the sqlite3 command line on an equivalent
SQLite file, and prints Markdown tables to stdout.

  --sizes LIST       registry sizes in patients (default
                     30000,100000,300000,1000000); 2 EDSS values each
  --runs N           runs per figure; every figure is a median (default 15)
  --dir DIR          work directory (default /tmp/cotrack-open-bench); the
                     generated registries are kept there and reused
  --fresh            regenerate the registries even when DIR has them
  --compact          compact each registry after generating it (default: as
                     written, one ingested write per 10,000 patients)
  --cotrack PATH     the cotrack command line (default: the one built with
                     this program)
  --sqlite3 PATH     the sqlite3 command line (default /usr/bin/sqlite3;
                     "none" skips the SQLite side)
  --parts LIST       subset of open,held,queries,sqlite,wal (default all)
  --queries N        point queries per pass in the queries part (default 2000)
  --wal-visits N     visits in the write burst of the WAL scenario (default
                     200000)
  --baseline DIR     a build directory of another engine (with
                     tools/cotrack and tools/bench/cotrack_open_bench): the
                     WAL scenario runs with it too, for an A/B
  --seed S           seed of the random patients (default 42)
)";

// ---------------------------------------------------------------------------
// The generated registry. Patient i (0-based) is "P%07d" with two EDSS values;
// the SQLite side computes the same rows in SQL (see SqliteScript).

constexpr int64_t kBatchPatients = 10000;

std::string PatientId(int64_t i) { return absl::StrFormat("P%07d", i); }

int64_t BaseDay() { return DaysFromCivil(2012, 1, 1); }

// Days after 2012-01-01 of patient i's value j (0 or 1).
int64_t DayOffset(int64_t i, int j) {
  const int64_t first = (i * 7919) % 2500;
  return j == 0 ? first : first + 365 + i % 60;
}

// One of the valid EDSS values 0, 1.0, 1.5 ... 10.
double Edss(int64_t i, int j) {
  const int64_t k = (i * 37 + j * 11) % 20;
  return k == 0 ? 0.0 : 0.5 + 0.5 * static_cast<double>(k);
}

std::string SqliteScript(int64_t patients) {
  std::string sql =
      "CREATE TABLE obs(patient TEXT NOT NULL, measure TEXT NOT NULL, date TEXT NOT NULL, "
      "value REAL NOT NULL);\nBEGIN;\n";
  for (int j = 0; j < 2; ++j) {
    const std::string offset = j == 0 ? "((i*7919) % 2500)" : "((i*7919) % 2500 + 365 + i % 60)";
    absl::StrAppendFormat(&sql,
                          "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i < "
                          "%d) INSERT INTO obs SELECT printf('P%%07d', i), 'edss', "
                          "date('2012-01-01', '+' || %s || ' days'), CASE WHEN (i*37 + %d) %% 20 "
                          "= 0 THEN 0.0 ELSE 0.5 + 0.5 * ((i*37 + %d) %% 20) END FROM n;\n",
                          patients - 1, offset, j * 11, j * 11);
  }
  sql += "COMMIT;\nCREATE INDEX obs_patient_measure_date ON obs(patient, measure, date);\n";
  return sql;
}

std::string SqliteQuery(const std::string& patient) {
  return absl::StrCat("SELECT patient, measure, date, value FROM obs WHERE patient = '", patient,
                      "' AND measure = 'edss' ORDER BY date DESC LIMIT 1;");
}

// ---------------------------------------------------------------------------
// Child roles (this program run with --role ...). Each prints one line of
// space-separated integers on stdout.

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "cotrack_open_bench child: %s\n", s.ToString().c_str());
  return 1;
}

// gen DB N COMPACT: the registry, one bulk write per kBatchPatients patients.
int RoleGen(const std::string& dir, int64_t patients, bool compact) {
  const int64_t start = NowNanos();
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir);
  if (!db.ok()) return Fail(db.status());
  for (int64_t first = 0; first < patients; first += kBatchPatients) {
    const int64_t end = std::min(patients, first + kBatchPatients);
    auto bulk = (*db)->BeginBulkWrite(WriteOptions(), "import",
                                      absl::StrCat("generated patients ", first, "-", end - 1));
    if (!bulk.ok()) return Fail(bulk.status());
    Batch batch;
    batch.Reserve(static_cast<size_t>(2 * (end - first)));
    for (int64_t i = first; i < end; ++i) {
      for (int j = 0; j < 2; ++j) {
        ObservationInput o;
        o.patient = PatientId(i);
        o.measure = "edss";
        o.time = CivilTime::FromDay(BaseDay() + DayOffset(i, j));
        o.value = Edss(i, j);
        o.visit = j == 0 ? "M0" : "M12";
        o.provenance.source = "generated.csv";
        o.provenance.line = 2 * i + j + 2;
        batch.Record(std::move(o));
      }
    }
    if (absl::Status s = (*bulk)->Add(batch, nullptr); !s.ok()) return Fail(s);
    if (auto s = (*bulk)->Commit(); !s.ok()) return Fail(s.status());
  }
  if (compact) {
    if (absl::Status s = (*db)->Compact(); !s.ok()) return Fail(s);
  }
  db->reset();
  std::printf("%" PRId64 "\n", NowNanos() - start);
  return 0;
}

// open DB PATIENT: Database::Open and the first Latest, timed; then Close.
// Prints open_ns query_ns close_ns rss_before rss_open rss_query rows.
int RoleOpen(const std::string& dir, const std::string& patient) {
  const int64_t rss0 = RssBytes();
  const int64_t t0 = NowNanos();
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir);
  if (!db.ok()) return Fail(db.status());
  const int64_t t1 = NowNanos();
  const int64_t rss1 = RssBytes();
  absl::StatusOr<std::vector<Observation>> latest = (*db)->Latest(patient, "edss");
  if (!latest.ok()) return Fail(latest.status());
  const int64_t t2 = NowNanos();
  const int64_t rss2 = RssBytes();
  db->reset();
  const int64_t t3 = NowNanos();
  std::printf("%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %zu\n",
              t1 - t0, t2 - t1, t3 - t2, rss0, rss1, rss2, latest->size());
  return 0;
}

// holder DB PATIENT: opens the database, queries once, says "ready ..." and
// holds it (serving other processes) until its stdin ends.
int RoleHolder(const std::string& dir, const std::string& patient) {
  const int64_t rss0 = RssBytes();
  const int64_t t0 = NowNanos();
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir);
  if (!db.ok()) return Fail(db.status());
  const int64_t t1 = NowNanos();
  const int64_t rss1 = RssBytes();
  absl::StatusOr<std::vector<Observation>> latest = (*db)->Latest(patient, "edss");
  if (!latest.ok()) return Fail(latest.status());
  const int64_t t2 = NowNanos();
  const int64_t rss2 = RssBytes();
  std::printf("ready %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n", t1 - t0,
              t2 - t1, rss0, rss1, rss2);
  std::fflush(stdout);
  char buf[256];
  while (::read(0, buf, sizeof buf) > 0) {
  }
  db->reset();
  return 0;
}

// burst DB VISITS PATIENTS close|kill: VISITS RecordVisit calls of 3 measures
// with sync=false for patients 0..PATIENTS-1, at dates after their stored
// ones; then closes the database or SIGKILLs itself. Prints burst_ns close_ns.
int RoleBurst(const std::string& dir, int64_t visits, int64_t patients, bool kill) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir);
  if (!db.ok()) return Fail(db.status());
  WriteOptions wo;
  wo.sync = false;
  std::vector<ObservationInput> visit(3);
  visit[0].measure = "edss";
  visit[1].measure = "hba1c";
  visit[2].measure = "il4";
  const int64_t t0 = NowNanos();
  for (int64_t v = 0; v < visits; ++v) {
    const int64_t i = v % patients;
    const CivilTime when =
        CivilTime::FromDay(BaseDay() + DayOffset(i, 1) + 30 * (1 + v / patients));
    const std::string label = absl::StrCat("V", 1 + v / patients);
    for (ObservationInput& o : visit) {
      o.patient = PatientId(i);
      o.time = when;
      o.visit = label;
    }
    visit[0].value = Edss(i + v, 0);
    visit[1].value = 5.0 + static_cast<double>(v % 40) / 10;
    visit[2].value = 1 + static_cast<double>(v % 50);
    if (auto s = (*db)->RecordVisit(visit, wo); !s.ok()) return Fail(s.status());
  }
  const int64_t t1 = NowNanos();
  if (kill) {
    std::printf("%" PRId64 " 0\n", t1 - t0);
    std::fflush(stdout);
    ::kill(::getpid(), SIGKILL);
  }
  db->reset();
  const int64_t t2 = NowNanos();
  std::printf("%" PRId64 " %" PRId64 "\n", t1 - t0, t2 - t1);
  return 0;
}

// queries DB PATIENTS K SEED: after Database::Open, K Latest calls for random
// patients (the first ones after open: tables are opened and blocks read as
// they are touched), then K more for other random patients. Prints p50, p99
// and mean of each pass, in ns.
int RoleQueries(const std::string& dir, int64_t patients, int64_t k, uint64_t seed) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir);
  if (!db.ok()) return Fail(db.status());
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, patients - 1);
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<double> ns;
    ns.reserve(static_cast<size_t>(k));
    double total = 0;
    for (int64_t q = 0; q < k; ++q) {
      const std::string p = PatientId(pick(rng));
      const int64_t t0 = NowNanos();
      absl::StatusOr<std::vector<Observation>> latest = (*db)->Latest(p, "edss");
      const int64_t t1 = NowNanos();
      if (!latest.ok()) return Fail(latest.status());
      if (latest->size() != 1) return Fail(absl::InternalError("no value"));
      ns.push_back(static_cast<double>(t1 - t0));
      total += static_cast<double>(t1 - t0);
    }
    std::sort(ns.begin(), ns.end());
    std::printf("%.0f %.0f %.0f ", ns[ns.size() / 2], ns[(ns.size() * 99) / 100],
                total / static_cast<double>(k));
  }
  std::printf("\n");
  return 0;
}

int RunRole(int argc, char** argv) {
  // argv: exe --role NAME ARGS...
  const std::string role = argv[2];
  std::vector<std::string> a(argv + 3, argv + argc);
  int64_t n = 0, m = 0;
  if (role == "gen" && a.size() == 3 && absl::SimpleAtoi(a[1], &n)) {
    return RoleGen(a[0], n, a[2] == "1");
  }
  if (role == "open" && a.size() == 2) return RoleOpen(a[0], a[1]);
  uint64_t seed = 0;
  if (role == "queries" && a.size() == 4 && absl::SimpleAtoi(a[1], &n) &&
      absl::SimpleAtoi(a[2], &m) && absl::SimpleAtoi(a[3], &seed)) {
    return RoleQueries(a[0], n, m, seed);
  }
  if (role == "holder" && a.size() == 2) return RoleHolder(a[0], a[1]);
  if (role == "burst" && a.size() == 4 && absl::SimpleAtoi(a[1], &n) &&
      absl::SimpleAtoi(a[2], &m)) {
    return RoleBurst(a[0], n, m, a[3] == "kill");
  }
  std::fprintf(stderr, "cotrack_open_bench: bad --role arguments\n");
  return 2;
}

// ---------------------------------------------------------------------------
// The parent.

struct Flags {
  std::vector<int64_t> sizes = {30000, 100000, 300000, 1000000};
  int runs = 15;
  std::string dir = "/tmp/cotrack-open-bench";
  bool fresh = false;
  bool compact = false;
  std::string cotrack = COTRACK_CLI_PATH;
  std::string sqlite3 = "/usr/bin/sqlite3";
  std::vector<std::string> parts = {"open", "held", "queries", "sqlite", "wal"};
  int64_t query_count = 2000;
  int64_t wal_visits = 200000;
  std::string baseline;
  uint64_t seed = 42;

  bool Want(const std::string& part) const {
    return std::find(parts.begin(), parts.end(), part) != parts.end();
  }
};

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

double Ms(double ns) { return ns / 1e6; }
double MiB(double bytes) { return bytes / (1024.0 * 1024.0); }

// Median of a list of nanosecond samples, in ms, as text.
std::string MedMs(std::vector<double> v) {
  if (v.empty()) return "–";
  const double ms = Ms(Median(v));
  return ms < 10 ? absl::StrFormat("%.2f", ms) : absl::StrFormat("%.1f", ms);
}
std::string MedMiB(std::vector<double> v) {
  if (v.empty()) return "–";
  return absl::StrFormat("%.1f", MiB(Median(v)));
}

// The figures one `--role open` child reported.
struct OpenFigures {
  int64_t wall_ns = 0;  // the whole child process
  int64_t open_ns = 0, query_ns = 0, close_ns = 0;
  int64_t rss0 = 0, rss_open = 0, rss_query = 0;
  int rows = 0;
};

absl::StatusOr<OpenFigures> RunOpenRole(const std::string& exe, const std::string& db,
                                        const std::string& patient) {
  absl::StatusOr<Run> r = RunTimed({exe, "--role", "open", db, patient});
  if (!r.ok()) return r.status();
  OpenFigures f;
  f.wall_ns = r->wall_ns;
  if (r->exit_code != 0 ||
      std::sscanf(r->out.c_str(),
                  "%" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %d",
                  &f.open_ns, &f.query_ns, &f.close_ns, &f.rss0, &f.rss_open, &f.rss_query,
                  &f.rows) != 7) {
    return absl::InternalError(
        absl::StrCat("open child failed (exit ", r->exit_code, "): ", r->out));
  }
  if (f.rows != 1) return absl::InternalError(absl::StrCat("open child found ", f.rows, " rows"));
  return f;
}

// `cotrack --db DB latest PATIENT edss --format csv`, checked.
absl::StatusOr<Run> RunCli(const std::string& cotrack, const std::string& db,
                           const std::string& patient) {
  absl::StatusOr<Run> r =
      RunTimed({cotrack, "--db", db, "latest", patient, "edss", "--format", "csv"});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0 || !absl::StrContains(r->out, patient)) {
    return absl::InternalError(
        absl::StrCat("cotrack latest exited with ", r->exit_code, ", printed: ", r->out));
  }
  return r;
}

absl::StatusOr<Run> RunSqlite(const std::string& sqlite3, const std::string& file,
                              const std::string& patient) {
  absl::StatusOr<Run> r =
      RunTimed({sqlite3, "-batch", "-csv", "-init", "/dev/null", file, SqliteQuery(patient)});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0 || !absl::StrContains(r->out, patient)) {
    return absl::InternalError(
        absl::StrCat("sqlite3 exited with ", r->exit_code, ", printed: ", r->out));
  }
  return r;
}

// A holder child: holds `db` until Stop.
class Holder {
 public:
  static absl::StatusOr<std::unique_ptr<Holder>> Start(const std::string& exe,
                                                       const std::string& db,
                                                       const std::string& patient) {
    absl::StatusOr<Child> c = Spawn({exe, "--role", "holder", db, patient}, true, true);
    if (!c.ok()) return c.status();
    std::unique_ptr<Holder> h(new Holder(*c));
    std::string line;
    if (!ReadLine(c->stdout_fd, &line) || !absl::StartsWith(line, "ready ") ||
        std::sscanf(line.c_str() + 6, "%" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64,
                    &h->open_ns, &h->query_ns, &h->rss0, &h->rss_open, &h->rss_query) != 5) {
      return absl::InternalError(absl::StrCat("holder did not start: ", line));
    }
    return h;
  }
  ~Holder() { Stop(); }
  int Stop() {
    if (child_.pid < 0) return 0;
    ::close(child_.stdin_fd);
    ReadAll(child_.stdout_fd);
    const int code = WaitExit(child_.pid);
    child_.pid = -1;
    return code;
  }

  int64_t open_ns = 0, query_ns = 0, rss0 = 0, rss_open = 0, rss_query = 0;

 private:
  explicit Holder(Child c) : child_(c) {}
  Child child_;
};

// Point queries in new processes: per process, p50/p99/mean of each pass.
struct QueryFigures {
  std::vector<double> q1_p50, q1_p99, q1_mean, q2_p50, q2_p99, q2_mean;
};

struct SizeResult {
  int64_t patients = 0;
  DirFiles sst;
  int64_t sqlite_bytes = 0;
  double gen_s = 0;
  // a: not held
  std::vector<double> cli_free, open_free, query_free, inproc_free, child_wall_free;
  std::vector<double> holder_rss0, holder_rss_open, holder_rss_query;
  // b: held by another process
  std::vector<double> cli_held, open_held, query_held, inproc_held;
  std::vector<double> client_rss0, client_rss_open, client_rss_query;
  int64_t long_holder_open_ns = 0, long_holder_rss_open = 0, long_holder_rss_query = 0;
  // e: sqlite3
  std::vector<double> sqlite_cli;
  // point queries right after open, in this process and served by a holder
  QueryFigures in_process, served;
  std::string sample_cotrack;
};

int QueryProcesses(const Flags& f) { return std::min(f.runs, 5); }

// Runs the `queries` role in a few new processes, one after the other.
absl::Status RunQueryProcesses(const Flags& f, const std::string& self, const std::string& db,
                               int64_t n, std::mt19937_64& rng, QueryFigures* out) {
  for (int run = 0; run < QueryProcesses(f); ++run) {
    absl::StatusOr<Run> r = RunTimed({self, "--role", "queries", db, absl::StrCat(n),
                                      absl::StrCat(f.query_count), absl::StrCat(rng())});
    if (!r.ok()) return r.status();
    double v[6];
    if (r->exit_code != 0 || std::sscanf(r->out.c_str(), "%lf %lf %lf %lf %lf %lf", &v[0], &v[1],
                                         &v[2], &v[3], &v[4], &v[5]) != 6) {
      return absl::InternalError(absl::StrCat("queries child failed: ", r->out));
    }
    out->q1_p50.push_back(v[0]);
    out->q1_p99.push_back(v[1]);
    out->q1_mean.push_back(v[2]);
    out->q2_p50.push_back(v[3]);
    out->q2_p99.push_back(v[4]);
    out->q2_mean.push_back(v[5]);
  }
  return absl::OkStatus();
}

absl::Status Prepare(const Flags& f, const std::string& self, int64_t n, SizeResult* out) {
  const std::string db = absl::StrCat(f.dir, "/db-", n);
  const std::string marker = absl::StrCat(db, f.compact ? ".compacted" : ".written");
  if (f.fresh || !Exists(marker)) {
    for (const char* suffix : {".written", ".compacted"}) {
      ::unlink(absl::StrCat(db, suffix).c_str());
    }
    if (absl::Status s = RemoveTree(db); !s.ok()) return s;
    std::fprintf(stderr, "generating %" PRId64 " patients in %s ...\n", n, db.c_str());
    absl::StatusOr<Run> r =
        RunTimed({self, "--role", "gen", db, absl::StrCat(n), f.compact ? "1" : "0"});
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return absl::InternalError("generating the registry failed");
    out->gen_s = static_cast<double>(r->wall_ns) / 1e9;
    if (FILE* m = std::fopen(marker.c_str(), "w")) std::fclose(m);
  }
  out->sst = FilesInDir(db, ".sst");
  if (f.Want("sqlite") && f.sqlite3 != "none") {
    const std::string file = absl::StrCat(f.dir, "/sqlite-", n, ".db");
    const std::string smarker = file + ".done";
    if (f.fresh || !Exists(smarker)) {
      ::unlink(file.c_str());
      ::unlink(smarker.c_str());
      std::fprintf(stderr, "generating %s ...\n", file.c_str());
      absl::StatusOr<Child> c = Spawn({f.sqlite3, "-batch", file}, true, false);
      if (!c.ok()) return c.status();
      const std::string script = SqliteScript(n);
      if (::write(c->stdin_fd, script.data(), script.size()) !=
          static_cast<ssize_t>(script.size())) {
        return absl::InternalError("writing to sqlite3 failed");
      }
      ::close(c->stdin_fd);
      if (WaitExit(c->pid) != 0) return absl::InternalError("sqlite3 failed");
      if (FILE* m = std::fopen(smarker.c_str(), "w")) std::fclose(m);
    }
    struct stat st;
    if (::stat(file.c_str(), &st) == 0) out->sqlite_bytes = st.st_size;
  }
  return absl::OkStatus();
}

absl::Status MeasureSize(const Flags& f, const std::string& self, std::mt19937_64& rng,
                         SizeResult* res) {
  const int64_t n = res->patients;
  const std::string db = absl::StrCat(f.dir, "/db-", n);
  const std::string sqlite_file = absl::StrCat(f.dir, "/sqlite-", n, ".db");
  const bool sqlite = f.Want("sqlite") && f.sqlite3 != "none";
  std::uniform_int_distribution<int64_t> pick(0, n - 1);

  if (f.Want("open") || sqlite) {
    std::fprintf(stderr, "%" PRId64 " patients: not held, %d runs\n", n, f.runs);
    for (int run = 0; run < f.runs; ++run) {
      const std::string p = PatientId(pick(rng));
      if (f.Want("open")) {
        absl::StatusOr<Run> cli = RunCli(f.cotrack, db, p);
        if (!cli.ok()) return cli.status();
        res->cli_free.push_back(cli->wall_ns);
        if (run == 0) res->sample_cotrack = cli->out;
        absl::StatusOr<OpenFigures> o = RunOpenRole(self, db, p);
        if (!o.ok()) return o.status();
        res->open_free.push_back(o->open_ns);
        res->query_free.push_back(o->query_ns);
        res->inproc_free.push_back(o->open_ns + o->query_ns);
        res->child_wall_free.push_back(o->wall_ns);
        res->holder_rss0.push_back(o->rss0);
        res->holder_rss_open.push_back(o->rss_open - o->rss0);
        res->holder_rss_query.push_back(o->rss_query - o->rss_open);
      }
      if (sqlite) {
        absl::StatusOr<Run> s = RunSqlite(f.sqlite3, sqlite_file, p);
        if (!s.ok()) return s.status();
        res->sqlite_cli.push_back(s->wall_ns);
        if (run == 0 && !res->sample_cotrack.empty()) {
          // Same patient on both sides: SQLite's date must be cotrack's.
          std::vector<std::string> fields = absl::StrSplit(s->out, ',');
          if (fields.size() < 3 || !absl::StrContains(res->sample_cotrack, fields[2])) {
            return absl::InternalError(
                absl::StrCat("cotrack and sqlite3 disagree: ", res->sample_cotrack, " / ", s->out));
          }
          std::fprintf(stderr, "  same answer: %s", s->out.c_str());
        }
      }
    }
  }

  if (f.Want("queries")) {
    std::fprintf(stderr, "%" PRId64 " patients: point queries after open, %d processes\n", n,
                 QueryProcesses(f));
    if (absl::Status s = RunQueryProcesses(f, self, db, n, rng, &res->in_process); !s.ok()) {
      return s;
    }
  }

  if (f.Want("held")) {
    std::fprintf(stderr, "%" PRId64 " patients: held by another process, %d runs\n", n, f.runs);
    absl::StatusOr<std::unique_ptr<Holder>> holder = Holder::Start(self, db, PatientId(pick(rng)));
    if (!holder.ok()) return holder.status();
    res->long_holder_open_ns = (*holder)->open_ns;
    res->long_holder_rss_open = (*holder)->rss_open - (*holder)->rss0;
    res->long_holder_rss_query = (*holder)->rss_query - (*holder)->rss_open;
    for (int run = 0; run < f.runs; ++run) {
      const std::string p = PatientId(pick(rng));
      absl::StatusOr<Run> cli = RunCli(f.cotrack, db, p);
      if (!cli.ok()) return cli.status();
      res->cli_held.push_back(cli->wall_ns);
      absl::StatusOr<OpenFigures> o = RunOpenRole(self, db, p);
      if (!o.ok()) return o.status();
      res->open_held.push_back(o->open_ns);
      res->query_held.push_back(o->query_ns);
      res->inproc_held.push_back(o->open_ns + o->query_ns);
      res->client_rss0.push_back(o->rss0);
      res->client_rss_open.push_back(o->rss_open - o->rss0);
      res->client_rss_query.push_back(o->rss_query - o->rss_open);
    }
    if (f.Want("queries")) {
      std::fprintf(stderr, "%" PRId64 " patients: point queries served by the holder\n", n);
      if (absl::Status s = RunQueryProcesses(f, self, db, n, rng, &res->served); !s.ok()) {
        return s;
      }
    }
    if (int code = (*holder)->Stop(); code != 0) {
      return absl::InternalError(absl::StrCat("holder exited with ", code));
    }
  }
  return absl::OkStatus();
}

// ---- d: the write-ahead log after a burst --------------------------------

struct WalResult {
  std::string build;  // "this build" or "baseline"
  std::string end;    // "closed" or "SIGKILLed"
  double burst_visits_per_s = 0;
  double close_ms = 0;
  DirFiles wal;
  DirFiles sst;
  std::vector<double> cli_first;     // first reopen: `cotrack latest` process
  std::vector<double> inproc_first;  // first reopen: Open + Latest in a child
  std::vector<double> open_first;    // ... of which Open
  std::vector<double> inproc_later;  // the open after that
};

absl::Status MeasureWal(const Flags& f, const std::string& exe, const std::string& cotrack,
                        const std::string& build, bool kill, int64_t base_patients,
                        std::mt19937_64& rng, WalResult* res) {
  res->build = build;
  res->end = kill ? "SIGKILLed" : "closed";
  const std::string base = absl::StrCat(f.dir, "/db-", base_patients);
  const std::string burst_dir = absl::StrCat(f.dir, "/wal-burst");
  const std::string run_dir = absl::StrCat(f.dir, "/wal-run");
  if (absl::Status s = RemoveTree(burst_dir); !s.ok()) return s;
  if (absl::Status s = CopyTree(base, burst_dir); !s.ok()) return s;
  std::fprintf(stderr, "WAL scenario (%s, %s): %" PRId64 " visits ...\n", build.c_str(),
               res->end.c_str(), f.wal_visits);
  absl::StatusOr<Run> burst =
      RunTimed({exe, "--role", "burst", burst_dir, absl::StrCat(f.wal_visits),
                absl::StrCat(base_patients), kill ? "kill" : "close"});
  if (!burst.ok()) return burst.status();
  int64_t burst_ns = 0, close_ns = 0;
  if (std::sscanf(burst->out.c_str(), "%" SCNd64 " %" SCNd64, &burst_ns, &close_ns) != 2 ||
      burst->exit_code != (kill ? 128 + SIGKILL : 0)) {
    return absl::InternalError(
        absl::StrCat("burst exited with ", burst->exit_code, ", printed: ", burst->out));
  }
  res->burst_visits_per_s =
      static_cast<double>(f.wal_visits) / (static_cast<double>(burst_ns) / 1e9);
  res->close_ms = Ms(static_cast<double>(close_ns));
  res->wal = FilesInDir(burst_dir, ".log");
  res->sst = FilesInDir(burst_dir, ".sst");
  std::uniform_int_distribution<int64_t> pick(0, base_patients - 1);
  for (int run = 0; run < f.runs; ++run) {
    const std::string p = PatientId(pick(rng));
    if (absl::Status s = RemoveTree(run_dir); !s.ok()) return s;
    if (absl::Status s = CopyTree(burst_dir, run_dir); !s.ok()) return s;
    absl::StatusOr<Run> cli = RunCli(cotrack, run_dir, p);
    if (!cli.ok()) return cli.status();
    res->cli_first.push_back(cli->wall_ns);
    if (absl::Status s = RemoveTree(run_dir); !s.ok()) return s;
    if (absl::Status s = CopyTree(burst_dir, run_dir); !s.ok()) return s;
    absl::StatusOr<OpenFigures> first = RunOpenRole(exe, run_dir, p);
    if (!first.ok()) return first.status();
    res->inproc_first.push_back(first->open_ns + first->query_ns);
    res->open_first.push_back(first->open_ns);
    absl::StatusOr<OpenFigures> later = RunOpenRole(exe, run_dir, p);
    if (!later.ok()) return later.status();
    res->inproc_later.push_back(later->open_ns + later->query_ns);
  }
  RemoveTree(run_dir).IgnoreError();
  return RemoveTree(burst_dir);
}

// ---- the report -------------------------------------------------------------

// "total (open + query)", each a median.
std::string Split(const std::vector<double>& total, const std::vector<double>& open,
                  const std::vector<double>& query) {
  if (total.empty()) return "–";
  return absl::StrCat(MedMs(total), " (", MedMs(open), " + ", MedMs(query), ")");
}

std::string Ratio(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) return "–";
  return absl::StrFormat("%.2f×", Median(a) / Median(b));
}

void PrintReport(const Flags& f, const std::vector<SizeResult>& sizes,
                 const std::vector<WalResult>& wal) {
  char when[64];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::printf(
      "cotrack_open_bench: %s, %d runs per figure (medians), %ld hardware threads, 2 EDSS "
      "values per patient, registries %s\n\n",
      when, f.runs, ::sysconf(_SC_NPROCESSORS_ONLN),
      f.compact ? "compacted" : "as written (one ingested bulk write per 10,000 patients)");

  std::printf(
      "Time, ms. \"process\": a new process from spawn to exit (`cotrack --db D latest P edss "
      "--format csv`, or `sqlite3 -csv FILE \"SELECT ... ORDER BY date DESC LIMIT 1\"`); "
      "\"open + query\": Database::Open + the first Latest inside a new process.\n\n");
  std::printf(
      "| patients | table files | table MiB | not held: process | not held: open + query "
      "(open + query) | held elsewhere: process | held elsewhere: open + query (open + query) "
      "| sqlite3: process | SQLite MiB | cotrack/sqlite3 (process, not held) |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const SizeResult& r : sizes) {
    std::printf("| %" PRId64 " | %d | %.1f | %s | %s | %s | %s | %s | %s | %s |\n", r.patients,
                r.sst.count, MiB(static_cast<double>(r.sst.bytes)), MedMs(r.cli_free).c_str(),
                Split(r.inproc_free, r.open_free, r.query_free).c_str(), MedMs(r.cli_held).c_str(),
                Split(r.inproc_held, r.open_held, r.query_held).c_str(),
                MedMs(r.sqlite_cli).c_str(),
                r.sqlite_bytes > 0
                    ? absl::StrFormat("%.1f", MiB(static_cast<double>(r.sqlite_bytes))).c_str()
                    : "–",
                Ratio(r.cli_free, r.sqlite_cli).c_str());
  }
  std::printf(
      "\n(Each figure is a median on its own, so open and query need not add up to the "
      "total.)\n\n");

  std::printf(
      "Resident memory, MiB: what a process gains at Database::Open and at its first query "
      "(the caches are filled lazily, so this is what a handle costs beyond them).\n\n");
  std::printf(
      "| patients | holding process: RSS before open | + at open | + first query | client "
      "process: RSS before open | + at open | + first query |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const SizeResult& r : sizes) {
    std::printf("| %" PRId64 " | %s | %s | %s | %s | %s | %s |\n", r.patients,
                MedMiB(r.holder_rss0).c_str(), MedMiB(r.holder_rss_open).c_str(),
                MedMiB(r.holder_rss_query).c_str(), MedMiB(r.client_rss0).c_str(),
                MedMiB(r.client_rss_open).c_str(), MedMiB(r.client_rss_query).c_str());
  }
  std::printf("\n");
  for (const SizeResult& r : sizes) {
    if (r.cli_held.empty()) continue;
    std::printf("The holder of \"held elsewhere\" at %" PRId64
                " patients: Database::Open %.1f ms, +%.1f MiB at open, +%.1f MiB at its first "
                "query.\n",
                r.patients, Ms(static_cast<double>(r.long_holder_open_ns)),
                MiB(static_cast<double>(r.long_holder_rss_open)),
                MiB(static_cast<double>(r.long_holder_rss_query)));
  }
  std::printf("\n");

  if (!sizes.empty() && !sizes.front().in_process.q1_p50.empty()) {
    std::printf(
        "Point queries after open, µs: a new process opens the database (nobody else has it "
        "open), then calls Latest for %" PRId64
        " random patients (\"first\": every table file and block is read for the first time by "
        "this process; the OS page cache is warm), then for %" PRId64
        " other random patients (\"next\"); medians over %zu processes.\n\n",
        f.query_count, f.query_count, sizes.front().in_process.q1_p50.size());
    std::printf(
        "| patients | first: p50 | first: p99 | first: mean | next: p50 | next: p99 | next: "
        "mean |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    auto us = [](std::vector<double> v) { return absl::StrFormat("%.1f", Median(v) / 1e3); };
    for (const SizeResult& r : sizes) {
      const QueryFigures& q = r.in_process;
      std::printf("| %" PRId64 " | %s | %s | %s | %s | %s | %s |\n", r.patients,
                  us(q.q1_p50).c_str(), us(q.q1_p99).c_str(), us(q.q1_mean).c_str(),
                  us(q.q2_p50).c_str(), us(q.q2_p99).c_str(), us(q.q2_mean).c_str());
    }
    std::printf("\n");
    if (!sizes.front().served.q2_p50.empty()) {
      std::printf(
          "The same \"next\" pass, µs, in a process served by another that holds the database "
          "(each call a round trip over the socket), against the process that opens it "
          "itself.\n\n");
      std::printf(
          "| patients | in-process: p50 | in-process: p99 | served: p50 | served: p99 | served: "
          "mean | served ÷ in-process (p50) |\n");
      std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
      for (const SizeResult& r : sizes) {
        std::printf("| %" PRId64 " | %s | %s | %s | %s | %s | %s |\n", r.patients,
                    us(r.in_process.q2_p50).c_str(), us(r.in_process.q2_p99).c_str(),
                    us(r.served.q2_p50).c_str(), us(r.served.q2_p99).c_str(),
                    us(r.served.q2_mean).c_str(), Ratio(r.served.q2_p50, r.in_process.q2_p50).c_str());
      }
      std::printf("\n");
    }
  }

  if (!wal.empty()) {
    std::printf(
        "Reopening after a burst of %" PRId64
        " RecordVisit calls (3 measures each, sync=false) from one process, on a copy of the "
        "%" PRId64
        "-patient registry; time in ms; \"first reopen\" is the open that finds the "
        "burst's write-ahead log, \"later\" the open after it.\n\n",
        f.wal_visits, sizes.empty() ? 0 : sizes.front().patients);
    std::printf(
        "| build | writer | burst visits/s | close ms | WAL left (files, MiB) | first reopen: "
        "process | first reopen: open + query (open) | later open + query |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (const WalResult& w : wal) {
      std::printf("| %s | %s | %.0f | %s | %d, %.1f | %s | %s (%s) | %s |\n", w.build.c_str(),
                  w.end.c_str(), w.burst_visits_per_s,
                  w.end == "closed" ? absl::StrFormat("%.1f", w.close_ms).c_str() : "–",
                  w.wal.count, MiB(w.wal.bytes), MedMs(w.cli_first).c_str(),
                  MedMs(w.inproc_first).c_str(), MedMs(w.open_first).c_str(),
                  MedMs(w.inproc_later).c_str());
    }
    std::printf("\n");
  }
}

absl::StatusOr<std::vector<int64_t>> ParseSizes(const std::string& text) {
  std::vector<int64_t> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 9999999) {
      return absl::InvalidArgumentError(absl::StrCat("bad size \"", part, "\""));
    }
    out.push_back(n);
  }
  if (out.empty()) return absl::InvalidArgumentError("--sizes is empty");
  return out;
}

int Main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--role") return RunRole(argc, argv);
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n%s", a.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    bool ok = true;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--sizes") {
      auto s = ParseSizes(value());
      ok = s.ok();
      if (ok) f.sizes = *s;
    } else if (a == "--runs") {
      ok = absl::SimpleAtoi(value(), &f.runs) && f.runs >= 1;
    } else if (a == "--dir") {
      f.dir = value();
    } else if (a == "--fresh") {
      f.fresh = true;
    } else if (a == "--compact") {
      f.compact = true;
    } else if (a == "--cotrack") {
      f.cotrack = value();
    } else if (a == "--sqlite3") {
      f.sqlite3 = value();
    } else if (a == "--parts") {
      f.parts = absl::StrSplit(value(), ',', absl::SkipEmpty());
    } else if (a == "--queries") {
      ok = absl::SimpleAtoi(value(), &f.query_count) && f.query_count >= 1;
    } else if (a == "--wal-visits") {
      ok = absl::SimpleAtoi(value(), &f.wal_visits) && f.wal_visits >= 1;
    } else if (a == "--baseline") {
      f.baseline = value();
    } else if (a == "--seed") {
      ok = absl::SimpleAtoi(value(), &f.seed);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bad flag or value: %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (f.cotrack.empty() || !Exists(f.cotrack)) {
    std::fprintf(stderr, "the cotrack command line was not found (--cotrack PATH)\n");
    return 2;
  }
  if (f.sqlite3 != "none" && !Exists(f.sqlite3)) {
    std::fprintf(stderr, "%s not found: apt-get install sqlite3, or --sqlite3 none\n",
                 f.sqlite3.c_str());
    return 2;
  }
  std::string baseline_exe, baseline_cli;
  if (!f.baseline.empty()) {
    baseline_exe = f.baseline + "/tools/bench/cotrack_open_bench";
    baseline_cli = f.baseline + "/tools/cotrack";
    if (!Exists(baseline_exe) || !Exists(baseline_cli)) {
      std::fprintf(stderr, "--baseline: %s or %s missing\n", baseline_exe.c_str(),
                   baseline_cli.c_str());
      return 2;
    }
  }
  ::mkdir(f.dir.c_str(), 0700);
  const std::string self = SelfExe();
  std::mt19937_64 rng(f.seed);

  std::vector<SizeResult> sizes;
  for (int64_t n : f.sizes) {
    SizeResult r;
    r.patients = n;
    if (absl::Status s = Prepare(f, self, n, &r); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    if (absl::Status s = MeasureSize(f, self, rng, &r); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    sizes.push_back(std::move(r));
  }

  std::vector<WalResult> wal;
  if (f.Want("wal")) {
    const int64_t base = f.sizes.front();
    struct Variant {
      std::string exe, cli, name;
    };
    std::vector<Variant> variants = {{self, f.cotrack, "this build"}};
    if (!baseline_exe.empty()) variants.push_back({baseline_exe, baseline_cli, "baseline"});
    for (bool kill : {false, true}) {
      for (const Variant& v : variants) {
        WalResult w;
        if (absl::Status s = MeasureWal(f, v.exe, v.cli, v.name, kill, base, rng, &w); !s.ok()) {
          std::fprintf(stderr, "%s\n", s.ToString().c_str());
          return 1;
        }
        wal.push_back(std::move(w));
      }
    }
  }
  PrintReport(f, sizes, wal);
  return 0;
}

}  // namespace
}  // namespace cotrack::openbench

int main(int argc, char** argv) { return cotrack::openbench::Main(argc, argv); }
