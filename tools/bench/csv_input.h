// Reading the generated CSV files for the baseline engines. The baselines
// parse and range-check every row like an application would before inserting
// (cotrack's own importer does much more: full catalog validation, unit
// conversion, versioning), and reject a file with any bad row.
#ifndef COTRACK_TOOLS_BENCH_CSV_INPUT_H_
#define COTRACK_TOOLS_BENCH_CSV_INPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cotrack::bench {

// Views point into the buffer the file was read into.
struct CsvObservation {
  absl::string_view patient;
  int measure = 0;
  int64_t day = 0;
  double value = 0;
  int comparator = 0;  // 0 none, 1 "<", 2 "<=", 3 ">=", 4 ">"
  absl::string_view unit;
  absl::string_view visit;
  int64_t line = 0;
};

struct CsvPatient {
  absl::string_view patient;
  absl::string_view arm;
  int64_t index_day = 0;
  int64_t line = 0;
};

// Reads `path` (header patient,measure,date,value,unit,visit) into `buffer`
// and `rows`. InvalidArgument naming FILE:LINE and the field on a bad row.
absl::Status ReadObservationsCsv(const std::string& path, std::string* buffer,
                                 std::vector<CsvObservation>* rows);

// Reads `path` (header patient,arm,index_date).
absl::Status ReadPatientsCsv(const std::string& path, std::string* buffer,
                             std::vector<CsvPatient>* rows);

}  // namespace cotrack::bench

#endif  // COTRACK_TOOLS_BENCH_CSV_INPUT_H_
