// cotrack_bench: the same clinical-registry workload on cotrack, SQLite,
// plain RocksDB and DuckDB in one run, printed as a Markdown table (issues 6
// and 13). Each engine runs in its own forked child so that peak RSS figures
// do not mix; the child sends its figures back through a pipe as
// "kind\tworkload\tfield\tvalue" lines. DuckDB's child is a node program
// that runs the whole workload itself (duckdb_runner.h). stdout is the
// report, stderr is progress.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench_engine.h"
#include "bench_util.h"
#include "duckdb_runner.h"
#include "registry_generator.h"
#include "workload.h"

#ifndef COTRACK_BENCH_PYTHON_SCRIPT
#define COTRACK_BENCH_PYTHON_SCRIPT ""
#endif
#ifndef COTRACK_BENCH_CLI
#define COTRACK_BENCH_CLI ""
#endif
#ifndef COTRACK_BENCH_LIBRARY
#define COTRACK_BENCH_LIBRARY ""
#endif

namespace cotrack::bench {
namespace {

constexpr const char* kUsage = R"(usage: cotrack_bench [flags]

Runs the registry benchmark (import, API ingest, trajectory, latest as-of,
visit, cohort summary, full export) on cotrack, SQLite, plain RocksDB and
DuckDB and prints a Markdown table to stdout.

  --patients N       registry size (default 100000, ~9 million observations)
  --shape NAME       registry (default: five measures, missed visits,
                     dropouts) or issue13 (exactly 20 visits of EDSS and
                     HbA1c per patient: 30000 patients = 1.2 million rows,
                     in one file unless --rows-per-file says otherwise)
  --seed S           generator and query-key seed (default 42)
  --rows-per-file N  data rows per generated CSV file (default 1000000)
  --queries N        keys per point-query workload (default 5 per patient,
                     at least 1000, at most 10000)
  --reps N           timed repetitions; medians are reported (default 3)
  --ingest N         visits recorded through the API (default patients/5,
                     at least 200, at most 20000)
  --engines LIST     comma-separated: cotrack,sqlite,rocksdb,duckdb (default
                     all available; DuckDB needs node and the npm package,
                     see --duckdb-modules, and is skipped with a message
                     when they are missing)
  --dir DIR          work directory (default /tmp/cotrack-bench-PID); must
                     not exist
  --keep             keep the work directory (generated CSV and stores)
  --workloads LIST   comma-separated subset of ingest,trajectory,latest,
                     visit,cohort,export to time (default all; the import
                     always runs and is always reported)
  --python           after the engines, run tools/bench/python_bench.py on
                     the same generated files (the cotrack Python module
                     against Python's sqlite3) and append its table

DuckDB (a node child running tools/bench/duckdb/driver.js):
  --node PATH        node executable (default: node on PATH)
  --duckdb-modules DIR  where `npm ci` installed @duckdb/node-api (default:
                     the build tree's tools/bench/duckdb, filled by
                     `ninja cotrack_bench_duckdb`)
  --duckdb-script PATH  the driver (default: the source tree's)
  --duckdb-key       declare PRIMARY KEY (patient, measure, date) (an ART
                     index; imports become upserts)
  --duckdb-resort    compaction rewrites the table in key order (API visits
                     are appended unsorted) before its CHECKPOINT
  --duckdb-ingest M  appender (default: one Appender flush per visit) or
                     insert (prepared INSERTs in BEGIN ... COMMIT)
)";

struct Flags {
  int64_t patients = 100000;
  Shape shape = Shape::kRegistry;
  uint64_t seed = 42;
  int64_t rows_per_file = -1;  // -1: 1000000 (registry) or one file (issue13)
  int64_t queries = -1;
  int reps = 3;
  int64_t ingest = -1;
  std::vector<std::string> engines;
  std::string dir;
  bool keep = false;
  std::vector<std::string> workloads;  // empty = all
  bool python = false;
  DuckDbSetup duckdb = DefaultDuckDbSetup();

  // Whether workload `name` is to be timed (import always runs).
  bool Want(const std::string& name) const {
    return workloads.empty() ||
           std::find(workloads.begin(), workloads.end(), name) != workloads.end();
  }
};

constexpr const char* kWorkloads[] = {"ingest", "trajectory", "latest",
                                      "visit",  "cohort",     "export"};

// One timed workload's figures.
struct Figures {
  double throughput = 0;  // per second, in `unit`
  double p50_ns = 0;
  double p99_ns = 0;
};

// ---------------------------------------------------------------- child --

class Emitter {
 public:
  explicit Emitter(std::FILE* out) : out_(out) {}
  void Metric(const std::string& workload, const std::string& field, double v) {
    std::fprintf(out_, "metric\t%s\t%s\t%.17g\n", workload.c_str(), field.c_str(), v);
    std::fflush(out_);
  }
  void Check(const std::string& workload, const std::string& text) {
    std::fprintf(out_, "check\t%s\t%s\n", workload.c_str(), text.c_str());
    std::fflush(out_);
  }
  void Error(const std::string& text) {
    std::string one_line = text;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    std::replace(one_line.begin(), one_line.end(), '\t', ' ');
    std::fprintf(out_, "error\t-\t-\t%s\n", one_line.c_str());
    std::fflush(out_);
  }
  void Figures(const std::string& workload, const struct Figures& f) {
    Metric(workload, "throughput", f.throughput);
    Metric(workload, "p50_ns", f.p50_ns);
    Metric(workload, "p99_ns", f.p99_ns);
  }

 private:
  std::FILE* out_;
};

// Runs `op(i)` for every key index, `reps` times after one warm-up pass over
// `warm` keys; figures are medians over the repetitions.
template <typename Op, typename Warm>
absl::StatusOr<Figures> TimePointQueries(size_t n, size_t warm_n, int reps, Op op, Warm warm,
                                         QueryResult* check) {
  for (size_t i = 0; i < warm_n; ++i) {
    absl::StatusOr<QueryResult> r = warm(i);
    if (!r.ok()) return r.status();
  }
  std::vector<double> thr, p50, p99;
  std::vector<int64_t> lat(n);
  for (int rep = 0; rep < reps; ++rep) {
    QueryResult sum;
    int64_t start = NowNanos();
    for (size_t i = 0; i < n; ++i) {
      int64_t t0 = NowNanos();
      absl::StatusOr<QueryResult> r = op(i);
      lat[i] = NowNanos() - t0;
      if (!r.ok()) return r.status();
      sum.rows += r->rows;
      sum.value_sum += r->value_sum;
    }
    int64_t total = NowNanos() - start;
    thr.push_back(static_cast<double>(n) * 1e9 / static_cast<double>(std::max<int64_t>(total, 1)));
    p50.push_back(static_cast<double>(Percentile(lat, 0.50)));
    p99.push_back(static_cast<double>(Percentile(lat, 0.99)));
    *check = sum;
  }
  return Figures{Median(thr), Median(p50), Median(p99)};
}

std::string CheckText(const QueryResult& r) {
  return absl::StrFormat("rows=%d sum=%.2f", r.rows, r.value_sum);
}

std::string CohortCheckText(const std::vector<CohortCell>& cells) {
  std::vector<std::string> parts;
  for (const CohortCell& c : cells) {
    parts.push_back(absl::StrFormat("%s/%d:n=%d,median=%.2f", c.arm, c.timepoint, c.n, c.median));
  }
  return absl::StrJoin(parts, " ");
}

// EDSS at baseline, months 12, 24 and 60, by arm.
CohortQuery TheCohortQuery() {
  CohortQuery q;
  q.measure = kEdss;
  q.offsets = {0, 365, 731, 1826};
  q.cotrack_timepoints = "0,12m,24m,60m";
  q.window = 45;
  return q;
}

absl::Status RunEngine(BenchEngine& engine, const Flags& flags, const GeneratedFiles& files,
                       const std::string& store_dir, Emitter& emit) {
  const std::string tag = absl::StrCat("[", engine.name(), "] ");
  absl::Status s = engine.Create(store_dir);
  if (!s.ok()) return s;

  // Import: every file through the engine's import path, patients first.
  {
    std::fprintf(stderr, "%simport of %zu files\n", tag.c_str(),
                 files.patient_files.size() + files.observation_files.size());
    std::vector<int64_t> per_file;
    int64_t rows = 0;
    int64_t start = NowNanos();
    for (int pass = 0; pass < 2; ++pass) {
      const auto& list = pass == 0 ? files.patient_files : files.observation_files;
      for (const std::string& f : list) {
        int64_t t0 = NowNanos();
        absl::StatusOr<int64_t> n = engine.ImportFile(f, pass == 0);
        if (!n.ok()) return n.status();
        per_file.push_back(NowNanos() - t0);
        rows += *n;
      }
    }
    int64_t total = NowNanos() - start;
    Figures f;
    f.throughput = static_cast<double>(rows) * 1e9 / static_cast<double>(total);
    f.p50_ns = static_cast<double>(Percentile(per_file, 0.50));
    f.p99_ns = static_cast<double>(Percentile(per_file, 0.99));
    emit.Figures("import", f);
    emit.Check("import", absl::StrCat("rows=", rows));
  }

  // API ingest: one atomic write per visit.
  int64_t ingested_obs = 0;
  if (flags.Want("ingest")) {
    std::fprintf(stderr, "%sAPI ingest of %lld visits\n", tag.c_str(),
                 static_cast<long long>(flags.ingest));
    std::vector<IngestVisit> visits;
    visits.reserve(static_cast<size_t>(flags.ingest));
    for (int64_t j = 0; j < flags.ingest; ++j) {
      visits.push_back(GenerateIngestVisit(flags.seed, flags.patients, j, flags.shape));
      ingested_obs += static_cast<int64_t>(visits.back().values.size());
    }
    std::vector<int64_t> lat(visits.size());
    int64_t start = NowNanos();
    for (size_t j = 0; j < visits.size(); ++j) {
      int64_t t0 = NowNanos();
      s = engine.RecordVisit(visits[j]);
      lat[j] = NowNanos() - t0;
      if (!s.ok()) return s;
    }
    int64_t total = NowNanos() - start;
    Figures f;
    f.throughput = static_cast<double>(visits.size()) * 1e9 / static_cast<double>(total);
    f.p50_ns = static_cast<double>(Percentile(lat, 0.50));
    f.p99_ns = static_cast<double>(Percentile(lat, 0.99));
    emit.Figures("ingest", f);
  }

  std::fprintf(stderr, "%scompact and reopen\n", tag.c_str());
  s = engine.CompactAndReopen();
  if (!s.ok()) return s;
  absl::StatusOr<uint64_t> bytes = engine.BytesOnDisk();
  if (!bytes.ok()) return bytes.status();
  emit.Metric("disk", "bytes_per_obs",
              static_cast<double>(*bytes) / static_cast<double>(files.observations + ingested_obs));
  emit.Metric("disk", "bytes", static_cast<double>(*bytes));

  std::fprintf(stderr, "%spoint queries\n", tag.c_str());
  Keys keys = DrawKeys(flags.seed, 1, flags.patients, flags.queries, flags.shape);
  Keys warm = DrawKeys(flags.seed, 2, flags.patients, std::max<int64_t>(flags.queries / 2, 1),
                       flags.shape);
  size_t n = static_cast<size_t>(flags.queries);
  size_t wn = warm.trajectory.size();
  QueryResult check;
  absl::StatusOr<Figures> f;
  if (flags.Want("trajectory")) {
    f = TimePointQueries(
        n, wn, flags.reps,
        [&](size_t i) {
          return engine.Trajectory(keys.trajectory[i].patient, keys.trajectory[i].measure);
        },
        [&](size_t i) {
          return engine.Trajectory(warm.trajectory[i].patient, warm.trajectory[i].measure);
        },
        &check);
    if (!f.ok()) return f.status();
    emit.Figures("trajectory", *f);
    emit.Check("trajectory", CheckText(check));
  }
  if (flags.Want("latest")) {
    f = TimePointQueries(
        n, wn, flags.reps,
        [&](size_t i) {
          const PointKey& k = keys.latest[i];
          return engine.LatestAsOf(k.patient, k.measure, k.day);
        },
        [&](size_t i) {
          const PointKey& k = warm.latest[i];
          return engine.LatestAsOf(k.patient, k.measure, k.day);
        },
        &check);
    if (!f.ok()) return f.status();
    emit.Figures("latest", *f);
    emit.Check("latest", CheckText(check));
  }
  if (flags.Want("visit")) {
    f = TimePointQueries(
        n, wn, flags.reps,
        [&](size_t i) { return engine.Visit(keys.visit[i].patient, keys.visit[i].day); },
        [&](size_t i) { return engine.Visit(warm.visit[i].patient, warm.visit[i].day); }, &check);
    if (!f.ok()) return f.status();
    emit.Figures("visit", *f);
    emit.Check("visit", CheckText(check));
  }

  // Cohort summary: EDSS at baseline, months 12, 24 and 60, by arm.
  if (flags.Want("cohort")) {
    std::fprintf(stderr, "%scohort summary\n", tag.c_str());
    CohortQuery q = TheCohortQuery();
    absl::StatusOr<std::vector<CohortCell>> cells = engine.Cohort(q);  // warm-up
    if (!cells.ok()) return cells.status();
    std::vector<int64_t> lat;
    for (int rep = 0; rep < flags.reps; ++rep) {
      int64_t t0 = NowNanos();
      cells = engine.Cohort(q);
      lat.push_back(NowNanos() - t0);
      if (!cells.ok()) return cells.status();
    }
    emit.Check("cohort", CohortCheckText(*cells));
    Figures cf;
    cf.p50_ns = static_cast<double>(Percentile(lat, 0.50));
    cf.p99_ns = static_cast<double>(Percentile(lat, 1.0));
    cf.throughput = static_cast<double>(flags.patients) * 1e9 / cf.p50_ns;
    emit.Figures("cohort", cf);
  }

  // Full export: every observation with all its fields.
  if (flags.Want("export")) {
    std::fprintf(stderr, "%sfull export\n", tag.c_str());
    std::vector<int64_t> lat;
    absl::StatusOr<ExportResult> r;
    for (int rep = 0; rep < flags.reps; ++rep) {
      int64_t t0 = NowNanos();
      r = engine.Export();
      lat.push_back(NowNanos() - t0);
      if (!r.ok()) return r.status();
    }
    emit.Check("export", absl::StrCat("rows=", r->rows));
    Figures ef;
    ef.p50_ns = static_cast<double>(Percentile(lat, 0.50));
    ef.p99_ns = static_cast<double>(Percentile(lat, 1.0));
    ef.throughput = static_cast<double>(r->rows) * 1e9 / ef.p50_ns;
    emit.Figures("export", ef);
  }

  s = engine.Close();
  if (!s.ok()) return s;
  emit.Metric("rss", "peak_bytes", static_cast<double>(PeakRssBytes()));
  return absl::OkStatus();
}

// --------------------------------------------------------------- parent --

struct EngineResult {
  std::string name;
  bool ran = false;
  std::string error;
  std::map<std::string, std::map<std::string, double>> metrics;
  std::map<std::string, std::string> checks;
  std::vector<CohortCell> cohort_cells;  // from "cohort" lines (DuckDB)
  std::vector<std::string> notes;        // shown under the table
};

std::unique_ptr<BenchEngine> MakeEngine(const std::string& key) {
  if (key == "cotrack") return MakeCotrackEngine();
  if (key == "sqlite") return MakeSqliteEngine();
  if (key == "rocksdb") return MakeRocksDbEngine();
  return nullptr;
}

// One line of a child's report (see Emitter; the DuckDB driver adds
// "qcheck", "cohort" and "note" lines, whose numbers are formatted here
// exactly as the in-process engines' checks are).
void ParseChildLine(const std::string& text, EngineResult* result) {
  std::vector<std::string> all = absl::StrSplit(text, '\t');
  if (all[0] == "qcheck" && all.size() == 4) {
    QueryResult q;
    if (absl::SimpleAtoi(all[2], &q.rows) && absl::SimpleAtod(all[3], &q.value_sum)) {
      result->checks[all[1]] = CheckText(q);
    }
    return;
  }
  if (all[0] == "cohort" && all.size() == 5) {
    CohortCell c;
    c.arm = all[1];
    if (absl::SimpleAtoi(all[2], &c.timepoint) && absl::SimpleAtoi(all[3], &c.n) &&
        absl::SimpleAtod(all[4], &c.median)) {
      result->cohort_cells.push_back(std::move(c));
      result->checks["cohort"] = CohortCheckText(result->cohort_cells);
    }
    return;
  }
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('\t', 3));
  if (parts.size() < 3) return;
  if (parts[0] == "metric" && parts.size() == 4) {
    double v = 0;
    if (absl::SimpleAtod(parts[3], &v)) result->metrics[parts[1]][parts[2]] = v;
  } else if (parts[0] == "check") {
    result->checks[parts[1]] = parts.size() == 4 ? parts[2] + "\t" + parts[3] : parts[2];
  } else if (parts[0] == "note" && parts.size() == 4) {
    result->notes.push_back(parts[3]);
  } else if (parts[0] == "error") {
    result->error = parts.size() == 4 ? parts[3] : parts[2];
  }
}

const char* EngineDisplayName(const std::string& key) {
  if (key == "cotrack") return "cotrack";
  if (key == "sqlite") return "SQLite";
  if (key == "rocksdb") return "RocksDB";
  if (key == "duckdb") return "DuckDB";
  return key.c_str();
}

// Everything DuckDB's driver runs: the same files, visits, keys and cohort
// query as RunEngine gives the in-process engines.
DuckDbWorkload MakeDuckDbWorkload(const Flags& flags, const GeneratedFiles& files) {
  DuckDbWorkload w;
  w.store_dir = absl::StrCat(flags.dir, "/store-duckdb");
  w.patient_files = files.patient_files;
  w.observation_files = files.observation_files;
  w.patients = files.patients;
  w.observations = files.observations;
  w.reps = flags.reps;
  if (flags.Want("ingest")) {
    for (int64_t j = 0; j < flags.ingest; ++j) {
      w.ingest.push_back(GenerateIngestVisit(flags.seed, flags.patients, j, flags.shape));
    }
  }
  w.trajectory = flags.Want("trajectory");
  w.latest = flags.Want("latest");
  w.visit = flags.Want("visit");
  w.cohort = flags.Want("cohort");
  w.export_all = flags.Want("export");
  w.keys = DrawKeys(flags.seed, 1, flags.patients, flags.queries, flags.shape);
  w.warm = DrawKeys(flags.seed, 2, flags.patients, std::max<int64_t>(flags.queries / 2, 1),
                    flags.shape);
  w.cohort_query = TheCohortQuery();
  return w;
}

EngineResult RunInChild(const std::string& key, const Flags& flags, const GeneratedFiles& files) {
  EngineResult result;
  result.name = EngineDisplayName(key);
  const bool duckdb = key == "duckdb";
  const std::string workload_path = absl::StrCat(flags.dir, "/duckdb-workload.json");
  if (duckdb) {
    absl::Status s =
        WriteDuckDbWorkload(flags.duckdb, MakeDuckDbWorkload(flags, files), workload_path);
    if (!s.ok()) {
      result.error = s.ToString();
      return result;
    }
  }
  int fds[2];
  if (::pipe(fds) != 0) {
    result.error = absl::StrCat("pipe: ", std::strerror(errno));
    return result;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) {
    result.error = absl::StrCat("fork: ", std::strerror(errno));
    return result;
  }
  if (pid == 0 && duckdb) {
    ::close(fds[0]);
    ExecDuckDbDriver(flags.duckdb, workload_path, fds[1]);
    std::string msg = absl::StrCat("error\t-\t-\tcannot run ", flags.duckdb.node, ": ",
                                   std::strerror(errno), "\n");
    ssize_t ignored = ::write(STDOUT_FILENO, msg.data(), msg.size());
    (void)ignored;
    std::_Exit(127);
  }
  if (pid == 0) {
    ::close(fds[0]);
    std::FILE* out = ::fdopen(fds[1], "w");
    Emitter emit(out);
    ResetPeakRss();
    std::unique_ptr<BenchEngine> engine = MakeEngine(key);
    absl::Status s =
        RunEngine(*engine, flags, files, absl::StrCat(flags.dir, "/store-", key), emit);
    if (!s.ok()) emit.Error(s.ToString());
    engine.reset();
    std::fclose(out);
    std::_Exit(0);
  }
  ::close(fds[1]);
  std::FILE* in = ::fdopen(fds[0], "r");
  char* line = nullptr;
  size_t cap = 0;
  ssize_t len;
  while ((len = ::getline(&line, &cap, in)) > 0) {
    std::string text(line, static_cast<size_t>(len));
    if (!text.empty() && text.back() == '\n') text.pop_back();
    ParseChildLine(text, &result);
  }
  std::free(line);
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (result.error.empty()) {
      result.error = WIFSIGNALED(status) ? absl::StrCat("killed by signal ", WTERMSIG(status))
                                         : absl::StrCat("exit status ", WEXITSTATUS(status));
    }
  }
  result.ran = result.error.empty();
  return result;
}

std::string Thousands(double v) {
  std::string digits = absl::StrFormat("%.0f", v);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0 && *it != '-') out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  return std::string(out.rbegin(), out.rend());
}

std::string Duration(double ns) {
  if (ns < 1e3) return absl::StrFormat("%.0f ns", ns);
  if (ns < 1e6) return absl::StrFormat("%.1f µs", ns / 1e3);
  if (ns < 1e9) return absl::StrFormat("%.1f ms", ns / 1e6);
  return absl::StrFormat("%.2f s", ns / 1e9);
}

// Two decimals; two significant digits below 0.1 (0.0013, not 0.00) and
// none from 100 on.
std::string RatioText(double v) {
  if (v >= 100) return absl::StrFormat("%.0f", v);
  if (v >= 0.1) return absl::StrFormat("%.2f", v);
  return absl::StrFormat("%.2g", v);
}

const double* Find(const EngineResult& r, const std::string& w, const std::string& f) {
  auto it = r.metrics.find(w);
  if (it == r.metrics.end()) return nullptr;
  auto jt = it->second.find(f);
  return jt == it->second.end() ? nullptr : &jt->second;
}

void PrintReport(const Flags& flags, const GeneratedFiles& files,
                 const std::vector<EngineResult>& results,
                 const std::vector<std::string>& skipped) {
  std::printf(
      "cotrack_bench: %lld patients%s, %lld observations in %zu CSV files (%lld rows per file), "
      "%lld API visits, %lld keys per point query, %d timed repetitions (medians), seed %llu, "
      "%u hardware threads\n\n",
      static_cast<long long>(files.patients),
      flags.shape == Shape::kRegistry ? "" : absl::StrCat(" (shape ", ShapeName(flags.shape), ")").c_str(),
      static_cast<long long>(files.observations),
      files.patient_files.size() + files.observation_files.size(),
      static_cast<long long>(flags.rows_per_file == std::numeric_limits<int64_t>::max()
                                 ? files.observations
                                 : flags.rows_per_file),
      static_cast<long long>(flags.ingest),
      static_cast<long long>(flags.queries), flags.reps,
      static_cast<unsigned long long>(flags.seed), std::thread::hardware_concurrency());

  const EngineResult* cot = nullptr;
  for (const EngineResult& r : results) {
    if (r.name == "cotrack" && r.ran) cot = &r;
  }
  // A ratio column cotrack ÷ X for each of SQLite and DuckDB in the run
  // (cotrack ÷ SQLite alone, as before, when neither is).
  std::vector<std::string> peers;
  for (const EngineResult& r : results) {
    if (r.name == "SQLite" || r.name == "DuckDB") peers.push_back(r.name);
  }
  if (peers.empty()) peers.push_back("SQLite");
  auto peer_result = [&](const std::string& name) -> const EngineResult* {
    for (const EngineResult& r : results) {
      if (r.name == name && r.ran) return &r;
    }
    return nullptr;
  };

  std::printf("| workload | metric |");
  for (const EngineResult& r : results) std::printf(" %s |", r.name.c_str());
  for (const std::string& p : peers) std::printf(" cotrack/%s |", p.c_str());
  std::printf("\n|---|---|");
  for (size_t i = 0; i < results.size() + peers.size(); ++i) std::printf("---:|");
  std::printf("\n");

  struct Row {
    const char* workload;
    const char* label;
    const char* field;
    const char* unit;  // throughput unit
  };
  const Row rows[] = {
      {"import", "import (CSV, end to end)", "throughput", "rows/s"},
      {"import", "", "p50_ns", "per file"},
      {"import", "", "p99_ns", "per file"},
      {"ingest", "API ingest (1 visit = 1 write)", "throughput", "visits/s"},
      {"ingest", "", "p50_ns", ""},
      {"ingest", "", "p99_ns", ""},
      {"trajectory", "trajectory (patient, measure)", "throughput", "queries/s"},
      {"trajectory", "", "p50_ns", ""},
      {"trajectory", "", "p99_ns", ""},
      {"latest", "latest as of a date", "throughput", "queries/s"},
      {"latest", "", "p50_ns", ""},
      {"latest", "", "p99_ns", ""},
      {"visit", "everything at one visit", "throughput", "queries/s"},
      {"visit", "", "p50_ns", ""},
      {"visit", "", "p99_ns", ""},
      {"cohort", "cohort summary (EDSS, 4 timepoints, by arm)", "throughput", "patients/s"},
      {"cohort", "", "p50_ns", ""},
      {"cohort", "", "p99_ns", "(max)"},
      {"export", "full export", "throughput", "rows/s"},
      {"export", "", "p50_ns", ""},
      {"export", "", "p99_ns", "(max)"},
      {"disk", "bytes on disk per observation (after compaction)", "bytes_per_obs", ""},
      {"rss", "peak RSS", "peak_bytes", ""},
  };
  for (const Row& row : rows) {
    std::string workload = row.workload;
    if (workload != "import" && workload != "disk" && workload != "rss" && !flags.Want(workload)) {
      continue;
    }
    std::string field = row.field;
    std::string metric;
    if (field == "throughput") metric = row.unit;
    if (field == "p50_ns") metric = absl::StrCat("p50 ", row.unit);
    if (field == "p99_ns") metric = absl::StrCat("p99 ", row.unit);
    if (field == "bytes_per_obs") metric = "bytes";
    if (field == "peak_bytes") metric = "MiB";
    while (!metric.empty() && metric.back() == ' ') metric.pop_back();
    std::printf("| %s | %s |", row.label, metric.c_str());
    for (const EngineResult& r : results) {
      const double* v = r.ran ? Find(r, row.workload, row.field) : nullptr;
      if (v == nullptr) {
        std::printf(" n/a |");
      } else if (field == "throughput") {
        std::printf(" %s |", Thousands(*v).c_str());
      } else if (field == "bytes_per_obs") {
        std::printf(" %.1f |", *v);
      } else if (field == "peak_bytes") {
        std::printf(" %.0f |", *v / 1024 / 1024);
      } else {
        std::printf(" %s |", Duration(*v).c_str());
      }
    }
    const double* a = cot ? Find(*cot, row.workload, row.field) : nullptr;
    for (const std::string& p : peers) {
      const EngineResult* peer = peer_result(p);
      const double* b = peer ? Find(*peer, row.workload, row.field) : nullptr;
      if (a != nullptr && b != nullptr && *b != 0) {
        std::printf(" %s× |", RatioText(*a / *b).c_str());
      } else {
        std::printf(" n/a |");
      }
    }
    std::printf("\n");
  }
  std::printf(
      "\nRatios are cotrack ÷ %s of the figure in that row: above 1 is better for "
      "throughput, below 1 is better for latency, bytes and RSS.\n",
      absl::StrJoin(peers, " and cotrack ÷ ").c_str());
  for (const EngineResult& r : results) {
    for (const std::string& note : r.notes) std::printf("\n%s: %s\n", r.name.c_str(), note.c_str());
  }
  for (const std::string& s : skipped) std::printf("\n%s\n", s.c_str());

  // Every engine must have given the same answers.
  std::vector<std::string> problems;
  for (const EngineResult& r : results) {
    if (!r.ran) problems.push_back(absl::StrCat(r.name, " did not run: ", r.error));
  }
  const EngineResult* ref = nullptr;
  for (const EngineResult& r : results) {
    if (!r.ran) continue;
    if (ref == nullptr) {
      ref = &r;
      continue;
    }
    for (const auto& [workload, text] : ref->checks) {
      auto it = r.checks.find(workload);
      std::string other = it == r.checks.end() ? "(none)" : it->second;
      if (other != text) {
        problems.push_back(absl::StrCat(workload, ": ", ref->name, " gave \"", text, "\" but ",
                                        r.name, " gave \"", other, "\""));
      }
    }
  }
  if (ref != nullptr) {
    auto it = ref->checks.find("cohort");
    if (it != ref->checks.end()) {
      std::printf(
          "\nCohort summary (arm/timepoint 0,1,2,3 = baseline, months 12, 24, 60; "
          "window ±45 days): %s\n",
          it->second.c_str());
    }
  }
  if (problems.empty()) {
    std::printf("\nAll engines returned the same results for every workload.\n");
  } else {
    std::printf("\nProblems:\n");
    for (const std::string& p : problems) std::printf("- %s\n", p.c_str());
  }
}

bool ParseInt(const char* text, int64_t* v) { return absl::SimpleAtoi(text, v); }

// tools/bench/python_bench.py on the generated files: the cotrack Python
// module against Python's sqlite3. Its Markdown goes to our stdout, after
// the table. False when it could not run or failed.
bool RunPythonBench(const Flags& flags) {
  const std::string script = COTRACK_BENCH_PYTHON_SCRIPT;
  const std::string python = FindExecutable("python3");
  if (python.empty() || script.empty() || std::string(COTRACK_BENCH_LIBRARY).empty()) {
    std::fprintf(stderr,
                 "cotrack_bench: --python needs python3 and a build with the cotrack library "
                 "and command line\n");
    return false;
  }
  std::vector<std::string> args = {python,
                                   script,
                                   "--data",
                                   flags.dir,
                                   "--work",
                                   absl::StrCat(flags.dir, "/python"),
                                   "--library",
                                   COTRACK_BENCH_LIBRARY,
                                   "--cotrack",
                                   COTRACK_BENCH_CLI,
                                   "--seed",
                                   absl::StrCat(flags.seed)};
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::printf("\n");
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::execv(python.c_str(), argv.data());
    std::_Exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "cotrack_bench: %s failed\n", script.c_str());
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](int64_t* out) {
      if (i + 1 >= argc || !ParseInt(argv[i + 1], out)) {
        std::fprintf(stderr, "cotrack_bench: %s needs an integer value\n", a.c_str());
        return false;
      }
      ++i;
      return true;
    };
    int64_t v = 0;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--patients") {
      if (!value(&flags.patients)) return 2;
    } else if (a == "--seed") {
      if (!value(&v)) return 2;
      flags.seed = static_cast<uint64_t>(v);
    } else if (a == "--rows-per-file") {
      if (!value(&flags.rows_per_file)) return 2;
    } else if (a == "--queries") {
      if (!value(&flags.queries)) return 2;
    } else if (a == "--reps") {
      if (!value(&v)) return 2;
      flags.reps = static_cast<int>(v);
    } else if (a == "--ingest") {
      if (!value(&flags.ingest)) return 2;
    } else if (a == "--engines" && i + 1 < argc) {
      flags.engines = absl::StrSplit(argv[++i], ',', absl::SkipEmpty());
    } else if (a == "--dir" && i + 1 < argc) {
      flags.dir = argv[++i];
    } else if (a == "--workloads" && i + 1 < argc) {
      flags.workloads = absl::StrSplit(argv[++i], ',', absl::SkipEmpty());
      for (const std::string& w : flags.workloads) {
        if (std::find_if(std::begin(kWorkloads), std::end(kWorkloads),
                         [&](const char* k) { return w == k; }) == std::end(kWorkloads)) {
          std::fprintf(stderr,
                       "cotrack_bench: unknown workload \"%s\" (expected one of ingest, "
                       "trajectory, latest, visit, cohort, export)\n",
                       w.c_str());
          return 2;
        }
      }
    } else if (a == "--keep") {
      flags.keep = true;
    } else if (a == "--shape" && i + 1 < argc) {
      if (!ParseShape(argv[++i], &flags.shape)) {
        std::fprintf(stderr, "cotrack_bench: unknown shape \"%s\" (expected registry or issue13)\n",
                     argv[i]);
        return 2;
      }
    } else if (a == "--python") {
      flags.python = true;
    } else if (a == "--node" && i + 1 < argc) {
      flags.duckdb.node = argv[++i];
    } else if (a == "--duckdb-modules" && i + 1 < argc) {
      flags.duckdb.modules = argv[++i];
    } else if (a == "--duckdb-script" && i + 1 < argc) {
      flags.duckdb.script = argv[++i];
    } else if (a == "--duckdb-key") {
      flags.duckdb.key = true;
    } else if (a == "--duckdb-resort") {
      flags.duckdb.resort = true;
    } else if (a == "--duckdb-ingest" && i + 1 < argc) {
      flags.duckdb.ingest_mode = argv[++i];
      if (flags.duckdb.ingest_mode != "appender" && flags.duckdb.ingest_mode != "insert") {
        std::fprintf(stderr, "cotrack_bench: --duckdb-ingest takes appender or insert\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "cotrack_bench: unknown or incomplete flag \"%s\" (see --help)\n",
                   a.c_str());
      return 2;
    }
  }
  if (flags.rows_per_file == -1) {
    // Issue 13's file is one file.
    flags.rows_per_file = flags.shape == Shape::kIssue13 ? std::numeric_limits<int64_t>::max()
                                                         : 1000000;
  }
  if (flags.queries == -1) {
    flags.queries = std::min<int64_t>(10000, std::max<int64_t>(1000, flags.patients * 5));
  }
  if (flags.patients < 1 || flags.queries < 1 || flags.reps < 1 || flags.rows_per_file < 1) {
    std::fprintf(stderr,
                 "cotrack_bench: --patients, --queries, --reps and --rows-per-file must be at "
                 "least 1\n");
    return 2;
  }
  if (flags.ingest < 0) {
    flags.ingest = std::min<int64_t>(20000, std::max<int64_t>(200, flags.patients / 5));
  }
  const bool engines_given = !flags.engines.empty();
  if (!engines_given) {
    for (const char* key : {"cotrack", "sqlite", "rocksdb"}) {
      if (MakeEngine(key) != nullptr) flags.engines.push_back(key);
    }
    flags.engines.push_back("duckdb");
  }
  for (const std::string& key : flags.engines) {
    if (key != "duckdb" && MakeEngine(key) == nullptr) {
      std::fprintf(stderr,
                   "cotrack_bench: engine \"%s\" is unknown or not built into this binary "
                   "(expected cotrack, sqlite, rocksdb or duckdb)\n",
                   key.c_str());
      return 2;
    }
  }
  // DuckDB runs only where node and its npm package are: otherwise it is
  // skipped with a message, never an error.
  std::vector<std::string> skipped;
  auto duck = std::find(flags.engines.begin(), flags.engines.end(), "duckdb");
  if (duck != flags.engines.end()) {
    std::string why = DuckDbUnavailable(flags.duckdb);
    if (!why.empty()) {
      skipped.push_back(absl::StrCat("DuckDB skipped: ", why, "."));
      std::fprintf(stderr, "cotrack_bench: %s\n", skipped.back().c_str());
      flags.engines.erase(duck);
    }
  }
  if (flags.engines.empty()) {
    std::fprintf(stderr, "cotrack_bench: no engine left to run\n");
    return 1;
  }
  if (flags.dir.empty()) flags.dir = absl::StrCat("/tmp/cotrack-bench-", ::getpid());
  if (::mkdir(flags.dir.c_str(), 0755) != 0) {
    std::fprintf(stderr, "cotrack_bench: cannot create work directory %s: %s\n", flags.dir.c_str(),
                 std::strerror(errno));
    return 1;
  }

  std::fprintf(stderr, "generating %lld patients into %s\n", static_cast<long long>(flags.patients),
               flags.dir.c_str());
  absl::StatusOr<GeneratedFiles> files =
      WriteRegistry(flags.dir, flags.seed, flags.patients, flags.rows_per_file, flags.shape);
  if (!files.ok()) {
    std::fprintf(stderr, "cotrack_bench: %s\n", files.status().ToString().c_str());
    return 1;
  }
  std::vector<EngineResult> results;
  for (const std::string& key : flags.engines) {
    results.push_back(RunInChild(key, flags, *files));
    if (!results.back().ran) {
      std::fprintf(stderr, "cotrack_bench: %s failed: %s\n", results.back().name.c_str(),
                   results.back().error.c_str());
    }
  }
  PrintReport(flags, *files, results, skipped);
  bool python_ok = true;
  if (flags.python) python_ok = RunPythonBench(flags);
  if (!flags.keep) {
    absl::Status s = RemoveDir(flags.dir);
    if (!s.ok()) std::fprintf(stderr, "cotrack_bench: %s\n", s.ToString().c_str());
  }
  for (const EngineResult& r : results) {
    if (!r.ran) return 1;
  }
  return python_ok ? 0 : 1;
}

}  // namespace
}  // namespace cotrack::bench

int main(int argc, char** argv) { return cotrack::bench::Main(argc, argv); }
