// Protocol timepoints ("baseline, month 3, 6, 12") and the value a patient
// has at each: the observation nearest the timepoint's target day, within a
// window. Definitions: DESIGN.md "Follow-up analytics".
//
// Visits never fall exactly on the protocol's days, so a timepoint is a
// window around a target rather than a date; the window and the tie rule are
// options and results carry them, so that every table can say how its values
// were picked.
//
// Pure functions of plain values (no database). Day arithmetic is on civil
// days (days since 1970-01-01, CivilTime::day()); the time of day of an
// observation never matters.
#ifndef COTRACK_TIMEPOINT_H_
#define COTRACK_TIMEPOINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/baseline.h"
#include "cotrack/types.h"

namespace cotrack {

enum class TimepointUnit { kBaseline, kDays, kWeeks, kMonths, kYears };

// A protocol timepoint relative to the index date.
//   "0"   the baseline (FindBaseline), not the value nearest the index date;
//   "Nd"  N days after the index date (N elapsed days, i.e. study day N+1:
//         study days have no day 0, the index date is day 1);
//   "Nw"  7*N days;
//   "Nm"  N calendar months: same day-of-month, clamped to the month's last
//         day (2024-01-31 + 1m = 2024-02-29);
//   "Ny"  12*N calendar months, clamped the same way (2024-02-29 + 1y =
//         2025-02-28).
// N is a non-negative integer of at most 5 digits ("0d" is the value nearest
// the index date itself, which differs from "0").
struct Timepoint {
  std::string label;  // as written, e.g. "6m"
  TimepointUnit unit = TimepointUnit::kBaseline;
  int64_t amount = 0;
};

// Parses one timepoint as documented above. InvalidArgument naming the text
// and the accepted forms otherwise.
absl::StatusOr<Timepoint> ParseTimepoint(absl::string_view text);
// Parses a comma-separated list such as "0,3m,6m,12m". InvalidArgument for a
// bad or empty item (as ParseTimepoint) and for a duplicate, which includes
// one target written twice ("12m" and "1y", "2w" and "14d"): a table with two
// identical columns is a mistake in the request.
absl::StatusOr<std::vector<Timepoint>> ParseTimepointList(absl::string_view text);

// The target civil day (days since 1970-01-01) of `tp` for an index date on
// `index_day`. For kBaseline, `index_day` itself.
int64_t TimepointTargetDay(const Timepoint& tp, int64_t index_day);

// Study day of `day` for an index date on `index_day`: 1 on the index date,
// 2 the day after, -1 the day before. Never 0.
int64_t StudyDay(int64_t index_day, int64_t day);

// Days since 1970-01-01 -> proleptic Gregorian date (the inverse of
// DaysFromCivil in cotrack/civil_time.h).
void CivilDayToDate(int64_t day, int64_t* year, unsigned* month, unsigned* dayofmonth);

struct TimepointOptions {
  // An observation counts for a timepoint when its day is within this many
  // days of the target (inclusive). Must be >= 0.
  int64_t window_days = 30;
  BaselineOptions baseline;  // used for the "0" timepoint
};

enum class TimepointStatus {
  kFound,
  kNoIndexDate,  // reported, never guessed
  kNoValue,      // nothing within the window (or no baseline for "0")
};
// "found", "no-index-date", "no-value".
const char* TimepointStatusName(TimepointStatus s);

struct TimepointValue {
  Timepoint timepoint;
  TimepointStatus status = TimepointStatus::kNoValue;
  std::optional<Observation> observation;
  int64_t target_day = 0;   // meaningful unless kNoIndexDate
  int64_t offset_days = 0;  // observation day - target day, when found
  TimepointOptions options;
};

// The observation nearest the timepoint's target within +-window days.
// Tie rule: when two observations are equally near (one before, one after
// the target, or two on the same day), the EARLIER one wins, because it is
// the one that was known first and is never influenced by what happened
// after the target. Entered-in-error values are skipped. For "0" this is
// FindBaseline.
TimepointValue ValueAtTimepoint(const Patient& patient, const std::vector<Observation>& trajectory,
                                const Timepoint& tp, const TimepointOptions& options = {});

}  // namespace cotrack

#endif  // COTRACK_TIMEPOINT_H_
