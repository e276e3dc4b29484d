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

// The value nearest `target_day` within +-window_days: see
// ValueAtTimepoint (the earlier of two equally near wins). kNone when none.
template <typename Seconds, typename Skip>
size_t Nearest(size_t n, const Seconds& seconds, const Skip& skip, int64_t target_day,
               int64_t window_days) {
  size_t best = kNone;
  int64_t best_distance = 0, best_seconds = 0;
  for (size_t i = 0; i < n; ++i) {
    if (skip(i)) continue;
    const int64_t s = seconds(i);
    const int64_t distance = std::llabs(Day(s) - target_day);
    if (distance > window_days) continue;
    // Tie rule: the earlier observation wins (see timepoint.h).
    if (best == kNone || distance < best_distance ||
        (distance == best_distance && s < best_seconds)) {
      best = i;
      best_distance = distance;
      best_seconds = s;
    }
  }
  return best;
}

}  // namespace cotrack::selection

#endif  // COTRACK_ANALYTICS_SELECTION_H_
