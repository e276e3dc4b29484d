#include "cotrack/civil_time.h"

#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "time/calendar.h"

namespace cotrack {
namespace {

constexpr char kExpected[] = "a date YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss]";

// Reads exactly `n` digits at `pos`; false when they are not all digits.
bool Digits(absl::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad date \"", text, "\": ", why, " (expected ", kExpected, ")"));
}

}  // namespace

namespace calendar {

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Civil-from-days, after Howard Hinnant's public-domain algorithm.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

}  // namespace calendar

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

absl::StatusOr<CivilTime> ParseCivilTime(absl::string_view text) {
  int year, month, day;
  if (text.size() < 10 || !Digits(text, 0, 4, &year) || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day)) {
    return Bad(text, "not a date");
  }
  if (year < 1) return Bad(text, "year must be 0001 to 9999");
  if (month < 1 || month > 12) return Bad(text, "month must be 01 to 12");
  if (day < 1 || day > calendar::DaysInMonth(year, month)) {
    return Bad(text, absl::StrFormat("%04d-%02d has %d days", year, month,
                                     calendar::DaysInMonth(year, month)));
  }
  CivilTime t;
  t.seconds = DaysFromCivil(year, month, day) * kSecondsPerDay;
  if (text.size() == 10) return t;

  if (text[10] != 'T' && text[10] != ' ') return Bad(text, "junk after the date");
  int hour, minute, second = 0;
  if (!Digits(text, 11, 2, &hour) || text.size() < 16 || text[13] != ':' ||
      !Digits(text, 14, 2, &minute)) {
    return Bad(text, "time must be hh:mm or hh:mm:ss");
  }
  size_t pos = 16;
  if (pos < text.size() && text[pos] == ':') {
    if (!Digits(text, pos + 1, 2, &second)) return Bad(text, "seconds must be two digits");
    pos += 3;
    // Fractions of a second are accepted and dropped: visits are not timed
    // more finely than that.
    if (pos < text.size() && text[pos] == '.') {
      size_t start = ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      if (pos == start) return Bad(text, "empty fraction of a second");
    }
  }
  if (hour > 23) return Bad(text, "hour must be 00 to 23");
  if (minute > 59) return Bad(text, "minute must be 00 to 59");
  if (second > 59) return Bad(text, "second must be 00 to 59");
  // An offset says where the clock was, not a shift to apply: the civil time
  // as written is the clinical time, so it is validated and then dropped.
  if (pos < text.size()) {
    absl::string_view zone = text.substr(pos);
    int oh, om;
    bool ok = zone == "Z" ||
              (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && Digits(zone, 1, 2, &oh) &&
               zone[3] == ':' && Digits(zone, 4, 2, &om) && oh <= 18 && om <= 59);
    if (!ok) return Bad(text, "time zone must be Z or +hh:mm");
  }
  t.seconds += hour * 3600 + minute * 60 + second;
  t.precision = TimePrecision::kDateTime;
  return t;
}

std::string FormatCivilTime(const CivilTime& t) {
  const int64_t day = t.day();
  int64_t y;
  unsigned m, d;
  calendar::CivilFromDays(day, &y, &m, &d);
  if (t.precision == TimePrecision::kDate) {
    return absl::StrFormat("%04d-%02d-%02d", y, m, d);
  }
  const int64_t sod = t.seconds - day * kSecondsPerDay;
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, sod / 3600, (sod / 60) % 60,
                         sod % 60);
}

}  // namespace cotrack
