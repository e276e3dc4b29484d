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
// (higher-is-worse, higher-is-better, none), description, reason, integer
// and no-sync (flags) as NamedOptions (named_options.h). InvalidArgument
// naming the option as its flag, e.g. "--min is required", `--max: bad
// value "x" (expected a number)`, "--min 10 is above --max 1"; also for an
// unknown name or one given twice. The definition itself (code syntax,
// clashes with the catalog) is checked by Database::RegisterMeasure.
absl::StatusOr<MeasureAddOptions> ParseMeasureAddOptions(const NamedOptions& options);

}  // namespace cotrack

#endif  // COTRACK_MEASURE_OPTIONS_H_
