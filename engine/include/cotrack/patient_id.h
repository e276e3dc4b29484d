// The identity rule for patient ids, the one rule every write path applies:
// the C++ API (Record, RecordVisit, PutPatient, Apply, BulkWrite), the C ABI
// and the Python module over it, every importer and `cotrack load`. The bulk
// write, which every write goes through, enforces it; importers meet it there
// and report it as `FILE:LINE: ...` like their other row errors. An
// application may call ValidatePatientId itself to check an id before it
// builds a write (a form field, say).
//
// A patient id is the clinic's opaque key and is compared byte for byte, so
// the rule refuses what would make two ids look alike without being equal
// (" P1" and "P1") or would break the text formats ids are written into (a
// line break in a CSV dump):
//   - 1 to kMaxPatientIdBytes (128) bytes;
//   - valid UTF-8 (any script: "ünïcode-1" is fine);
//   - no control characters (U+0000-U+001F, U+007F, and the C1 controls
//     U+0080-U+009F);
//   - no leading or trailing whitespace (the space, U+00A0 no-break space and
//     the other Unicode space separators).
//
// Databases written before the rule covered whitespace (or written through
// the empty-id defect of the C ABI) may hold ids that break it. Reads of
// them keep working; `cotrack check` lists each such id as a problem, and
// `cotrack dump`, fixing the id in the dump, then `cotrack load` into a new
// database, repairs it (load applies this rule).
#ifndef COTRACK_PATIENT_ID_H_
#define COTRACK_PATIENT_ID_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cotrack {

constexpr size_t kMaxPatientIdBytes = 128;

// The rule as every refusal states it ("expected " kPatientIdRule), so that a
// caller (or a test) can tell an identity-rule error from any other
// InvalidArgument.
constexpr char kPatientIdRule[] =
    "a patient id of 1 to 128 bytes of UTF-8, without control characters and without leading "
    "or trailing whitespace";

// OK when `id` follows the rule above. Otherwise InvalidArgument:
//   field "patient": bad value "P\x01" (byte 2 is the control character
//   U+0001; expected a patient id of 1 to 128 bytes of UTF-8, ...)
// naming the id (quoted; control characters and bytes that are not UTF-8
// escaped as \xNN; cut after 64 bytes), what about it broke the rule, and
// the rule (kPatientIdRule). Never fails otherwise.
absl::Status ValidatePatientId(absl::string_view id);

}  // namespace cotrack

#endif  // COTRACK_PATIENT_ID_H_
