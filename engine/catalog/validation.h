// Validation of observations, patients and measure definitions against the
// catalog's rules, and conversion to canonical units. Messages name the field,
// the bad value and what was expected; the caller prefixes "SOURCE:LINE: ".
#ifndef COTRACK_CATALOG_VALIDATION_H_
#define COTRACK_CATALOG_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/patient_id.h"  // ValidatePatientId, declared there for embedders
#include "cotrack/types.h"

namespace cotrack {

// `field "value": bad value "0.5" (expected ...)`
std::string FieldError(absl::string_view field, absl::string_view value,
                       absl::string_view expected);

// An observation after validation, in the measure's canonical unit.
struct ValidatedValue {
  double value = 0;
  Comparator comparator = Comparator::kNone;
  std::vector<double> items;   // as given (NaN = not answered)
  std::string original_value;  // as entered (formatted from the input value when none was given)
  std::string original_unit;   // as entered; empty when the canonical unit was used
};

// Checks `in` against `def` (range, step, allowed values, integer, unit,
// censoring, items and their sum) and converts it to the canonical unit.
// Never clamps or rounds a bad value into range: it is an InvalidArgument.
absl::StatusOr<ValidatedValue> ValidateObservation(const MeasureDefinition& def,
                                                   const ObservationInput& in);

// A user-registered measure: code syntax, min <= max, step, threshold,
// unit conversions, items.
absl::Status ValidateMeasureDefinition(const MeasureDefinition& def);

// Who made a change and why, as a write gives them (Provenance::user and
// ::reason; empty = not given, the handle's user and no reason). user: UTF-8,
// 1-128 bytes, no control characters, not only spaces. reason: UTF-8, at
// most 4096 bytes, no control characters but tabs and line breaks.
// InvalidArgument naming the field ("user" or "reason").
absl::Status ValidateAttribution(const Provenance& provenance);

}  // namespace cotrack

#endif  // COTRACK_CATALOG_VALIDATION_H_
