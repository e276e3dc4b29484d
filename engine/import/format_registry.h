// The registry of import formats: every format's FormatEntry, in the order
// auto-detection tries them, and the one place that tells formats apart and
// opens the right reader. Formats are added in format_registry.cc (see the
// checklist in format.h).
#ifndef COTRACK_IMPORT_FORMAT_REGISTRY_H_
#define COTRACK_IMPORT_FORMAT_REGISTRY_H_

#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cotrack/import.h"
#include "import/format.h"

namespace cotrack {

// Every format, in the order auto-detection tries them.
absl::Span<const FormatEntry* const> ImportFormats();

// The entry of `format`; nullptr for kAuto.
const FormatEntry* FindImportFormat(ImportFormat format);

// The CSV format auto-detection picks for a header (names as written): the
// first format whose detector claims it; kAuto when none does.
ImportFormat DetectCsvFormat(const std::vector<std::string>& header_names);

// Opens `in` (named `source` in messages and provenance) as
// `options.format`, or, for kAuto, as the format its content shows: JSON
// when its first non-blank byte is '{', a format whose detect_start claims
// how it starts (HL7 v2), else CSV told apart by the header.
absl::StatusOr<std::unique_ptr<FormatReader>> OpenFormatReader(std::istream& in,
                                                               const std::string& source,
                                                               const ImportOptions& options);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_FORMAT_REGISTRY_H_
