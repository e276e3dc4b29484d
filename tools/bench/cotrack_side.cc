// The cotrack side of the benchmark: the real importer end to end, the public
// Database API for everything else. Built only when the engine library is
// available (COTRACK_BENCH_HAVE_ENGINE); otherwise MakeCotrackEngine() returns
// nullptr and the benchmark runs the baselines alone.
#include <memory>

#include "bench_engine.h"

#ifdef COTRACK_BENCH_HAVE_ENGINE

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench_util.h"
#include "cotrack/database.h"
#include "cotrack/import.h"
#include "cotrack/summary.h"
#include "cotrack/timepoint.h"

namespace cotrack::bench {
namespace {

class CotrackEngine : public BenchEngine {
 public:
  const char* name() const override { return "cotrack"; }

  absl::Status Create(const std::string& dir) override {
    dir_ = dir;
    return OpenDb();
  }

  absl::StatusOr<int64_t> ImportFile(const std::string& path, bool patients) override {
    ImportOptions options;
    options.format = patients ? ImportFormat::kPatientsCsv : ImportFormat::kObservationsCsv;
    options.write.sync = true;  // durable at the end of each file
    options.user = "bench";
    absl::StatusOr<ImportReport> report = cotrack::ImportFile(*db_, path, options);
    if (!report.ok()) return report.status();
    return report->rows;
  }

  absl::Status RecordVisit(const IngestVisit& visit) override {
    std::vector<ObservationInput> inputs;
    inputs.reserve(visit.values.size());
    for (const GenValue& v : visit.values) {
      ObservationInput in;
      in.patient = visit.patient;
      in.measure = MeasureCode(v.measure);
      in.time = CivilTime::FromDay(visit.day);
      in.value = v.value;
      in.unit = MeasureUnit(v.measure);
      in.comparator = v.censored ? Comparator::kLess : Comparator::kNone;
      in.visit = visit.label;
      in.provenance.source = "api";
      in.provenance.user = "bench";
      inputs.push_back(std::move(in));
    }
    WriteOptions options;
    // Survives kill -9 (the write-ahead log is written before the ack) but
    // not power loss: the same promise as SQLite's WAL with
    // synchronous=NORMAL and RocksDB's default WriteOptions.
    options.sync = false;
    absl::StatusOr<WriteSummary> s = db_->RecordVisit(inputs, options);
    return s.status();
  }

  absl::Status CompactAndReopen() override {
    absl::Status s = db_->Compact();
    if (!s.ok()) return s;
    db_.reset();
    return OpenDb();
  }

  absl::StatusOr<uint64_t> BytesOnDisk() override { return DataBytesInDir(dir_); }

  absl::StatusOr<QueryResult> Trajectory(const std::string& patient, int measure) override {
    return Summarise(db_->Trajectory(patient, MeasureCode(measure)));
  }

  absl::StatusOr<QueryResult> LatestAsOf(const std::string& patient, int measure,
                                         int64_t day) override {
    return Summarise(db_->Latest(patient, MeasureCode(measure), CivilTime::FromDay(day), 1));
  }

  absl::StatusOr<QueryResult> Visit(const std::string& patient, int64_t day) override {
    return Summarise(db_->Visit(patient, CivilTime::FromDay(day)));
  }

  absl::StatusOr<std::vector<CohortCell>> Cohort(const CohortQuery& q) override {
    // The analytics API a study coordinator uses. It computes more than the
    // baselines do (mean, SD, quartiles, change from baseline and its
    // classification) from the same one-pass series scan.
    absl::StatusOr<std::vector<Timepoint>> tps = ParseTimepointList(q.cotrack_timepoints);
    if (!tps.ok()) return tps.status();
    SummaryOptions options;
    options.timepoints = *tps;
    options.timepoint.window_days = q.window;
    options.group_by = "arm";
    options.censored = CensoredRule::kExclude;
    absl::StatusOr<CohortSummary> summary = SummarizeCohort(*db_, MeasureCode(q.measure), options);
    if (!summary.ok()) return summary.status();
    std::vector<CohortCell> cells;
    for (const SummaryRow& row : summary->rows) {
      if (row.stats.n == 0 || !row.stats.median.has_value()) continue;
      CohortCell c;
      c.arm = row.group;
      for (size_t k = 0; k < tps->size(); ++k) {
        if ((*tps)[k].label == row.timepoint) c.timepoint = static_cast<int>(k);
      }
      c.n = row.stats.n;
      c.median = *row.stats.median;
      cells.push_back(std::move(c));
    }
    // Baselines order cells by (arm, timepoint); the summary by timepoint.
    std::sort(cells.begin(), cells.end(), [](const CohortCell& a, const CohortCell& b) {
      return a.arm != b.arm ? a.arm < b.arm : a.timepoint < b.timepoint;
    });
    return cells;
  }

  absl::StatusOr<ExportResult> Export() override {
    absl::StatusOr<std::vector<MeasureDefinition>> measures = db_->ListMeasures();
    if (!measures.ok()) return measures.status();
    ExportResult r;
    std::string out;
    for (const MeasureDefinition& m : *measures) {
      absl::Status s = db_->ForEachSeries(
          m.code, [&](const Patient& p, const std::vector<Observation>& trajectory) {
            for (const Observation& o : trajectory) {
              AppendExportLine(p.id, m.code.c_str(), o.time.day(), o.value,
                               static_cast<int>(o.comparator), o.unit, o.visit, o.version,
                               o.recorded_at_us, o.provenance.source, o.provenance.line, &out);
              ++r.rows;
            }
            if (out.size() > (1 << 20)) {
              r.bytes += static_cast<int64_t>(out.size());
              out.clear();
            }
            return absl::OkStatus();
          });
      if (!s.ok()) return s;
    }
    r.bytes += static_cast<int64_t>(out.size());
    return r;
  }

  absl::Status Close() override {
    db_.reset();
    return absl::OkStatus();
  }

 private:
  static absl::StatusOr<QueryResult> Summarise(
      const absl::StatusOr<std::vector<Observation>>& rows) {
    if (!rows.ok()) return rows.status();
    QueryResult q;
    q.rows = static_cast<int64_t>(rows->size());
    for (const Observation& o : *rows) q.value_sum += o.value;
    return q;
  }

  absl::Status OpenDb() {
    Options options;
    options.create_if_missing = true;
    options.user = "bench";
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_, options);
    if (!db.ok()) return db.status();
    db_ = std::move(*db);
    return absl::OkStatus();
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
};

}  // namespace

std::unique_ptr<BenchEngine> MakeCotrackEngine() { return std::make_unique<CotrackEngine>(); }

}  // namespace cotrack::bench

#else  // !COTRACK_BENCH_HAVE_ENGINE

namespace cotrack::bench {
std::unique_ptr<BenchEngine> MakeCotrackEngine() { return nullptr; }
}  // namespace cotrack::bench

#endif  // COTRACK_BENCH_HAVE_ENGINE
