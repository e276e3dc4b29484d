// One CSV dialect: the part of a CSV import format that knows its columns.
// Reading the file (records, threads, blank rows, rejects) is the CSV
// reader's, and how a row ends (provenance, a bad row adds nothing, counts)
// the RowWriter's; the parser checks the header, then turns each data row
// into changes.
#ifndef COTRACK_IMPORT_CSV_ROW_PARSER_H_
#define COTRACK_IMPORT_CSV_ROW_PARSER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cotrack/database.h"
#include "import/code_mapping.h"
#include "import/csv_reader.h"
#include "import/import_errors.h"
#include "import/row_writer.h"

namespace cotrack {

// What a format may know of the database it imports into, given once before
// the first row (FormatReader::UseCatalog).
struct ImportCatalog {
  // Whether `code` is a measure of the database (built-in or registered).
  std::function<bool(absl::string_view code)> is_measure;
  // The external codes of the database's own measures (`measure add
  // --loinc`), as code mappings: a coded format adds them to its table where
  // neither the built-in table nor the --mapping file maps that code.
  std::vector<CodeMappingEntry> codes;
};

// Implemented per format (observations, patients, ...).
class CsvRowParser {
 public:
  virtual ~CsvRowParser() = default;
  // Called once with the header; an error rejects the file.
  virtual absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) = 0;
  // Called once per data row (rows whose cells are all blank are skipped),
  // between `writer`'s BeginRow and EndRow. Problems go to `errors`, changes
  // and deliberate skips to `writer`, which keeps the changes only when the
  // row had no problem (so a caller may skip bad rows and keep the good
  // ones).
  virtual void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) = 0;
  // FormatReader::UseCatalog, after ParseHeader.
  virtual absl::Status UseCatalog(const ImportCatalog& /*catalog*/) { return absl::OkStatus(); }
  // FormatReader::SourceOf.
  virtual std::string SourceOf(absl::string_view /*measure*/) const { return {}; }
};

// Checks that a row has exactly `names.size()` fields; else adds an error
// naming the missing or extra fields and returns false.
bool CheckFieldCount(const CsvRecord& row, const std::vector<std::string>& names,
                     ImportErrors& errors);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_CSV_ROW_PARSER_H_
