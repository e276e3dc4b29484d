#include "cotrack/baseline.h"

#include "selection.h"

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
  const size_t best = selection::Baseline(
      trajectory.size(), [&](size_t i) { return trajectory[i].time.seconds; },
      [&](size_t i) { return trajectory[i].status == ObservationStatus::kEnteredInError; },
      patient.index_date->day(), options);
  if (best == selection::kNone) {
    result.status = BaselineStatus::kNoValue;
    return result;
  }
  result.status = BaselineStatus::kFound;
  result.observation = trajectory[best];
  return result;
}

}  // namespace cotrack
