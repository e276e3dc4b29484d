// Which value of a trajectory is a patient's baseline, and which is nearest a
// timepoint: the rules of FindBaseline and ValueAtTimepoint (baseline.h,
// timepoint.h), written once over indices so that full trajectories
// (Observation) and the lean values of cohort scans (SeriesValue) are
// picked by the same code.
//
// `seconds(i)` is the civil time in seconds of value i; `skip(i)` is true for
// a value that never counts (entered in error).
#ifndef COTRACK_ANALYTICS_SELECTION_H_
#define COTRACK_ANALYTICS_SELECTION_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "cotrack/baseline.h"
#include "cotrack/civil_time.h"

namespace cotrack::selection {

constexpr size_t kNone = static_cast<size_t>(-1);

inline int64_t Day(int64_t seconds) { return CivilTime{seconds, TimePrecision::kDate}.day(); }

// The baseline among values [0, n): see FindBaseline. kNone when none.
template <typename Seconds, typename Skip>
size_t Baseline(size_t n, const Seconds& seconds, const Skip& skip, int64_t index_day,
                const BaselineOptions& options) {
  size_t best = kNone;
  int64_t best_seconds = 0;
  for (size_t i = 0; i < n; ++i) {
    if (skip(i)) continue;
    const int64_t s = seconds(i);
    const int64_t day = Day(s);
    if (day > index_day) continue;
    if (options.lookback_days.has_value() && index_day - day > *options.lookback_days) continue;
    // ">=" so that of two values at the same time the later listed wins.
    if (best == kNone || s >= best_seconds) {
      best = i;
      best_seconds = s;
    }
  }
  return best;
}

// The nearest of the values offered, by Nearest's rule: the smaller
// distance wins, and of two equally near the earlier observation (see
// timepoint.h). Shared by Nearest and NearestSorted so that both pick alike.
struct Closest {
  size_t best = kNone;
  int64_t best_distance = 0, best_seconds = 0;
  void Offer(size_t i, int64_t seconds, int64_t distance) {
    if (best == kNone || distance < best_distance ||
        (distance == best_distance && seconds < best_seconds)) {
      best = i;
      best_distance = distance;
      best_seconds = seconds;
    }
  }
};

// The value nearest `target_day` within +-window_days: see
// ValueAtTimepoint (the earlier of two equally near wins). kNone when none.
template <typename Seconds, typename Skip>
size_t Nearest(size_t n, const Seconds& seconds, const Skip& skip, int64_t target_day,
               int64_t window_days) {
  Closest closest;
  for (size_t i = 0; i < n; ++i) {
    if (skip(i)) continue;
    const int64_t s = seconds(i);
    const int64_t distance = std::llabs(Day(s) - target_day);
    if (distance > window_days) continue;
    closest.Offer(i, s, distance);
  }
  return closest.best;
}

// Baseline and Nearest for values in ascending time order (seconds(i) never
// less than seconds(i - 1)) of which none is skipped, as the lean values of a
// cohort scan are: the same index, found by binary search instead of a look
// at every value (a cohort summary picks four or five per patient).

// The first index in [0, n) for which `after(i)` holds, `after` being false
// for a prefix and true for the rest.
template <typename After>
size_t FirstAfter(size_t n, const After& after) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (after(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// Baseline() of sorted values: the last value on or before the index day
// has the latest time, and is listed last of equal times; if it is outside
// the lookback, so is every earlier one.
template <typename Seconds>
size_t BaselineSorted(size_t n, const Seconds& seconds, int64_t index_day,
                      const BaselineOptions& options) {
  const size_t after = FirstAfter(n, [&](size_t i) { return Day(seconds(i)) > index_day; });
  if (after == 0) return kNone;
  const size_t i = after - 1;
  if (options.lookback_days.has_value() && index_day - Day(seconds(i)) > *options.lookback_days) {
    return kNone;
  }
  return i;
}

// Nearest() of sorted values: the values within the window are consecutive;
// they are compared in the same order with the same rule.
template <typename Seconds>
size_t NearestSorted(size_t n, const Seconds& seconds, int64_t target_day, int64_t window_days) {
  // Written as Nearest() computes the distance, so that no bound is
  // computed that could overflow.
  size_t i = FirstAfter(n, [&](size_t k) {
    const int64_t day = Day(seconds(k));
    return !(day < target_day && std::llabs(day - target_day) > window_days);
  });
  Closest closest;
  for (; i < n; ++i) {
    const int64_t s = seconds(i);
    const int64_t distance = std::llabs(Day(s) - target_day);
    if (distance > window_days) break;  // past the window: so is every later value
    closest.Offer(i, s, distance);
  }
  return closest.best;
}

}  // namespace cotrack::selection

#endif  // COTRACK_ANALYTICS_SELECTION_H_
