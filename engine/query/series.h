// Reading a stored series (the record log of one patient's one measure):
// every version, ordered, and the current value of each observation.
#ifndef COTRACK_QUERY_SERIES_H_
#define COTRACK_QUERY_SERIES_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cotrack/types.h"

namespace cotrack {

// Decodes every version in `log`, ordered by (time, version). Each gets
// `patient`, `measure` and `unit` filled in. DataLoss on any damaged record
// (`what` names the series in the message).
absl::Status DecodeSeries(absl::string_view log, absl::string_view what,
                          const std::string& patient, const std::string& measure,
                          const std::string& unit, std::vector<Observation>* versions);

// The current (highest) version of each observation time, oldest first.
// Versions marked entered-in-error are left out unless `include_retracted`.
std::vector<Observation> CurrentValues(std::vector<Observation> versions,
                                       bool include_retracted = false);

// Inclusive seconds bounds of a range; a date-only `to` covers its whole day.
int64_t RangeStart(const TimeRange& range);
int64_t RangeEnd(const TimeRange& range);
// The last second covered by `t`: the end of its day for a date.
int64_t EndOf(const CivilTime& t);

}  // namespace cotrack

#endif  // COTRACK_QUERY_SERIES_H_
