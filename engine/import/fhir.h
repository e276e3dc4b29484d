// FHIR R4 input: Bulk Data NDJSON (one resource per line, streamed) and JSON
// documents (a Bundle of type collection/transaction/searchset/..., or a
// single resource; read whole, at most kMaxFhirDocumentBytes).
//
// Observation: code.coding goes through a CodeMapping; valueQuantity (value,
// comparator, UCUM code or unit) becomes the value; effectiveDateTime,
// effectiveInstant or effectivePeriod.start the date (its offset dropped, so
// the clinical date never shifts); subject.reference the patient
// ("Patient/" and "urn:uuid:" stripped). status entered-in-error retracts.
// Patient: registers the patient (birthDate, gender, deceasedDateTime kept).
// Anything we cannot represent is counted per reason and skipped.
//
// Both are told from CSV by their first non-blank byte, '{', and from each
// other by the first line: a whole resource that is not a Bundle is NDJSON.
#ifndef COTRACK_IMPORT_FHIR_H_
#define COTRACK_IMPORT_FHIR_H_

#include <cstddef>
#include <istream>
#include <string>

namespace cotrack {

inline constexpr size_t kMaxFhirDocumentBytes = size_t{256} << 20;  // a Bundle
inline constexpr size_t kMaxFhirLineBytes = size_t{16} << 20;       // an NDJSON line
inline constexpr int kMaxFhirJsonDepth = 100;

// Reads one line (without its line end) of at most `max_bytes` into `line`.
// Returns false at the end of the input; sets `too_long` (and consumes the
// rest of the line) when the line is longer.
bool ReadLineCapped(std::istream& in, size_t max_bytes, std::string& line, bool& too_long);

// True when `first_line` is on its own one complete JSON resource that is not
// a Bundle: the input is NDJSON, not a (pretty-printed) document.
bool LooksLikeNdjson(const std::string& first_line);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_FHIR_H_
