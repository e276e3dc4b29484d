// Clinical civil time: a visit date, optionally with a time of day, never an
// instant. "2024-03-05" stays 2024-03-05 whatever the machine's time zone; an
// input offset such as "+13:00" is dropped, not applied, because the clinic's
// local date is what the study protocol counts from.
#ifndef COTRACK_CIVIL_TIME_H_
#define COTRACK_CIVIL_TIME_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cotrack {

enum class TimePrecision { kDate, kDateTime };

constexpr int64_t kSecondsPerDay = 86400;

struct CivilTime {
  // Seconds since 1970-01-01T00:00:00 civil time; negative before 1970.
  int64_t seconds = 0;
  TimePrecision precision = TimePrecision::kDate;

  // Days since 1970-01-01 (floor, so negative times round down).
  int64_t day() const {
    return seconds >= 0 ? seconds / kSecondsPerDay
                        : -((-seconds + kSecondsPerDay - 1) / kSecondsPerDay);
  }
  static CivilTime FromDay(int64_t day) {
    return CivilTime{day * kSecondsPerDay, TimePrecision::kDate};
  }

  friend bool operator==(const CivilTime& a, const CivilTime& b) {
    return a.seconds == b.seconds && a.precision == b.precision;
  }
  friend bool operator!=(const CivilTime& a, const CivilTime& b) { return !(a == b); }
};

// Parses "YYYY-MM-DD", "YYYY-MM-DDThh:mm[:ss[.fff]]" optionally followed by
// "Z" or "+hh:mm"/"-hh:mm" (kept as local time, offset dropped). A space may
// stand for "T". Years 0001-9999 only; invalid calendar dates (2024-02-30) and
// times (25:00) are InvalidArgument with the reason.
absl::StatusOr<CivilTime> ParseCivilTime(absl::string_view text);

// "YYYY-MM-DD" for dates, "YYYY-MM-DDThh:mm:ss" for date-times.
std::string FormatCivilTime(const CivilTime& t);

// Days since 1970-01-01 of a proleptic Gregorian date; month 1-12, day 1-31
// (not range-checked: callers validate first).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace cotrack

#endif  // COTRACK_CIVIL_TIME_H_
