// The Kaplan–Meier estimator, its median and log-log interval, and the
// log-rank test, against R's survival package on published data (aml,
// Miller 1981; survdiff prints Chisq= 3.4 on 1 df, p= 0.07) and on a set
// with ties and censoring at event times. survival_data/km_expected.R wrote
// survival_data/km_expected.txt; rerun it to regenerate.
#include "cotrack/survival.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_split.h"
#include "analytics_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::Day;
using ::cotrack::testing::MakePatient;
using ::cotrack::testing::Series;
using ::cotrack::testing::StatusIs;
using ::testing::HasSubstr;

struct Expected {
  std::vector<SurvivalSubject> data;
  std::map<std::string, std::vector<KaplanMeierStep>> steps;
  struct Median {
    int64_t n, events;
    double median, lower, upper;  // NaN = NA
  };
  std::map<std::string, Median> medians;
  double chisq = 0, p = 0;
  int64_t df = 0;
};

double Num(const std::string& s) {
  if (s == "NA" || s == "NaN") return std::nan("");
  return std::stod(s);
}

std::map<std::string, Expected> ReadExpected() {
  std::ifstream in(std::string(COTRACK_SOURCE_DIR) +
                   "/tests/engine/analytics/survival_data/km_expected.txt");
  EXPECT_TRUE(in) << "km_expected.txt";
  std::map<std::string, Expected> out;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    Expected& e = out[f[1]];
    if (f[0] == "data") {
      e.data.push_back({Num(f[3]), f[4] == "1", f[2]});
    } else if (f[0] == "step") {
      KaplanMeierStep s;
      s.time = Num(f[3]);
      s.n_risk = std::stoll(f[4]);
      s.n_event = std::stoll(f[5]);
      s.n_censor = std::stoll(f[6]);
      s.survival = Num(f[7]);
      s.std_err = Num(f[8]);
      s.lower = Num(f[9]);
      s.upper = Num(f[10]);
      e.steps[f[2]].push_back(s);
    } else if (f[0] == "median") {
      e.medians[f[2]] = {std::stoll(f[3]), std::stoll(f[4]), Num(f[5]), Num(f[6]), Num(f[7])};
    } else if (f[0] == "logrank") {
      e.chisq = Num(f[2]);
      e.df = std::stoll(f[3]);
      e.p = Num(f[4]);
    }
  }
  return out;
}

void ExpectNear(double expected, double actual, const std::string& what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": " << actual;
  } else {
    EXPECT_NEAR(actual, expected, 1e-12) << what;
  }
}

void ExpectOptional(double expected, const std::optional<double>& actual, const std::string& what) {
  if (std::isnan(expected)) {
    EXPECT_FALSE(actual.has_value()) << what << ": " << actual.value_or(0);
  } else {
    ASSERT_TRUE(actual.has_value()) << what;
    EXPECT_NEAR(*actual, expected, 1e-12) << what;
  }
}

class SurvivalRTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SurvivalRTest, KaplanMeierMatchesR) {
  std::map<std::string, Expected> all = ReadExpected();
  const Expected& e = all[GetParam()];
  ASSERT_FALSE(e.data.empty());
  ASSERT_OK_AND_ASSIGN(std::vector<KaplanMeierCurve> curves, KaplanMeier(e.data));
  ASSERT_EQ(curves.size(), e.steps.size());
  for (const KaplanMeierCurve& c : curves) {
    SCOPED_TRACE(c.group);
    const std::vector<KaplanMeierStep>& want = e.steps.at(c.group);
    ASSERT_EQ(c.steps.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const std::string at = "t=" + std::to_string(want[i].time);
      EXPECT_EQ(c.steps[i].time, want[i].time);
      EXPECT_EQ(c.steps[i].n_risk, want[i].n_risk) << at;
      EXPECT_EQ(c.steps[i].n_event, want[i].n_event) << at;
      EXPECT_EQ(c.steps[i].n_censor, want[i].n_censor) << at;
      ExpectNear(want[i].survival, c.steps[i].survival, "survival " + at);
      ExpectNear(want[i].std_err, c.steps[i].std_err, "std_err " + at);
      ExpectNear(want[i].lower, c.steps[i].lower, "lower " + at);
      ExpectNear(want[i].upper, c.steps[i].upper, "upper " + at);
    }
    const Expected::Median& m = e.medians.at(c.group);
    EXPECT_EQ(c.n, m.n);
    EXPECT_EQ(c.events, m.events);
    ExpectOptional(m.median, c.median, "median");
    ExpectOptional(m.lower, c.median_lower, "median lower");
    ExpectOptional(m.upper, c.median_upper, "median upper");
  }
}

TEST_P(SurvivalRTest, LogRankMatchesSurvdiff) {
  std::map<std::string, Expected> all = ReadExpected();
  const Expected& e = all[GetParam()];
  ASSERT_OK_AND_ASSIGN(LogRankResult r, LogRank(e.data));
  EXPECT_NEAR(r.chisq, e.chisq, 1e-10);
  EXPECT_EQ(r.df, e.df);
  ASSERT_TRUE(r.p.has_value());
  EXPECT_NEAR(*r.p, e.p, 1e-10);
}

INSTANTIATE_TEST_SUITE_P(RSurvival, SurvivalRTest, ::testing::Values("aml", "ties"));

TEST(SurvivalTest, AmlAsPrintedInRDocs) {
  // The numbers R's documentation prints, independent of the generated file.
  std::map<std::string, Expected> all = ReadExpected();
  ASSERT_OK_AND_ASSIGN(LogRankResult r, LogRank(all["aml"].data));
  EXPECT_NEAR(r.chisq, 3.4, 0.05);
  EXPECT_NEAR(*r.p, 0.07, 0.005);
  ASSERT_OK_AND_ASSIGN(std::vector<KaplanMeierCurve> c, KaplanMeier(all["aml"].data));
  EXPECT_EQ(c[0].group, "Maintained");
  EXPECT_EQ(c[0].median, 31);
  EXPECT_EQ(c[1].median, 23);
}

TEST(SurvivalTest, MedianAtExactlyHalfAsRPrintsIt) {
  std::vector<KaplanMeierCurve> c;
  std::vector<SurvivalSubject> p = {{2, true, ""}, {4, true, ""}, {6, false, ""}, {8, false, ""}};
  ASSERT_OK_AND_ASSIGN(c, KaplanMeier(p));
  // S(2) = 0.75, S(4) = 0.5 and never lower: 4, as print(survfit) says.
  ASSERT_TRUE(c[0].median.has_value());
  EXPECT_DOUBLE_EQ(*c[0].median, 4);
  // S = 0.5 from 4 to 6, then 0.25: the midpoint 5 (print(survfit)).
  p = {{2, true, ""}, {4, true, ""}, {6, true, ""}, {8, false, ""}};
  ASSERT_OK_AND_ASSIGN(c, KaplanMeier(p));
  ASSERT_TRUE(c[0].median.has_value());
  EXPECT_DOUBLE_EQ(*c[0].median, 5);
}

TEST(SurvivalTest, ReadAtTimes) {
  std::vector<SurvivalSubject> s = {{1, false, ""}, {2, true, ""}, {3, false, ""}, {4, true, ""}};
  ASSERT_OK_AND_ASSIGN(std::vector<KaplanMeierCurve> c, KaplanMeier(s));
  std::optional<KaplanMeierStep> a = KaplanMeierAt(c[0], 0.5);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->survival, 1);
  EXPECT_EQ(a->n_risk, 4);
  a = KaplanMeierAt(c[0], 2.5);
  ASSERT_TRUE(a);
  EXPECT_NEAR(a->survival, 2.0 / 3, 1e-15);
  EXPECT_EQ(a->n_risk, 2);
  EXPECT_NEAR(a->lower, 0.05407343, 1e-8);  // R: summary(fit, times = 2.5)
  EXPECT_FALSE(KaplanMeierAt(c[0], 10).has_value());
}

TEST(SurvivalTest, BadTimesAreErrors) {
  EXPECT_THAT(KaplanMeier({{1, true, "a"}, {-1, true, "b"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("subject 1")));
  EXPECT_THAT(LogRank({{std::nan(""), true, "a"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad time")));
}

TEST(SurvivalTest, OneGroupHasNoTest) {
  ASSERT_OK_AND_ASSIGN(LogRankResult r, LogRank({{1, true, "a"}, {2, false, "a"}}));
  EXPECT_EQ(r.df, 0);
  EXPECT_FALSE(r.p.has_value());
}

TEST(SurvivalTest, ChiSquareTail) {
  EXPECT_NEAR(ChiSquareUpperTail(3.841458820694124, 1), 0.05, 1e-12);
  EXPECT_NEAR(ChiSquareUpperTail(5.991464547107979, 2), 0.05, 1e-12);
  EXPECT_NEAR(ChiSquareUpperTail(30, 3), 1.3800570312932227e-06, 1e-15);  // R pchisq
}

TEST(SurvivalTest, TimeToFirstWorseningFromCourseStart) {
  Patient p = MakePatient("p", "A", std::nullopt);
  // 2.0 -> 3.5 at day 100, confirmed at day 200.
  std::vector<Observation> traj =
      Series("p", "edss", {{10, 2.0}, {100, 3.5}, {200, 3.5}, {400, 3.5}});
  ASSERT_OK_AND_ASSIGN(ProgressionResult r, DetectEdssProgression(p, traj, {}));
  std::optional<TimeToEvent> t = TimeToFirstEvent(p, traj, r, {}, "A");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->event);
  EXPECT_EQ(t->days, 90);
  EXPECT_EQ(t->origin.day(), Day(10).day());
  // Improvement wanted: none, censored at the last visit.
  SurvivalEventFilter improvement{{ProgressionEventKind::kImprovement}};
  t = TimeToFirstEvent(p, traj, r, improvement, "A");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->event);
  EXPECT_EQ(t->days, 390);
}

TEST(SurvivalTest, OriginIsTheIndexDateBaseline) {
  Patient p = MakePatient("p", "A", Day(50));
  std::vector<Observation> traj =
      Series("p", "edss", {{0, 6.0}, {40, 2.0}, {100, 2.0}, {300, 2.5}});
  ASSERT_OK_AND_ASSIGN(ProgressionResult r, DetectEdssProgression(p, traj, {}));
  std::optional<TimeToEvent> t = TimeToFirstEvent(p, traj, r, {}, "A");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->event);
  EXPECT_EQ(t->origin.day(), Day(40).day());
  EXPECT_EQ(t->days, 260);
  // No baseline on or before the index date: not analysed.
  Patient late = MakePatient("q", "A", Day(-5));
  ASSERT_OK_AND_ASSIGN(r, DetectEdssProgression(late, traj, {}));
  EXPECT_FALSE(TimeToFirstEvent(late, traj, r, {}, "A").has_value());
}

TEST(SurvivalTest, ParseOptions) {
  ASSERT_OK_AND_ASSIGN(SurvivalOptions o, ParseSurvivalOptions({{"by", "arm"},
                                                                {"at", "365d,2y,52w"},
                                                                {"confirm", "24w"},
                                                                {"event", "improvement"},
                                                                {"no-intermediate", ""}}));
  EXPECT_EQ(o.group_by, "arm");
  EXPECT_THAT(o.at_days, ::testing::ElementsAre(365, 730.5, 364));
  EXPECT_EQ(o.progression.confirm_days, 168);
  EXPECT_FALSE(o.progression.require_intermediate);
  EXPECT_EQ(o.progression.event, ProgressionEventSelection::kFirstCdi);
  ASSERT_OK_AND_ASSIGN(o, ParseSurvivalOptions({}));
  EXPECT_EQ(o.progression.event, ProgressionEventSelection::kFirstCdw);
  EXPECT_THAT(ParseSurvivalOptions({{"at", "soon"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--at: bad value \"soon\"")));
  EXPECT_THAT(
      ParseSurvivalOptions({{"confrim", "12w"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown option \"confrim\"")));
  EXPECT_THAT(ParseSurvivalOptions({{"confirm", "0"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--confirm")));
}

}  // namespace
}  // namespace cotrack
