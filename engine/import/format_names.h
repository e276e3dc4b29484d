// Names of every import format, for --format and messages (defined in
// format_reader.cc, which owns format detection).
#ifndef COTRACK_IMPORT_FORMAT_NAMES_H_
#define COTRACK_IMPORT_FORMAT_NAMES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "import/import.h"

namespace cotrack {

// "auto", "observations", "patients", "wide", "redcap", "synthea-observations",
// "synthea-patients", "fhir-ndjson", "fhir-json".
const char* FormatName(ImportFormat f);

// The inverse of FormatName, case-insensitive; a "-csv" suffix is accepted,
// as are "ndjson" (fhir-ndjson) and "fhir"/"fhir-bundle" (fhir-json).
// InvalidArgument listing the names otherwise.
absl::StatusOr<ImportFormat> FormatFromName(absl::string_view name);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_FORMAT_NAMES_H_
