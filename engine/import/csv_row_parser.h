// One CSV dialect: the part of a CSV import format that knows its columns.
// Reading the file (records, threads, blank rows, rejects) is the CSV
// reader's; the parser checks the header, then turns each data row into
// changes.
#ifndef COTRACK_IMPORT_CSV_ROW_PARSER_H_
#define COTRACK_IMPORT_CSV_ROW_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cotrack/database.h"
#include "import/csv_reader.h"
#include "import/import_errors.h"

namespace cotrack {

// Implemented per format (observations, patients, ...).
class CsvRowParser {
 public:
  virtual ~CsvRowParser() = default;
  // Called once with the header; an error rejects the file.
  virtual absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) = 0;
  // Called once per data row (rows whose cells are all blank are skipped).
  // Problems go to `errors`; a row with any problem adds nothing to `batch`,
  // a good row adds its changes (so a caller may skip bad rows and keep the
  // good ones).
  virtual void ParseRow(const CsvRecord& row, ImportErrors& errors, Batch& batch) = 0;
};

// Checks that a row has exactly `names.size()` fields; else adds an error
// naming the missing or extra fields and returns false.
bool CheckFieldCount(const CsvRecord& row, const std::vector<std::string>& names,
                     ImportErrors& errors);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_CSV_ROW_PARSER_H_
