// The interface every benchmarked store implements (cotrack, SQLite, plain
// RocksDB), so the workload driver runs the same operations with the same
// keys on each. Query results are summarised (row count, value sum) so the
// driver can check that all engines returned the same answers.
#ifndef COTRACK_TOOLS_BENCH_BENCH_ENGINE_H_
#define COTRACK_TOOLS_BENCH_BENCH_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "registry_generator.h"

namespace cotrack::bench {

// What a query returned: enough to compare engines, cheap to compute.
struct QueryResult {
  int64_t rows = 0;
  double value_sum = 0;
};

// One stored observation as the baseline engines read it back: every field
// materialised, like cotrack's Observation.
struct StoredRow {
  int64_t day = 0;
  double value = 0;
  int comparator = 0;
  std::string unit;
  std::string visit;
  int64_t version = 0;
  int64_t recorded_at = 0;
  int64_t source_id = 0;
  int64_t line = 0;
};

// The built-in catalog's codes: what an application knowing the catalog asks
// for when it wants "everything at one visit".
extern const char* const kCatalogCodes[8];

// n and median of one (arm, timepoint) cell of the cohort summary.
struct CohortCell {
  std::string arm;
  int timepoint = 0;  // index into the offsets
  int64_t n = 0;
  double median = 0;
};

// Cohort summary: for every patient with an arm and an index date, the
// uncensored value of `measure` closest to index + offsets[k] days within
// +-window days (ties: the earlier one), then n and median per (arm, k).
struct CohortQuery {
  int measure = kEdss;
  std::vector<int64_t> offsets;
  // The same timepoints in cotrack's notation ("0,12m,24m,60m"): calendar
  // months and "0" = baseline differ from fixed day offsets in general, but
  // with visits six months apart and a 45-day window they pick the same
  // visits (the driver checks that every engine agrees).
  std::string cotrack_timepoints;
  int64_t window = 45;
};

// What a full export produced.
struct ExportResult {
  int64_t rows = 0;
  int64_t bytes = 0;
};

class BenchEngine {
 public:
  virtual ~BenchEngine() = default;

  // Short display name, e.g. "SQLite".
  virtual const char* name() const = 0;

  // Creates an empty store in the (not yet existing or empty) directory.
  virtual absl::Status Create(const std::string& dir) = 0;

  // Imports one generated patients / observations CSV file end to end, durable
  // and atomic per file. Returns the data rows read.
  virtual absl::StatusOr<int64_t> ImportFile(const std::string& path, bool patients) = 0;

  // Records one visit (several measures of one patient on one date) as one
  // atomic write, durable against a process crash.
  virtual absl::Status RecordVisit(const IngestVisit& visit) = 0;

  // Compacts (where the engine can) and reopens, so BytesOnDisk measures the
  // settled size and queries run on a freshly opened store.
  virtual absl::Status CompactAndReopen() = 0;

  // Bytes of data files in the store directory.
  virtual absl::StatusOr<uint64_t> BytesOnDisk() = 0;

  // Every current value of (patient, measure), oldest first.
  virtual absl::StatusOr<QueryResult> Trajectory(const std::string& patient, int measure) = 0;
  // The last value of (patient, measure) on or before `day`.
  virtual absl::StatusOr<QueryResult> LatestAsOf(const std::string& patient, int measure,
                                                 int64_t day) = 0;
  // Every value of the patient recorded on `day`.
  virtual absl::StatusOr<QueryResult> Visit(const std::string& patient, int64_t day) = 0;

  virtual absl::StatusOr<std::vector<CohortCell>> Cohort(const CohortQuery& q) = 0;

  // Formats every current observation with all its fields as CSV text (into
  // memory, discarded) and counts it.
  virtual absl::StatusOr<ExportResult> Export() = 0;

  virtual absl::Status Close() = 0;
};

// Factories of the three engines.
std::unique_ptr<BenchEngine> MakeSqliteEngine();
std::unique_ptr<BenchEngine> MakeRocksDbEngine();
// nullptr when this binary was built without the cotrack engine library.
std::unique_ptr<BenchEngine> MakeCotrackEngine();

// Picks the closest value to each timepoint for one patient's series and
// adds it to `cells_values[arm_index][k]`. Shared by the engines that compute
// the summary in C++ so that they agree with the SQL version exactly.
struct SeriesPoint {
  int64_t day;
  double value;
  bool censored;
};
void PickTimepoints(const CohortQuery& q, int64_t index_day, const std::vector<SeriesPoint>& series,
                    std::vector<double>* per_timepoint /* size offsets, NaN = none */);

// Turns picked values per arm into cells ordered by (arm, timepoint).
class CohortAccumulator {
 public:
  explicit CohortAccumulator(const CohortQuery& q) : q_(q) {}
  void Add(const std::string& arm, int64_t index_day, const std::vector<SeriesPoint>& series);
  std::vector<CohortCell> Finish();

 private:
  const CohortQuery& q_;
  std::vector<std::string> arms_;
  std::vector<std::vector<std::vector<double>>> values_;  // [arm][k]
  std::vector<double> picked_;
};

// Appends one export line "patient,measure,date,value,comparator,unit,visit,
// version,recorded_at,source,line\n"; the same formatting for every engine.
void AppendExportLine(const std::string& patient, const char* measure, int64_t day, double value,
                      int comparator, const std::string& unit, const std::string& visit,
                      int64_t version, int64_t recorded_at, const std::string& source, int64_t line,
                      std::string* out);

}  // namespace cotrack::bench

#endif  // COTRACK_TOOLS_BENCH_BENCH_ENGINE_H_
