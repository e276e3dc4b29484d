// Baselines and protocol timepoints: which observation a study would read as
// "baseline" or "month 6", with the tie and calendar rules spelled out.
#include "cotrack/timepoint.h"

#include <cmath>

#include "analytics_test_util.h"
#include "cotrack/baseline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::MakePatient;
using ::cotrack::testing::Obs;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::T;
using ::testing::HasSubstr;

std::string Date(int64_t day) { return FormatCivilTime(CivilTime::FromDay(day)); }

TEST(BaselineTest, LastValueOnOrBeforeIndexDate) {
  Patient p = MakePatient("p1", "A", T("2024-03-10"));
  std::vector<Observation> traj = {
      Obs("p1", "edss", T("2024-01-05"), 2.0),
      Obs("p1", "edss", T("2024-03-01"), 3.0),
      // Later on the index date itself still counts as "on" the index date.
      Obs("p1", "edss", T("2024-03-10T16:30"), 3.5),
      Obs("p1", "edss", T("2024-03-11"), 6.0),
  };
  BaselineResult bl = FindBaseline(p, traj);
  ASSERT_EQ(bl.status, BaselineStatus::kFound);
  EXPECT_EQ(bl.observation->value, 3.5);
}

TEST(BaselineTest, LookbackWindowExcludesOldValues) {
  Patient p = MakePatient("p1", "A", T("2024-03-10"));
  std::vector<Observation> traj = {Obs("p1", "edss", T("2024-01-05"), 2.0)};
  BaselineOptions opts;
  opts.lookback_days = 65;  // 2024-01-05 is 65 days before: inside
  BaselineResult in = FindBaseline(p, traj, opts);
  ASSERT_EQ(in.status, BaselineStatus::kFound);
  opts.lookback_days = 64;
  BaselineResult out = FindBaseline(p, traj, opts);
  EXPECT_EQ(out.status, BaselineStatus::kNoValue);
  EXPECT_EQ(out.options.lookback_days, 64);
}

TEST(BaselineTest, NoIndexDateIsReportedNotGuessed) {
  Patient p = MakePatient("p1", "A", std::nullopt);
  std::vector<Observation> traj = {Obs("p1", "edss", T("2024-01-05"), 2.0)};
  EXPECT_EQ(FindBaseline(p, traj).status, BaselineStatus::kNoIndexDate);
  EXPECT_STREQ(BaselineStatusName(BaselineStatus::kNoIndexDate), "no-index-date");
}

TEST(BaselineTest, NoValueBeforeIndexAndRetractedValuesSkipped) {
  Patient p = MakePatient("p1", "A", T("2024-03-10"));
  Observation retracted = Obs("p1", "edss", T("2024-03-01"), 9.0);
  retracted.status = ObservationStatus::kEnteredInError;
  std::vector<Observation> traj = {retracted, Obs("p1", "edss", T("2024-04-01"), 2.0)};
  EXPECT_EQ(FindBaseline(p, traj).status, BaselineStatus::kNoValue);
}

TEST(TimepointParseTest, AcceptsDocumentedForms) {
  struct Case {
    const char* text;
    TimepointUnit unit;
    int64_t amount;
  } cases[] = {{"0", TimepointUnit::kBaseline, 0}, {"14d", TimepointUnit::kDays, 14},
               {"0d", TimepointUnit::kDays, 0},    {"12w", TimepointUnit::kWeeks, 12},
               {"6m", TimepointUnit::kMonths, 6},  {"6M", TimepointUnit::kMonths, 6},
               {"2y", TimepointUnit::kYears, 2}};
  for (const Case& c : cases) {
    absl::StatusOr<Timepoint> tp = ParseTimepoint(c.text);
    ASSERT_TRUE(tp.ok()) << c.text << ": " << tp.status();
    EXPECT_EQ(tp->unit, c.unit) << c.text;
    EXPECT_EQ(tp->amount, c.amount) << c.text;
    EXPECT_EQ(tp->label, c.text);
  }
}

TEST(TimepointParseTest, RejectsMalformedWithActionableMessage) {
  for (const char* bad : {"", "m", "6x", "-3m", "1.5m", "123456d", "six months", "3"}) {
    EXPECT_THAT(ParseTimepoint(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected 0 for baseline")))
        << bad;
  }
  EXPECT_THAT(ParseTimepoint("6q"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown unit 'q'")));
}

TEST(TimepointParseTest, ListRejectsDuplicatesIncludingEquivalentForms) {
  ASSERT_OK_AND_ASSIGN(std::vector<Timepoint> tps, ParseTimepointList("0,3m,6m,12m"));
  ASSERT_EQ(tps.size(), 4u);
  EXPECT_EQ(tps[3].label, "12m");
  EXPECT_THAT(ParseTimepointList("0,12m,1y"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
  EXPECT_THAT(ParseTimepointList("2w,14d"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
  EXPECT_THAT(ParseTimepointList("0,,6m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(TimepointTargetTest, CalendarMonthsClampToMonthEnd) {
  auto target = [](const char* index, const char* tp) {
    absl::StatusOr<Timepoint> t = ParseTimepoint(tp);
    EXPECT_TRUE(t.ok());
    return Date(TimepointTargetDay(*t, testing::T(index).day()));
  };
  EXPECT_EQ(target("2024-01-31", "1m"), "2024-02-29");  // leap year
  EXPECT_EQ(target("2023-01-31", "1m"), "2023-02-28");
  EXPECT_EQ(target("2024-01-31", "13m"), "2025-02-28");
  EXPECT_EQ(target("2024-03-31", "6m"), "2024-09-30");
  EXPECT_EQ(target("2024-11-15", "3m"), "2025-02-15");  // crosses a year
  EXPECT_EQ(target("2024-02-29", "1y"), "2025-02-28");
  EXPECT_EQ(target("2024-02-29", "4y"), "2028-02-29");
  EXPECT_EQ(target("2024-01-01", "12w"), "2024-03-25");  // 84 days
  EXPECT_EQ(target("2024-01-01", "30d"), "2024-01-31");
  EXPECT_EQ(target("2024-01-01", "0"), "2024-01-01");
}

TEST(TimepointTargetTest, StudyDayHasNoDayZero) {
  const int64_t index = testing::T("2024-01-01").day();
  EXPECT_EQ(StudyDay(index, index), 1);
  EXPECT_EQ(StudyDay(index, index + 1), 2);
  EXPECT_EQ(StudyDay(index, index - 1), -1);
  EXPECT_EQ(StudyDay(index, index + 30), 31);
}

TEST(TimepointTargetTest, CivilDayToDateRoundTrips) {
  for (int64_t day : {-719162LL, -1LL, 0LL, 19723LL, 2932896LL}) {
    int64_t y;
    unsigned m, d;
    CivilDayToDate(day, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), day);
  }
}

TEST(ValueAtTimepointTest, NearestWithinWindow) {
  Patient p = MakePatient("p1", "A", T("2024-01-01"));  // 6m target: 2024-07-01
  std::vector<Observation> traj = {
      Obs("p1", "edss", T("2023-12-20"), 2.0),
      Obs("p1", "edss", T("2024-06-20"), 3.0),  // 11 days early
      Obs("p1", "edss", T("2024-07-04"), 3.5),  // 3 days late: nearest
      Obs("p1", "edss", T("2024-09-01"), 4.0),
  };
  ASSERT_OK_AND_ASSIGN(Timepoint six, ParseTimepoint("6m"));
  TimepointValue v = ValueAtTimepoint(p, traj, six);
  ASSERT_EQ(v.status, TimepointStatus::kFound);
  EXPECT_EQ(v.observation->value, 3.5);
  EXPECT_EQ(v.offset_days, 3);
  EXPECT_EQ(Date(v.target_day), "2024-07-01");
  EXPECT_EQ(v.options.window_days, 30);
}

TEST(ValueAtTimepointTest, TwoVisitsEquallyNearTargetEarlierWins) {
  Patient p = MakePatient("p1", "A", T("2024-01-01"));
  std::vector<Observation> traj = {
      // Listed late-first on purpose: the rule is by time, not by order.
      Obs("p1", "edss", T("2024-07-06"), 4.0),  // +5 days
      Obs("p1", "edss", T("2024-06-26"), 3.0),  // -5 days
  };
  ASSERT_OK_AND_ASSIGN(Timepoint six, ParseTimepoint("6m"));
  TimepointValue v = ValueAtTimepoint(p, traj, six);
  ASSERT_EQ(v.status, TimepointStatus::kFound);
  EXPECT_EQ(v.observation->value, 3.0);
  EXPECT_EQ(v.offset_days, -5);
}

TEST(ValueAtTimepointTest, WindowIsInclusive) {
  Patient p = MakePatient("p1", "A", T("2024-01-01"));
  std::vector<Observation> traj = {Obs("p1", "edss", T("2024-07-31"), 3.0)};  // +30 days
  ASSERT_OK_AND_ASSIGN(Timepoint six, ParseTimepoint("6m"));
  TimepointOptions opts;
  opts.window_days = 30;
  EXPECT_EQ(ValueAtTimepoint(p, traj, six, opts).status, TimepointStatus::kFound);
  opts.window_days = 29;
  EXPECT_EQ(ValueAtTimepoint(p, traj, six, opts).status, TimepointStatus::kNoValue);
}

TEST(ValueAtTimepointTest, SingleVisitHasBaselineButNoFollowUp) {
  Patient p = MakePatient("p1", "A", T("2024-01-01"));
  std::vector<Observation> traj = {Obs("p1", "edss", T("2023-12-15"), 2.0)};
  ASSERT_OK_AND_ASSIGN(std::vector<Timepoint> tps, ParseTimepointList("0,6m"));
  EXPECT_EQ(ValueAtTimepoint(p, traj, tps[0]).status, TimepointStatus::kFound);
  EXPECT_EQ(ValueAtTimepoint(p, traj, tps[1]).status, TimepointStatus::kNoValue);
}

TEST(ValueAtTimepointTest, ZeroIsBaselineZeroDaysIsNearestToIndex) {
  Patient p = MakePatient("p1", "A", T("2024-01-10"));
  std::vector<Observation> traj = {
      Obs("p1", "edss", T("2024-01-01"), 2.0),  // baseline: last on/before index
      Obs("p1", "edss", T("2024-01-12"), 3.0),  // nearest to the index date
  };
  ASSERT_OK_AND_ASSIGN(std::vector<Timepoint> tps, ParseTimepointList("0,0d"));
  EXPECT_EQ(ValueAtTimepoint(p, traj, tps[0]).observation->value, 2.0);
  EXPECT_EQ(ValueAtTimepoint(p, traj, tps[1]).observation->value, 3.0);
}

TEST(ValueAtTimepointTest, NoIndexDate) {
  Patient p = MakePatient("p1", "A", std::nullopt);
  std::vector<Observation> traj = {Obs("p1", "edss", T("2024-01-01"), 2.0)};
  ASSERT_OK_AND_ASSIGN(Timepoint six, ParseTimepoint("6m"));
  EXPECT_EQ(ValueAtTimepoint(p, traj, six).status, TimepointStatus::kNoIndexDate);
}

}  // namespace
}  // namespace cotrack
