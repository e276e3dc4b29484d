// One EDSS observation, as the guarantee tests write them by the thousand.
#ifndef COTRACK_TESTS_SUPPORT_EDSS_H_
#define COTRACK_TESTS_SUPPORT_EDSS_H_

#include <cstdint>
#include <string>

#include "cotrack/database.h"

namespace cotrack::testing {

// `patient`'s EDSS `value` on `day` (days since 1970-01-01; 18262 is
// 2020-01-01), with no unit, comparator or provenance of its own.
inline ObservationInput Edss(const std::string& patient, int64_t day = 18262, double value = 3.5) {
  ObservationInput in;
  in.patient = patient;
  in.measure = "edss";
  in.time = CivilTime::FromDay(day);
  in.value = value;
  return in;
}

}  // namespace cotrack::testing

#endif  // COTRACK_TESTS_SUPPORT_EDSS_H_
