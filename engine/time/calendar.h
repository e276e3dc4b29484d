// The proleptic Gregorian calendar behind civil time (cotrack/civil_time.h):
// the one implementation of leap years, month lengths and days -> date that
// the engine uses (DaysFromCivil, the other direction, is public).
#ifndef COTRACK_TIME_CALENDAR_H_
#define COTRACK_TIME_CALENDAR_H_

#include <cstdint>

namespace cotrack::calendar {

bool IsLeapYear(int64_t year);

// Days in `month` (1-12) of `year`.
int DaysInMonth(int64_t year, int month);

// Days since 1970-01-01 -> year, month (1-12) and day of month (1-31).
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

}  // namespace cotrack::calendar

#endif  // COTRACK_TIME_CALENDAR_H_
