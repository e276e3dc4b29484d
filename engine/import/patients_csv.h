// The patients CSV: one patient registration per row.
//   patient[,arm][,index_date][,treatment_dates][,ATTRIBUTE...]
// Other columns are free attributes keyed by their normalized header name
// (trimmed, lower case); an empty cell leaves that attribute unset.
// treatment_dates holds ';'-separated dates.
#ifndef COTRACK_IMPORT_PATIENTS_CSV_H_
#define COTRACK_IMPORT_PATIENTS_CSV_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "cotrack/database.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"

namespace cotrack {

class PatientsCsvParser : public CsvRowParser {
 public:
  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

 private:
  std::vector<std::string> names_;  // normalized header names
  size_t patient_ = 0;
  std::optional<size_t> arm_, index_date_, treatment_dates_;
  std::vector<size_t> attributes_;                  // columns holding free attributes
  absl::flat_hash_map<std::string, int64_t> seen_;  // patient -> line
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_PATIENTS_CSV_H_
