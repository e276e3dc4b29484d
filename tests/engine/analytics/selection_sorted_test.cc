// The binary-search selection a cohort summary uses on scanned (time-ordered)
// values picks exactly the value the general selection picks: the one
// FindBaseline and ValueAtTimepoint are specified by.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "analytics/selection.h"
#include "gtest/gtest.h"

namespace cotrack {
namespace {

constexpr int64_t kDay = 86400;

// Sorted times with repeated days, repeated instants, times within a day,
// negative days (before 1970) and gaps.
std::vector<int64_t> RandomSortedTimes(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> size(0, 40);
  std::uniform_int_distribution<int> step_kind(0, 3);
  std::uniform_int_distribution<int64_t> day_step(0, 200);
  std::uniform_int_distribution<int64_t> in_day(0, kDay - 1);
  std::vector<int64_t> out;
  int64_t t = std::uniform_int_distribution<int64_t>(-400, 400)(rng) * kDay;
  const int n = size(rng);
  for (int i = 0; i < n; ++i) {
    switch (step_kind(rng)) {
      case 0:  // the same instant again
        break;
      case 1:  // later the same day (or the next)
        t += in_day(rng) / 4;
        break;
      default:  // a later visit, at midnight (or the same day again)
        t = std::max(t, (selection::Day(t) + day_step(rng)) * kDay);
        break;
    }
    out.push_back(t);
  }
  return out;
}

TEST(SelectionSortedTest, SameIndexAsTheGeneralSelection) {
  std::mt19937_64 rng(20261204);
  std::uniform_int_distribution<int64_t> offset(-500, 9000);
  std::uniform_int_distribution<int64_t> window(0, 120);
  std::uniform_int_distribution<int> lookback_kind(0, 2);
  const auto never = [](size_t) { return false; };
  int found_baseline = 0, found_nearest = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::vector<int64_t> times = RandomSortedTimes(rng);
    ASSERT_TRUE(std::is_sorted(times.begin(), times.end()));
    const auto seconds = [&](size_t i) { return times[i]; };
    const int64_t first_day = times.empty() ? 0 : selection::Day(times.front());
    const int64_t index_day = first_day + offset(rng) / 10;
    BaselineOptions options;
    if (lookback_kind(rng) == 1) options.lookback_days = window(rng);
    if (lookback_kind(rng) == 2) options.lookback_days = 0;
    const size_t general = selection::Baseline(times.size(), seconds, never, index_day, options);
    ASSERT_EQ(selection::BaselineSorted(times.size(), seconds, index_day, options), general)
        << "round " << round;
    found_baseline += general != selection::kNone;
    for (int k = 0; k < 4; ++k) {
      const int64_t target = first_day + offset(rng);
      const int64_t w = k == 0 ? 0 : window(rng);
      const size_t nearest = selection::Nearest(times.size(), seconds, never, target, w);
      ASSERT_EQ(selection::NearestSorted(times.size(), seconds, target, w), nearest)
          << "round " << round << " target " << target << " window " << w;
      found_nearest += nearest != selection::kNone;
    }
  }
  // Both outcomes occur often enough for the comparison to mean something.
  EXPECT_GT(found_baseline, 2000);
  EXPECT_GT(found_nearest, 4000);
  EXPECT_LT(found_nearest, 70000);
}

TEST(SelectionSortedTest, TiesAndWindowEdges) {
  // Days 10, 10, 12 (equal instants twice), 20; a target at 15 is 3 days
  // from 12 and 5 from 20 and 10; ties go to the earlier value, equal
  // instants to the first listed.
  const std::vector<int64_t> times = {10 * kDay, 10 * kDay, 12 * kDay, 12 * kDay, 20 * kDay};
  const auto seconds = [&](size_t i) { return times[i]; };
  EXPECT_EQ(selection::NearestSorted(times.size(), seconds, 15, 3), 2u);
  EXPECT_EQ(selection::NearestSorted(times.size(), seconds, 15, 2), selection::kNone);
  EXPECT_EQ(selection::NearestSorted(times.size(), seconds, 16, 4), 2u);  // 12 and 20: earlier
  EXPECT_EQ(selection::NearestSorted(times.size(), seconds, 10, 0), 0u);
  EXPECT_EQ(selection::NearestSorted(times.size(), seconds, 25, 5), 4u);
  EXPECT_EQ(selection::NearestSorted(0, seconds, 25, 5), selection::kNone);
  // The baseline is the later listed of equal instants.
  EXPECT_EQ(selection::BaselineSorted(times.size(), seconds, 12, {}), 3u);
  EXPECT_EQ(selection::BaselineSorted(times.size(), seconds, 11, {}), 1u);
  EXPECT_EQ(selection::BaselineSorted(times.size(), seconds, 9, {}), selection::kNone);
  BaselineOptions lookback;
  lookback.lookback_days = 1;
  EXPECT_EQ(selection::BaselineSorted(times.size(), seconds, 19, lookback), selection::kNone);
  EXPECT_EQ(selection::BaselineSorted(times.size(), seconds, 13, lookback), 3u);
}

}  // namespace
}  // namespace cotrack
