// SQLite baseline: the layout a careful developer would choose. One table
// keyed (patient, measure, date) WITHOUT ROWID, dates as integer day numbers,
// provenance as a source id + line, WAL journal, synchronous=NORMAL, a 192 MiB
// page cache (cotrack's default caches), prepared statements, one
// transaction per imported file and per recorded visit. It keeps only the
// current version of each observation (cotrack keeps every version).
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench_engine.h"
#include "bench_util.h"
#include "cotrack/options.h"
#include "csv_input.h"

namespace cotrack::bench {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE sources(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE patients(
  patient TEXT PRIMARY KEY, arm TEXT, index_day INTEGER,
  version INTEGER NOT NULL, recorded_at INTEGER NOT NULL, source_id INTEGER, line INTEGER
) WITHOUT ROWID;
CREATE TABLE obs(
  patient TEXT NOT NULL, measure TEXT NOT NULL, date INTEGER NOT NULL,
  value REAL NOT NULL, comparator INTEGER NOT NULL, unit TEXT, visit TEXT,
  version INTEGER NOT NULL, recorded_at INTEGER NOT NULL, source_id INTEGER, line INTEGER,
  PRIMARY KEY(patient, measure, date)
) WITHOUT ROWID;
INSERT INTO sources(id, path) VALUES(1, 'api');
)sql";

constexpr const char* kInsertObs = R"sql(
INSERT INTO obs(patient, measure, date, value, comparator, unit, visit, version, recorded_at,
                source_id, line)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10)
ON CONFLICT(patient, measure, date) DO UPDATE SET
  value = excluded.value, comparator = excluded.comparator, unit = excluded.unit,
  visit = excluded.visit, version = obs.version + 1, recorded_at = excluded.recorded_at,
  source_id = excluded.source_id, line = excluded.line
WHERE obs.value IS NOT excluded.value OR obs.comparator IS NOT excluded.comparator
   OR obs.unit IS NOT excluded.unit OR obs.visit IS NOT excluded.visit
)sql";

constexpr const char* kInsertPatient = R"sql(
INSERT INTO patients(patient, arm, index_day, version, recorded_at, source_id, line)
VALUES(?1, ?2, ?3, 1, ?4, ?5, ?6)
ON CONFLICT(patient) DO UPDATE SET
  arm = excluded.arm, index_day = excluded.index_day, version = patients.version + 1,
  recorded_at = excluded.recorded_at, source_id = excluded.source_id, line = excluded.line
WHERE patients.arm IS NOT excluded.arm OR patients.index_day IS NOT excluded.index_day
)sql";

constexpr const char* kColumns =
    "date, value, comparator, unit, visit, version, recorded_at, source_id, line";

class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() const { return s_; }
  void Reset() {
    sqlite3_finalize(s_);
    s_ = nullptr;
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

class SqliteEngine : public BenchEngine {
 public:
  ~SqliteEngine() override { (void)Close(); }
  const char* name() const override { return "SQLite"; }

  absl::Status Create(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat("cannot create ", dir));
    }
    path_ = dir + "/bench.sqlite";
    absl::Status s = OpenDb();
    if (!s.ok()) return s;
    s = Exec(kSchema);
    if (!s.ok()) return s;
    return PrepareAll();
  }

  absl::StatusOr<int64_t> ImportFile(const std::string& path, bool patients) override {
    std::vector<CsvObservation> obs;
    std::vector<CsvPatient> pats;
    absl::Status s = patients ? ReadPatientsCsv(path, &buffer_, &pats)
                              : ReadObservationsCsv(path, &buffer_, &obs);
    if (!s.ok()) return s;
    s = Exec("BEGIN");
    if (!s.ok()) return s;
    s = ImportRows(path, obs, pats);
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    s = Exec("COMMIT");
    if (!s.ok()) return s;
    return static_cast<int64_t>(patients ? pats.size() : obs.size());
  }

  absl::Status RecordVisit(const IngestVisit& visit) override {
    absl::Status s = StepDone(begin_.get());
    if (!s.ok()) return s;
    int64_t now = WallMicros();
    for (const GenValue& v : visit.values) {
      sqlite3_stmt* st = insert_obs_.get();
      sqlite3_bind_text(st, 1, visit.patient.data(), static_cast<int>(visit.patient.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(st, 2, MeasureCode(v.measure), -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 3, visit.day);
      sqlite3_bind_double(st, 4, v.value);
      sqlite3_bind_int(st, 5, v.censored ? 1 : 0);
      sqlite3_bind_text(st, 6, MeasureUnit(v.measure), -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 7, visit.label.data(), static_cast<int>(visit.label.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(st, 8, now);
      sqlite3_bind_int64(st, 9, 1);  // "api"
      sqlite3_bind_int64(st, 10, 0);
      s = StepDone(st);
      if (!s.ok()) {
        (void)StepDone(rollback_.get());
        return s;
      }
    }
    return StepDone(commit_.get());
  }

  absl::Status CompactAndReopen() override {
    FinalizeAll();
    absl::Status s = Exec("VACUUM");
    if (s.ok()) s = Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!s.ok()) return s;
    sqlite3_close(db_);
    db_ = nullptr;
    s = OpenDb();
    if (!s.ok()) return s;
    return PrepareAll();
  }

  absl::StatusOr<uint64_t> BytesOnDisk() override {
    uint64_t total = 0;
    for (const std::string& p : {path_, path_ + "-wal"}) {
      struct stat st;
      if (::stat(p.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
    }
    return total;
  }

  absl::StatusOr<QueryResult> Trajectory(const std::string& patient, int measure) override {
    sqlite3_stmt* st = trajectory_.get();
    sqlite3_bind_text(st, 1, patient.data(), static_cast<int>(patient.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 2, MeasureCode(measure), -1, SQLITE_STATIC);
    return Collect(st);
  }

  absl::StatusOr<QueryResult> LatestAsOf(const std::string& patient, int measure,
                                         int64_t day) override {
    sqlite3_stmt* st = latest_.get();
    sqlite3_bind_text(st, 1, patient.data(), static_cast<int>(patient.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 2, MeasureCode(measure), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, day);
    return Collect(st);
  }

  absl::StatusOr<QueryResult> Visit(const std::string& patient, int64_t day) override {
    sqlite3_stmt* st = visit_.get();
    sqlite3_bind_text(st, 1, patient.data(), static_cast<int>(patient.size()), SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, day);
    return Collect(st);
  }

  absl::StatusOr<std::vector<CohortCell>> Cohort(const CohortQuery& q) override {
    // Closest uncensored value to each timepoint per patient (ties: earlier),
    // then n and median per (arm, timepoint) with window functions: SQLite
    // has no median aggregate.
    std::vector<std::string> tps;
    for (size_t k = 0; k < q.offsets.size(); ++k) {
      tps.push_back(absl::StrCat("(", k, ",", q.offsets[k], ")"));
    }
    std::string sql = absl::StrCat(R"sql(
WITH tp(k, off) AS (VALUES )sql",
                                   absl::StrJoin(tps, ","), R"sql(),
cand AS (
  SELECT p.arm AS arm, tp.k AS k, o.value AS value,
         ROW_NUMBER() OVER (PARTITION BY p.patient, tp.k
                            ORDER BY abs(o.date - (p.index_day + tp.off)), o.date) AS rn
  FROM patients p CROSS JOIN tp
  CROSS JOIN obs o ON o.patient = p.patient AND o.measure = ?1
            AND o.date BETWEEN p.index_day + tp.off - ?2 AND p.index_day + tp.off + ?2
  WHERE o.comparator = 0 AND p.arm IS NOT NULL AND p.index_day IS NOT NULL
),
picked AS (SELECT arm, k, value FROM cand WHERE rn = 1),
ranked AS (
  SELECT arm, k, value,
         ROW_NUMBER() OVER (PARTITION BY arm, k ORDER BY value) AS r,
         COUNT(*) OVER (PARTITION BY arm, k) AS c
  FROM picked
)
SELECT arm, k, MAX(c), AVG(value) FROM ranked
WHERE r IN ((c + 1) / 2, (c + 2) / 2)
GROUP BY arm, k ORDER BY arm, k
)sql");
    if (sql != cohort_sql_) {
      cohort_.Reset();
      absl::Status s = Prepare(sql.c_str(), &cohort_);
      if (!s.ok()) return s;
      cohort_sql_ = sql;
    }
    sqlite3_stmt* st = cohort_.get();
    sqlite3_bind_text(st, 1, MeasureCode(q.measure), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, q.window);
    std::vector<CohortCell> cells;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      CohortCell c;
      c.arm = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      c.timepoint = sqlite3_column_int(st, 1);
      c.n = sqlite3_column_int64(st, 2);
      c.median = sqlite3_column_double(st, 3);
      cells.push_back(std::move(c));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return Error("cohort summary");
    return cells;
  }

  absl::StatusOr<ExportResult> Export() override {
    std::map<int64_t, std::string> sources;
    {
      Stmt st;
      absl::Status s = Prepare("SELECT id, path FROM sources", &st);
      if (!s.ok()) return s;
      while (sqlite3_step(st.get()) == SQLITE_ROW) {
        sources[sqlite3_column_int64(st.get(), 0)] =
            reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1));
      }
    }
    sqlite3_stmt* st = export_.get();
    ExportResult r;
    std::string out;
    std::string patient, measure, unit, visit;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      patient = Text(st, 0);
      measure = Text(st, 1);
      unit = Text(st, 5);
      visit = Text(st, 6);
      AppendExportLine(patient, measure.c_str(), sqlite3_column_int64(st, 2),
                       sqlite3_column_double(st, 3), sqlite3_column_int(st, 4), unit, visit,
                       sqlite3_column_int64(st, 7), sqlite3_column_int64(st, 8),
                       sources[sqlite3_column_int64(st, 9)], sqlite3_column_int64(st, 10), &out);
      ++r.rows;
      if (out.size() > (1 << 20)) {
        r.bytes += static_cast<int64_t>(out.size());
        out.clear();
      }
    }
    sqlite3_reset(st);
    r.bytes += static_cast<int64_t>(out.size());
    if (rc != SQLITE_DONE) return Error("export");
    return r;
  }

  absl::Status Close() override {
    FinalizeAll();
    if (db_ != nullptr) {
      sqlite3_close(db_);
      db_ = nullptr;
    }
    return absl::OkStatus();
  }

 private:
  static std::string Text(sqlite3_stmt* st, int col) {
    const unsigned char* t = sqlite3_column_text(st, col);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  }

  absl::Status OpenDb() {
    if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK) return Error("open " + path_);
    // The same memory as cotrack's caches (192 MiB by default).
    const Options cotrack;
    const size_t cache_kib =
        (cotrack.block_cache_bytes + cotrack.row_cache_bytes + cotrack.value_cache_bytes) >> 10;
    const std::string pragmas = absl::StrCat(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-", cache_kib, ";");
    return Exec(pragmas.c_str());
  }

  absl::Status PrepareAll() {
    absl::Status s = Prepare(kInsertObs, &insert_obs_);
    if (s.ok()) s = Prepare(kInsertPatient, &insert_patient_);
    if (s.ok()) s = Prepare("BEGIN", &begin_);
    if (s.ok()) s = Prepare("COMMIT", &commit_);
    if (s.ok()) s = Prepare("ROLLBACK", &rollback_);
    if (s.ok()) {
      s = Prepare(absl::StrCat("SELECT ", kColumns,
                               " FROM obs WHERE patient = ?1 AND measure = ?2 ORDER BY date")
                      .c_str(),
                  &trajectory_);
    }
    if (s.ok()) {
      s = Prepare(absl::StrCat("SELECT ", kColumns,
                               " FROM obs WHERE patient = ?1 AND measure = ?2 AND date <= ?3"
                               " ORDER BY date DESC LIMIT 1")
                      .c_str(),
                  &latest_);
    }
    if (s.ok()) {
      std::vector<std::string> codes;
      for (const char* c : kCatalogCodes) codes.push_back(absl::StrCat("'", c, "'"));
      s = Prepare(absl::StrCat("SELECT ", kColumns, " FROM obs WHERE patient = ?1 AND measure IN (",
                               absl::StrJoin(codes, ","), ") AND date = ?2 ORDER BY measure")
                      .c_str(),
                  &visit_);
    }
    if (s.ok()) {
      s = Prepare(
          "SELECT patient, measure, date, value, comparator, unit, visit, version, recorded_at, "
          "source_id, line FROM obs",
          &export_);
    }
    return s;
  }

  void FinalizeAll() {
    for (Stmt* s :
         {&insert_obs_, &insert_patient_, &trajectory_, &latest_, &visit_, &cohort_, &export_}) {
      s->Reset();
    }
    cohort_sql_.clear();
  }

  absl::Status ImportRows(const std::string& path, const std::vector<CsvObservation>& obs,
                          const std::vector<CsvPatient>& pats) {
    int64_t source_id;
    {
      Stmt st;
      absl::Status s = Prepare(
          "INSERT INTO sources(path) VALUES(?1) ON CONFLICT(path) DO UPDATE SET path = path "
          "RETURNING id",
          &st);
      if (!s.ok()) return s;
      sqlite3_bind_text(st.get(), 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
      if (sqlite3_step(st.get()) != SQLITE_ROW) return Error("insert source");
      source_id = sqlite3_column_int64(st.get(), 0);
      if (sqlite3_step(st.get()) != SQLITE_DONE) return Error("insert source");
    }
    int64_t now = WallMicros();
    for (const CsvObservation& o : obs) {
      sqlite3_stmt* st = insert_obs_.get();
      sqlite3_bind_text(st, 1, o.patient.data(), static_cast<int>(o.patient.size()), SQLITE_STATIC);
      sqlite3_bind_text(st, 2, MeasureCode(o.measure), -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 3, o.day);
      sqlite3_bind_double(st, 4, o.value);
      sqlite3_bind_int(st, 5, o.comparator);
      sqlite3_bind_text(st, 6, o.unit.data(), static_cast<int>(o.unit.size()), SQLITE_STATIC);
      sqlite3_bind_text(st, 7, o.visit.data(), static_cast<int>(o.visit.size()), SQLITE_STATIC);
      sqlite3_bind_int64(st, 8, now);
      sqlite3_bind_int64(st, 9, source_id);
      sqlite3_bind_int64(st, 10, o.line);
      absl::Status s = StepDone(st);
      if (!s.ok()) return s;
    }
    for (const CsvPatient& p : pats) {
      sqlite3_stmt* st = insert_patient_.get();
      sqlite3_bind_text(st, 1, p.patient.data(), static_cast<int>(p.patient.size()), SQLITE_STATIC);
      sqlite3_bind_text(st, 2, p.arm.data(), static_cast<int>(p.arm.size()), SQLITE_STATIC);
      sqlite3_bind_int64(st, 3, p.index_day);
      sqlite3_bind_int64(st, 4, now);
      sqlite3_bind_int64(st, 5, source_id);
      sqlite3_bind_int64(st, 6, p.line);
      absl::Status s = StepDone(st);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<QueryResult> Collect(sqlite3_stmt* st) {
    std::vector<StoredRow> rows;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      StoredRow r;
      r.day = sqlite3_column_int64(st, 0);
      r.value = sqlite3_column_double(st, 1);
      r.comparator = sqlite3_column_int(st, 2);
      r.unit = Text(st, 3);
      r.visit = Text(st, 4);
      r.version = sqlite3_column_int64(st, 5);
      r.recorded_at = sqlite3_column_int64(st, 6);
      r.source_id = sqlite3_column_int64(st, 7);
      r.line = sqlite3_column_int64(st, 8);
      rows.push_back(std::move(r));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return Error("query");
    QueryResult q;
    q.rows = static_cast<int64_t>(rows.size());
    for (const StoredRow& r : rows) q.value_sum += r.value;
    return q;
  }

  absl::Status StepDone(sqlite3_stmt* st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return Error("step");
    return absl::OkStatus();
  }

  absl::Status Prepare(const char* sql, Stmt* out) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, out->out(), nullptr) !=
        SQLITE_OK) {
      return Error(absl::StrCat("prepare ", sql));
    }
    return absl::OkStatus();
  }

  absl::Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      return absl::InternalError(absl::StrCat("SQLite ", path_, ": ", sql, ": ", msg));
    }
    return absl::OkStatus();
  }

  absl::Status Error(const std::string& what) {
    return absl::InternalError(
        absl::StrCat("SQLite ", path_, ": ", what, ": ", db_ ? sqlite3_errmsg(db_) : "no db"));
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::string buffer_;
  Stmt insert_obs_, insert_patient_, trajectory_, latest_, visit_, cohort_, export_;
  Stmt begin_, commit_, rollback_;
  std::string cohort_sql_;
};

}  // namespace

std::unique_ptr<BenchEngine> MakeSqliteEngine() { return std::make_unique<SqliteEngine>(); }

}  // namespace cotrack::bench
