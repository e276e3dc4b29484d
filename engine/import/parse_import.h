// A whole file parsed into one Batch in memory, without a database: for
// tests and fuzzing, which check what the formats make of a file before any
// validation. Importing streams instead (ImportFile, cotrack/import.h).
#ifndef COTRACK_IMPORT_PARSE_IMPORT_H_
#define COTRACK_IMPORT_PARSE_IMPORT_H_

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/statusor.h"
#include "cotrack/database.h"
#include "cotrack/import.h"

namespace cotrack {

// A file parsed into one batch (audit "import", detail = source), not yet
// applied: Database::Apply would write it.
struct ParsedImport {
  ImportFormat format = ImportFormat::kAuto;
  int64_t rows = 0;  // data rows read
  Batch batch;
};

// Parses `in` without touching a database. Syntax errors (header, columns,
// numbers, dates) of all rows come back as one InvalidArgument; validation
// against the catalog is left to Database::Apply.
absl::StatusOr<ParsedImport> ParseImport(std::istream& in, const std::string& source,
                                         const ImportOptions& options);
// ParseImport of the file at `path`; opening it fails as ImportFile does.
absl::StatusOr<ParsedImport> ParseImportFile(const std::string& path, const ImportOptions& options);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_PARSE_IMPORT_H_
