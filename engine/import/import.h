// Importing files into a database. Every file is parsed and validated whole,
// then applied as one atomic batch: after a bad row or a crash, either all of
// the file is visible or none of it.
#ifndef COTRACK_IMPORT_IMPORT_H_
#define COTRACK_IMPORT_IMPORT_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"

namespace cotrack {

enum class ImportFormat {
  kAuto,             // told apart by the header
  kObservationsCsv,  // patient,measure,date,value[,unit][,visit][,items]
  kPatientsCsv,      // patient[,arm][,index_date][,treatment_dates][,attr...]
  // The formats below are described in docs/IMPORT_FORMATS.md.
  kWideCsv,              // patient,date[,visit],CODE[unit]...,CODE.N...
  kRedcapCsv,            // REDCap export + mapping_file
  kSyntheaObservations,  // Synthea observations.csv
  kSyntheaPatients,      // Synthea patients.csv
  kFhirNdjson,           // FHIR R4 Bulk Data NDJSON (one resource per line)
  kFhirJson,             // FHIR R4 Bundle JSON or a single resource
};

// "auto", "observations", "patients", "wide", "redcap", "synthea-observations",
// "synthea-patients", "fhir-ndjson", "fhir-json".
const char* ImportFormatName(ImportFormat f);

struct ImportOptions {
  ImportFormat format = ImportFormat::kAuto;
  WriteOptions write;  // write.dry_run validates and counts without writing
  std::string user;    // provenance; empty = OS user
  // REDCap: the field/event mapping (required). Synthea/FHIR: extra code ->
  // measure mappings added to (and overriding) the built-in table. Formats
  // in docs/IMPORT_FORMATS.md.
  std::string mapping_file;
  // Wide CSV: columns (normalized names) to leave out, e.g. {"sdmt"}.
  std::vector<std::string> ignore_columns;

  // kAbort: any bad row rejects the whole file (the default: a file is
  // atomic). kSkip: bad rows are written to `reject_file` with their reason
  // and the good ones are imported (still atomically, together).
  enum class OnError { kAbort, kSkip };
  OnError on_error = OnError::kAbort;
  // Where kSkip writes rejected rows (CSV: line,reason,row); empty =
  // "<file>.rejects.csv" next to the imported file.
  std::string reject_file;
  // Called every few thousand rows and at the end, for a progress display.
  std::function<void(const struct ImportProgress&)> progress;
};

struct ImportProgress {
  int64_t rows = 0;         // source rows read so far
  int64_t bytes = 0;        // bytes of input read so far
  int64_t total_bytes = 0;  // size of the input, or 0 when unknown (a pipe)
  bool done = false;
};

struct ImportReport {
  std::string path;
  ImportFormat format = ImportFormat::kAuto;  // the format used
  int64_t rows = 0;                           // source rows read
  WriteSummary summary;                       // written, unchanged, corrected, ...
  int64_t rejected = 0;                       // rows rejected (kSkip only)
  int64_t skipped = 0;                        // rows deliberately not imported
  std::map<std::string, int64_t> skipped_by_reason;
  std::string reject_file;  // where rejected rows went, when any were
};

// Imports one file, streaming it through bounded memory into one atomic
// bulk write. With OnError::kAbort a file with any bad row is rejected whole:
// the error is an InvalidArgument listing each bad row as `FILE:LINE: field
// "x": bad value "v" (expected ...)` (at most the first 20, then a count of
// the rest), and nothing is written. When the process serving the database
// exits mid-import (IsInterruptedWrite), the file is imported again.
absl::StatusOr<ImportReport> ImportFile(Database& db, const std::string& path,
                                        const ImportOptions& options);

// Like ImportFile, reading `in`; `source` names it in messages and provenance
// (e.g. "-" or "<stdin>").
absl::StatusOr<ImportReport> ImportStream(Database& db, std::istream& in, const std::string& source,
                                          const ImportOptions& options);

// The inverse of ImportFormatName, case-insensitive; a "-csv" suffix is
// accepted, as are "ndjson" (fhir-ndjson) and "fhir"/"fhir-bundle"
// (fhir-json). InvalidArgument listing the names otherwise.
absl::StatusOr<ImportFormat> ParseImportFormat(absl::string_view name);

// A file parsed into one batch (audit "import", detail = source), not yet
// applied: what ImportFile hands to Database::Apply.
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
absl::StatusOr<ParsedImport> ParseImportFile(const std::string& path, const ImportOptions& options);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_IMPORT_H_
