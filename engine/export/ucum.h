// Whether a unit string is a UCUM expression (https://ucum.org/ucum), so that
// FHIR export labels a unit with the UCUM system only when it is one.
#ifndef COTRACK_EXPORT_UCUM_H_
#define COTRACK_EXPORT_UCUM_H_

#include "absl/strings/string_view.h"

namespace cotrack {

// True when `unit` parses as a UCUM term (case-sensitive): components joined
// by '.' or '/', each an atom (optionally with a metric prefix when the atom
// is metric) and an integer exponent, an integer factor, a bracketed special
// unit (`[iU]`, `mm[Hg]`), or an annotation `{...}` alone or after a unit.
// "%", "mmol/mol", "10*9/L", "mL/min/{1.73_m2}" and "{score}" are UCUM;
// "score", "episodes", "IU/L" and "" are not. Parentheses are not accepted
// (no clinical unit of cotrack's catalog needs them); such a unit is then
// exported as free text, which is still valid FHIR.
bool IsUcumUnit(absl::string_view unit);

}  // namespace cotrack

#endif  // COTRACK_EXPORT_UCUM_H_
