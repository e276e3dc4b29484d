#include "cotrack/baseline.h"

namespace cotrack {

const char* BaselineStatusName(BaselineStatus s) {
  switch (s) {
    case BaselineStatus::kFound:
      return "found";
    case BaselineStatus::kNoIndexDate:
      return "no-index-date";
    case BaselineStatus::kNoValue:
      return "no-value";
  }
  return "unknown";
}

BaselineResult FindBaseline(const Patient& patient, const std::vector<Observation>& trajectory,
                            const BaselineOptions& options) {
  BaselineResult result;
  result.options = options;
  if (!patient.index_date.has_value()) {
    result.status = BaselineStatus::kNoIndexDate;
    return result;
  }
  const int64_t index_day = patient.index_date->day();
  const Observation* best = nullptr;
  for (const Observation& obs : trajectory) {
    if (obs.status == ObservationStatus::kEnteredInError) continue;
    const int64_t day = obs.time.day();
    if (day > index_day) continue;
    if (options.lookback_days.has_value() && index_day - day > *options.lookback_days) continue;
    // ">=" so that of two values at the same time the later listed wins.
    if (best == nullptr || obs.time.seconds >= best->time.seconds) best = &obs;
  }
  if (best == nullptr) {
    result.status = BaselineStatus::kNoValue;
    return result;
  }
  result.status = BaselineStatus::kFound;
  result.observation = *best;
  return result;
}

}  // namespace cotrack
