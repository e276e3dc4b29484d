// Small builders for analytics tests: observations, patients and measure
// definitions written by hand, so the tests need neither a database nor the
// compiled-in catalog.
#ifndef COTRACK_TESTS_ENGINE_ANALYTICS_ANALYTICS_TEST_UTIL_H_
#define COTRACK_TESTS_ENGINE_ANALYTICS_ANALYTICS_TEST_UTIL_H_

#include <optional>
#include <string>
#include <vector>

#include "cotrack/civil_time.h"
#include "cotrack/types.h"
#include "gtest/gtest.h"

namespace cotrack::testing {

// "YYYY-MM-DD[Thh:mm]" -> CivilTime; fails the test on a bad literal.
inline CivilTime T(const std::string& text) {
  absl::StatusOr<CivilTime> t = ParseCivilTime(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status();
  return t.ok() ? *t : CivilTime{};
}

// `days` after 2020-01-01.
inline CivilTime Day(int64_t days) { return CivilTime::FromDay(DaysFromCivil(2020, 1, 1) + days); }

inline Observation Obs(const std::string& patient, const std::string& measure, CivilTime time,
                       double value, Comparator cmp = Comparator::kNone) {
  Observation o;
  o.patient = patient;
  o.measure = measure;
  o.time = time;
  o.value = value;
  o.comparator = cmp;
  return o;
}

inline Patient MakePatient(const std::string& id, const std::string& arm,
                           std::optional<CivilTime> index_date) {
  Patient p;
  p.id = id;
  p.arm = arm;
  p.index_date = index_date;
  return p;
}

// A trajectory of (day offset from 2020-01-01, value) pairs.
inline std::vector<Observation> Series(const std::string& patient, const std::string& measure,
                                       const std::vector<std::pair<int64_t, double>>& points) {
  std::vector<Observation> out;
  for (const auto& [day, value] : points) out.push_back(Obs(patient, measure, Day(day), value));
  return out;
}

inline MeasureDefinition EdssDefinition() {
  MeasureDefinition m;
  m.code = "edss";
  m.unit = "score";
  m.max = 10;
  m.step = 0.5;
  m.direction = Direction::kHigherIsWorse;
  m.change_threshold = 1.0;
  return m;
}

inline MeasureDefinition Hba1cDefinition() {
  MeasureDefinition m;
  m.code = "hba1c";
  m.unit = "%";
  m.min = 2;
  m.max = 25;
  m.direction = Direction::kHigherIsWorse;
  m.change_threshold = 0.5;
  return m;
}

inline MeasureDefinition Il4Definition() {
  MeasureDefinition m;
  m.code = "il4";
  m.unit = "pg/mL";
  m.max = 10000;
  m.direction = Direction::kNone;
  m.censorable = true;
  return m;
}

}  // namespace cotrack::testing

#endif  // COTRACK_TESTS_ENGINE_ANALYTICS_ANALYTICS_TEST_UTIL_H_
