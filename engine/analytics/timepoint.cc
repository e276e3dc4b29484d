#include "cotrack/timepoint.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cotrack/baseline.h"
#include "selection.h"
#include "time/calendar.h"

namespace cotrack {
namespace {

int64_t AddCalendarMonths(int64_t day, int64_t months) {
  int64_t y;
  unsigned m, d;
  CivilDayToDate(day, &y, &m, &d);
  const int64_t total = y * 12 + (m - 1) + months;
  const int64_t ny = total / 12;
  const unsigned nm = static_cast<unsigned>(total % 12) + 1;
  // A protocol "month 1" after Jan 31 is the end of February, not March 2/3.
  const unsigned nd =
      std::min(d, static_cast<unsigned>(calendar::DaysInMonth(ny, static_cast<int>(nm))));
  return DaysFromCivil(ny, nm, nd);
}

absl::Status BadTimepoint(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("timepoint \"", text, "\": ", why,
                   " (expected 0 for baseline, or N followed by d, w, m or y, e.g. 6m)"));
}

}  // namespace

void CivilDayToDate(int64_t day, int64_t* year, unsigned* month, unsigned* dayofmonth) {
  calendar::CivilFromDays(day, year, month, dayofmonth);
}

const char* TimepointStatusName(TimepointStatus s) {
  switch (s) {
    case TimepointStatus::kFound:
      return "found";
    case TimepointStatus::kNoIndexDate:
      return "no-index-date";
    case TimepointStatus::kNoValue:
      return "no-value";
  }
  return "unknown";
}

absl::StatusOr<Timepoint> ParseTimepoint(absl::string_view text) {
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  Timepoint tp;
  tp.label = std::string(t);
  if (t.empty()) return BadTimepoint(text, "empty");
  if (t == "0") {
    tp.unit = TimepointUnit::kBaseline;
    return tp;
  }
  const char unit = absl::ascii_tolower(static_cast<unsigned char>(t.back()));
  const absl::string_view digits = t.substr(0, t.size() - 1);
  if (digits.empty()) return BadTimepoint(text, "missing the number");
  if (digits.size() > 5) return BadTimepoint(text, "number too large (at most 5 digits)");
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return BadTimepoint(text, "not a whole number");
    n = n * 10 + (c - '0');
  }
  tp.amount = n;
  switch (unit) {
    case 'd':
      tp.unit = TimepointUnit::kDays;
      break;
    case 'w':
      tp.unit = TimepointUnit::kWeeks;
      break;
    case 'm':
      tp.unit = TimepointUnit::kMonths;
      break;
    case 'y':
      tp.unit = TimepointUnit::kYears;
      break;
    default:
      return BadTimepoint(text, absl::StrCat("unknown unit '", std::string(1, t.back()), "'"));
  }
  return tp;
}

absl::StatusOr<std::vector<Timepoint>> ParseTimepointList(absl::string_view text) {
  std::vector<Timepoint> out;
  std::set<std::pair<int, int64_t>> seen;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    absl::StatusOr<Timepoint> tp = ParseTimepoint(item);
    if (!tp.ok()) return tp.status();
    // "3m" and "3M" are the same timepoint; "12m" and "1y" also reach the
    // same target, so both count as duplicates.
    int64_t key = tp->amount;
    int unit = static_cast<int>(tp->unit);
    if (tp->unit == TimepointUnit::kWeeks) {
      key *= 7;
      unit = static_cast<int>(TimepointUnit::kDays);
    } else if (tp->unit == TimepointUnit::kYears) {
      key *= 12;
      unit = static_cast<int>(TimepointUnit::kMonths);
    }
    if (!seen.insert({unit, key}).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("timepoint \"", tp->label, "\" given twice in \"", text, "\""));
    }
    out.push_back(*std::move(tp));
  }
  return out;
}

int64_t TimepointTargetDay(const Timepoint& tp, int64_t index_day) {
  switch (tp.unit) {
    case TimepointUnit::kBaseline:
      return index_day;
    case TimepointUnit::kDays:
      return index_day + tp.amount;
    case TimepointUnit::kWeeks:
      return index_day + 7 * tp.amount;
    case TimepointUnit::kMonths:
      return AddCalendarMonths(index_day, tp.amount);
    case TimepointUnit::kYears:
      return AddCalendarMonths(index_day, 12 * tp.amount);
  }
  return index_day;
}

int64_t StudyDay(int64_t index_day, int64_t day) {
  const int64_t delta = day - index_day;
  return delta >= 0 ? delta + 1 : delta;
}

TimepointValue ValueAtTimepoint(const Patient& patient, const std::vector<Observation>& trajectory,
                                const Timepoint& tp, const TimepointOptions& options) {
  TimepointValue result;
  result.timepoint = tp;
  result.options = options;
  if (!patient.index_date.has_value()) {
    result.status = TimepointStatus::kNoIndexDate;
    return result;
  }
  const int64_t index_day = patient.index_date->day();
  result.target_day = TimepointTargetDay(tp, index_day);
  if (tp.unit == TimepointUnit::kBaseline) {
    BaselineResult bl = FindBaseline(patient, trajectory, options.baseline);
    if (bl.status != BaselineStatus::kFound) {
      result.status = TimepointStatus::kNoValue;
      return result;
    }
    result.status = TimepointStatus::kFound;
    result.offset_days = bl.observation->time.day() - result.target_day;
    result.observation = std::move(bl.observation);
    return result;
  }
  const size_t best = selection::Nearest(
      trajectory.size(), [&](size_t i) { return trajectory[i].time.seconds; },
      [&](size_t i) { return trajectory[i].status == ObservationStatus::kEnteredInError; },
      result.target_day, options.window_days);
  if (best == selection::kNone) {
    result.status = TimepointStatus::kNoValue;
    return result;
  }
  result.status = TimepointStatus::kFound;
  result.offset_days = trajectory[best].time.day() - result.target_day;
  result.observation = trajectory[best];
  return result;
}

}  // namespace cotrack
