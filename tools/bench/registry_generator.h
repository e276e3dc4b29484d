// A synthetic clinical registry for the benchmark: two arms, index dates over
// ten years, five measures at visits every six months for up to ten years,
// with missed visits, dropouts, missing lab samples and censored IL-4.
// Everything is a pure function of (seed, patient number), so any process can
// recreate any patient (e.g. to draw query keys) without reading the files.
#ifndef COTRACK_TOOLS_BENCH_REGISTRY_GENERATOR_H_
#define COTRACK_TOOLS_BENCH_REGISTRY_GENERATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cotrack::bench {

// The five benchmark measures, in a fixed order.
enum MeasureIndex { kEdss = 0, kAis, kFis, kHba1c, kIl4, kMeasureCount };

// The shape of the generated registry.
//   kRegistry: the default registry described above (five measures, missed
//     visits, dropouts, missing lab samples).
//   kIssue13: the file of issue 13: every patient has exactly 20 visits
//     (months 0 to 114) of exactly 2 measures, EDSS and HbA1c, so 30,000
//     patients make 1,200,000 observation rows.
enum class Shape { kRegistry, kIssue13 };

// "registry" / "issue13"; false when `name` is neither.
bool ParseShape(const std::string& name, Shape* shape);
const char* ShapeName(Shape shape);

// The measures a registry of `shape` records, in MeasureIndex order.
const std::vector<int>& ShapeMeasures(Shape shape);

// Catalog code, e.g. "edss".
const char* MeasureCode(int measure);
// Unit written in the CSV ("" = the measure's canonical unit).
const char* MeasureUnit(int measure);
// Index of `code` among the benchmark measures; -1 when not one of them.
int MeasureFromCode(const std::string& code);

struct GenValue {
  int measure = 0;
  double value = 0;       // for censored values, the detection limit
  bool censored = false;  // "<" comparator
};

struct GenVisit {
  int month = 0;    // 0, 6, 12, ...
  int64_t day = 0;  // days since 1970-01-01
  std::vector<GenValue> values;
};

struct GenPatient {
  int64_t number = 0;
  std::string id;   // "P0000042"
  std::string arm;  // "treatment" or "control"
  int64_t index_day = 0;
  std::vector<GenVisit> visits;
};

// Patient id of patient `number`.
std::string PatientId(int64_t number);

// Patient `number` (0-based) of the registry drawn from `seed`.
GenPatient GeneratePatient(uint64_t seed, int64_t number, Shape shape = Shape::kRegistry);

// Appends the CSV text of `v` (e.g. "4.5", "17", "<0.5") to `out`.
void AppendValueText(const GenValue& v, std::string* out);

// Visit label of `month`, e.g. "M6".
std::string VisitLabel(int month);

// Extra visits recorded through the API after the import: visit `j`
// (0 <= j) goes to an existing patient on a date after all generated visits,
// so every one is a new identity. `patients` is the registry size.
struct IngestVisit {
  std::string patient;
  int64_t day = 0;
  std::string label;
  std::vector<GenValue> values;
};
IngestVisit GenerateIngestVisit(uint64_t seed, int64_t patients, int64_t j,
                                Shape shape = Shape::kRegistry);

struct GeneratedFiles {
  std::vector<std::string> patient_files;
  std::vector<std::string> observation_files;
  int64_t patients = 0;
  int64_t observations = 0;
};

// Writes the registry of `patients` patients into `dir`: patients-NNNN.csv
// (patient,arm,index_date) and observations-NNNN.csv
// (patient,measure,date,value,unit,visit), at most `rows_per_file` data rows
// per file. `dir` must exist.
absl::StatusOr<GeneratedFiles> WriteRegistry(const std::string& dir, uint64_t seed,
                                             int64_t patients, int64_t rows_per_file,
                                             Shape shape = Shape::kRegistry);

}  // namespace cotrack::bench

#endif  // COTRACK_TOOLS_BENCH_REGISTRY_GENERATOR_H_
