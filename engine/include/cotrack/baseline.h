// The baseline of a follow-up: the value every later value of a patient is
// compared with (change from baseline, EDSS progression, the "0" timepoint).
// Definitions: DESIGN.md "Follow-up analytics".
//
// It is anchored on the patient's index date (randomisation, first treatment)
// rather than on the first value, because that is what a study protocol
// counts from. A patient without an index date has no baseline: that is
// reported, never guessed.
//
// A pure function of plain values (no database), so it can be tested and
// reused alone. Day arithmetic is on civil days (CivilTime::day()); the time
// of day of an observation never matters.
#ifndef COTRACK_BASELINE_H_
#define COTRACK_BASELINE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "cotrack/types.h"

namespace cotrack {

struct BaselineOptions {
  // Only values at most this many days before the index date count. Unset:
  // any earlier value.
  std::optional<int64_t> lookback_days;
};

enum class BaselineStatus {
  kFound,
  kNoIndexDate,  // the patient has no index date: reported, never guessed
  kNoValue,      // no valid value on or before the index date (in look-back)
};
// "found", "no-index-date", "no-value".
const char* BaselineStatusName(BaselineStatus s);

struct BaselineResult {
  BaselineStatus status = BaselineStatus::kNoValue;
  std::optional<Observation> observation;  // set when kFound
  BaselineOptions options;                 // carried so tools can print them
};

// The baseline: the last valid (not entered-in-error) value whose civil day is
// on or before the patient's index date, within the look-back window. Any
// time of day on the index date counts as "on". `trajectory` may be in any
// order; when two values share the latest time the later one listed wins.
BaselineResult FindBaseline(const Patient& patient, const std::vector<Observation>& trajectory,
                            const BaselineOptions& options = {});

}  // namespace cotrack

#endif  // COTRACK_BASELINE_H_
