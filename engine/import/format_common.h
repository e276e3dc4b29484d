// Pieces the clinic-format readers (wide CSV, REDCap, Synthea, FHIR) share:
// units as the catalog spells them, and the mapping files they read.
#ifndef COTRACK_IMPORT_FORMAT_COMMON_H_
#define COTRACK_IMPORT_FORMAT_COMMON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cotrack {

// A unit as the catalog knows it: UCUM codes and the spellings lab feeds use
// are passed through unchanged except for the few whose UCUM form differs
// from the catalog's (the catalog compares units case-insensitively).
std::string NormalizeUnit(absl::string_view unit);

// `text` with every line whose first non-blank character is '#' emptied
// (line ends kept, so line numbers in messages still point into the file).
std::string StripCommentLines(absl::string_view text);

// Reads a whole small file (a mapping file) into `out`; NotFound naming
// `what` when it cannot be opened.
absl::Status ReadSmallFile(const std::string& path, const char* what, std::string& out);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_FORMAT_COMMON_H_
