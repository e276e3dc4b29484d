// The options of `cotrack measure add`, shared by the command line and
// cotrack_measure_add (cotrack/c.h).
#ifndef COTRACK_MEASURE_OPTIONS_H_
#define COTRACK_MEASURE_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "cotrack/named_options.h"
#include "cotrack/types.h"

namespace cotrack {

struct MeasureAddOptions {
  MeasureDefinition measure;
  std::string reason;  // why, for the audit log; empty = none
  bool sync = true;    // no-sync clears it
};

// code, name, unit, min, max (required), step, threshold, direction
// (higher-is-worse, higher-is-better, none), description, reason, convert,
// unit-synonym, loinc, integer and no-sync (flags) as NamedOptions
// (named_options.h). Lists are comma-separated:
//   convert       UNIT=EXPR,...: values in UNIT are accepted and converted,
//                 canonical = EXPR of x, one of FACTOR*x[+-OFFSET],
//                 x*FACTOR[+-OFFSET], x/DIVISOR[+-OFFSET], x[+-OFFSET]
//                 (ParseUnitConversion), e.g. mmol/mol=0.0915*x+2.15
//   unit-synonym  UNIT,...: other spellings of the canonical unit (factor 1)
//   loinc         CODE,...: LOINC codes of the measure, e.g. 4548-4; the
//                 Synthea, FHIR, HL7 v2 and OMOP importers of this database
//                 map them to it, unless the built-in code table or a
//                 --mapping file maps that code already
// InvalidArgument naming the option as its flag, e.g. "--min is required",
// `--max: bad value "x" (expected a number)`, "--min 10 is above --max 1";
// also for an unknown name or one given twice. The definition itself (code
// syntax, a unit given twice, clashes with the catalog) is checked by
// Database::RegisterMeasure.
absl::StatusOr<MeasureAddOptions> ParseMeasureAddOptions(const NamedOptions& options);

// The options of `cotrack measure edit CODE`, shared with
// cotrack_measure_edit (cotrack/c.h).
struct MeasureEditOptions {
  MeasureDefinition measure;  // the new definition
  std::string reason;         // why, for the audit log; empty = none
  bool sync = true;           // no-sync clears it
  bool dry_run = false;       // check the stored values, change nothing
};

// The new definition of measure `current` with these options applied; a
// field not given keeps its value. name, unit, min, max, step, threshold,
// direction, description, integer, convert, unit-synonym and loinc as for
// ParseMeasureAddOptions (a unit given again replaces its conversion; a code
// given again is kept once), remove-unit and remove-loinc (lists of units
// and codes to drop; applied first), reason, dry-run and no-sync (flags).
// InvalidArgument as ParseMeasureAddOptions, and for removing a unit or code
// the measure does not have. Whether the stored values fit the new
// definition is Database::EditMeasure's to check.
absl::StatusOr<MeasureEditOptions> ParseMeasureEditOptions(const MeasureDefinition& current,
                                                           const NamedOptions& options);

// "UNIT=EXPR" (see convert above) as a conversion: canonical = x * factor +
// offset. InvalidArgument naming --convert and the expected form.
absl::StatusOr<UnitConversion> ParseUnitConversion(absl::string_view text);
// The inverse: "mmol/mol=0.0915*x+2.15", "mg/dL=x" for a synonym.
std::string FormatUnitConversion(const UnitConversion& conversion);

}  // namespace cotrack

#endif  // COTRACK_MEASURE_OPTIONS_H_
