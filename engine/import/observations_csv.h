// The long observations CSV: one observation per row.
//   patient,measure,date,value[,unit][,visit][,items]   (any column order)
// Header names are trimmed and compared case-insensitively; unknown columns
// are an error. `items` holds ';'-separated item scores (an empty item is an
// unanswered one); an empty value with items given means "compute the total".
#ifndef COTRACK_IMPORT_OBSERVATIONS_CSV_H_
#define COTRACK_IMPORT_OBSERVATIONS_CSV_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"

namespace cotrack {

class ObservationsCsvParser : public CsvRowParser {
 public:
  static constexpr const char* kRequired[] = {"patient", "measure", "date", "value"};
  static constexpr const char* kOptional[] = {"unit", "visit", "items"};

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

 private:
  std::vector<std::string> names_;  // normalized header names
  size_t patient_ = 0, measure_ = 0, date_ = 0, value_ = 0;
  std::optional<size_t> unit_, visit_, items_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_OBSERVATIONS_CSV_H_
