// Cohort tables on cohorts whose statistics are known by construction, and
// Statistics are checked here without a database; SummarizeCohort's
// one-pass wiring is tested against a real database in summarize_db_test.cc.
#include <cmath>

#include "analytics_test_util.h"
#include "cotrack/summary.h"
#include "cotrack/timepoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::Day;
using ::cotrack::testing::EdssDefinition;
using ::cotrack::testing::Il4Definition;
using ::cotrack::testing::MakePatient;
using ::cotrack::testing::Obs;
using ::cotrack::testing::Series;
using ::cotrack::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(QuantileTest, Type7LinearInterpolation) {
  // R: quantile(c(1,2,3,10), c(.25,.5,.75)) = 1.75 2.5 4.75
  EXPECT_DOUBLE_EQ(Quantile({10, 1, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(Quantile({10, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({10, 1, 3, 2}, 0.75), 4.75);
  EXPECT_DOUBLE_EQ(Quantile({7}, 0.25), 7);
  EXPECT_DOUBLE_EQ(Quantile({1, 2}, 1.0), 2);
}

TEST(DescribeTest, KnownValues) {
  Descriptive d = Describe({1, 2, 3, 4, 5});
  EXPECT_EQ(d.n, 5);
  EXPECT_DOUBLE_EQ(*d.mean, 3);
  EXPECT_DOUBLE_EQ(*d.sd, std::sqrt(2.5));
  EXPECT_DOUBLE_EQ(*d.median, 3);
  EXPECT_DOUBLE_EQ(*d.q1, 2);
  EXPECT_DOUBLE_EQ(*d.q3, 4);
  EXPECT_DOUBLE_EQ(*d.min, 1);
  EXPECT_DOUBLE_EQ(*d.max, 5);
  Descriptive one = Describe({4});
  EXPECT_FALSE(one.sd.has_value());  // a sample sd needs two values
  EXPECT_FALSE(Describe({}).mean.has_value());
}

// Issue 16: statistics without binary noise.
TEST(DescribeTest, EqualValuesHaveExactlyTheirMeanAndNoSpread) {
  for (double v : {6.81748, 0.1, 4.0, 1e-3, 123456.789}) {
    const Descriptive d = Describe({v, v, v});
    EXPECT_EQ(*d.mean, v);
    EXPECT_EQ(*d.sd, 0.0) << v;  // was 2.7e-16 for 6.81748
    EXPECT_EQ(*d.median, v);
    EXPECT_EQ(*d.q1, v);
  }
}

TEST(DescribeTest, DecimalInputsGiveDecimalResults) {
  const Descriptive d = Describe({0.1, 0.2});
  EXPECT_EQ(*d.mean, 0.15);  // not 0.15000000000000002
  EXPECT_EQ(*d.median, 0.15);
  EXPECT_EQ(*Describe({6.5, 6.6, 6.7}).mean, 6.6);
  EXPECT_EQ(Quantile({6.5, 6.6}, 0.25), 6.525);
  // An sd that is not a short decimal keeps 15 significant digits.
  EXPECT_NEAR(*Describe({1, 2}).sd, std::sqrt(0.5), 1e-15);
}

TEST(ChangeTest, ChangeIsTheDecimalDifference) {
  MeasureDefinition hba1c;
  hba1c.code = "hba1c";
  hba1c.direction = Direction::kHigherIsWorse;
  hba1c.change_threshold = 0.5;
  const Change c = ComputeChange(hba1c, 6.5, 6.6, ChangeOptions());
  EXPECT_EQ(c.absolute, 0.1);  // not 0.09999999999999964
  EXPECT_EQ(ComputeChange(hba1c, 6.81748, 6.54304, ChangeOptions()).absolute, -0.27444);
}

// Index date day 100 for everyone; baseline on day 90; month 6 is day 282
// (2020-04-10 + 6 months = 2020-10-10).
struct Cohort {
  std::vector<Patient> patients;
  std::vector<std::vector<Observation>> trajectories;
  void Add(const std::string& id, const std::string& arm, std::optional<double> bl,
           std::optional<double> m6, std::map<std::string, std::string> attrs = {}) {
    Patient p = MakePatient(id, arm, Day(100));
    p.attributes = std::move(attrs);
    std::vector<std::pair<int64_t, double>> pts;
    if (bl) pts.push_back({90, *bl});
    if (m6) pts.push_back({284, *m6});
    patients.push_back(p);
    trajectories.push_back(Series(id, "edss", pts));
  }
};

SummaryOptions Opts(const std::string& at, const std::string& by = "") {
  SummaryOptions o;
  absl::StatusOr<std::vector<Timepoint>> tps = ParseTimepointList(at);
  EXPECT_TRUE(tps.ok());
  o.timepoints = *tps;
  o.group_by = by;
  return o;
}

const SummaryRow* FindRow(const CohortSummary& s, const std::string& tp, const std::string& g) {
  for (const SummaryRow& r : s.rows) {
    if (r.timepoint == tp && r.group == g) return &r;
  }
  return nullptr;
}

TEST(CohortSummaryTest, PerArmStatisticsAndClassification) {
  Cohort c;
  // Arm A month-6 EDSS 1..5, baselines chosen so that (threetier):
  //   a1 2.0->1.0 improved (-1.0 from <= 6.0), a2 2.0->2.0 stable,
  //   a3 2.0->3.0 worsened (+1.0), a4 3.0->4.0 worsened, a5 4.5->5.0 stable.
  c.Add("a1", "A", 2.0, 1.0);
  c.Add("a2", "A", 2.0, 2.0);
  c.Add("a3", "A", 2.0, 3.0);
  c.Add("a4", "A", 3.0, 4.0);
  c.Add("a5", "A", 4.5, 5.0);
  // Arm B month-6 EDSS 1, 2, 3, 10 -> median 2.5, q1 1.75, q3 4.75.
  c.Add("b1", "B", 1.0, 1.0);
  c.Add("b2", "B", 2.0, 2.0);
  c.Add("b3", "B", 3.0, 3.0);
  c.Add("b4", "B", 6.0, 10.0);
  CohortSummaryBuilder b(EdssDefinition(), Opts("0,6m", "arm"));
  for (size_t i = 0; i < c.patients.size(); ++i) b.Add(c.patients[i], c.trajectories[i]);
  CohortSummary s = b.Finish();
  EXPECT_EQ(s.patients, 9);
  ASSERT_EQ(s.rows.size(), 4u);
  // Ordered by timepoint, then group.
  EXPECT_EQ(s.rows[0].timepoint, "0");
  EXPECT_EQ(s.rows[0].group, "A");
  EXPECT_EQ(s.rows[1].group, "B");
  EXPECT_EQ(s.rows[2].timepoint, "6m");

  const SummaryRow* a6 = FindRow(s, "6m", "A");
  ASSERT_NE(a6, nullptr);
  EXPECT_EQ(a6->stats.n, 5);
  EXPECT_DOUBLE_EQ(*a6->stats.median, 3);
  EXPECT_DOUBLE_EQ(*a6->stats.q1, 2);
  EXPECT_DOUBLE_EQ(*a6->stats.q3, 4);
  EXPECT_DOUBLE_EQ(*a6->stats.mean, 3);
  EXPECT_DOUBLE_EQ(*a6->stats.sd, std::sqrt(2.5));
  EXPECT_EQ(a6->improved, 1);
  EXPECT_EQ(a6->stable, 2);
  EXPECT_EQ(a6->worsened, 2);
  EXPECT_DOUBLE_EQ(*a6->improved_pct, 20);
  EXPECT_DOUBLE_EQ(*a6->worsened_pct, 40);
  // Changes -1, 0, 1, 1, 0.5: median 0.5, mean 0.3.
  EXPECT_EQ(a6->change_n, 5);
  EXPECT_DOUBLE_EQ(*a6->change_median, 0.5);
  EXPECT_DOUBLE_EQ(*a6->change_mean, 0.3);

  const SummaryRow* b6 = FindRow(s, "6m", "B");
  ASSERT_NE(b6, nullptr);
  EXPECT_DOUBLE_EQ(*b6->stats.median, 2.5);
  EXPECT_DOUBLE_EQ(*b6->stats.q1, 1.75);
  EXPECT_DOUBLE_EQ(*b6->stats.q3, 4.75);
  EXPECT_DOUBLE_EQ(*b6->stats.min, 1);
  EXPECT_DOUBLE_EQ(*b6->stats.max, 10);
  EXPECT_EQ(b6->worsened, 1);  // 6.0 -> 10 (+4.0 >= 0.5)
  EXPECT_EQ(b6->stable, 3);

  const SummaryRow* a0 = FindRow(s, "0", "A");
  EXPECT_DOUBLE_EQ(*a0->stats.median, 2.0);
  EXPECT_EQ(a0->stable, 5);  // baseline vs itself
}

TEST(CohortSummaryTest, MissingNoIndexDateAndNoBaselineAreReported) {
  Cohort c;
  c.Add("full", "A", 2.0, 3.0);
  c.Add("single", "A", 2.0, std::nullopt);  // a single visit: no month 6
  c.Add("nobl", "A", std::nullopt, 4.0);    // no value before the index date
  Patient noindex = MakePatient("noindex", "A", std::nullopt);
  CohortSummaryBuilder b(EdssDefinition(), Opts("0,6m"));
  for (size_t i = 0; i < c.patients.size(); ++i) b.Add(c.patients[i], c.trajectories[i]);
  b.Add(noindex, Series("noindex", "edss", {{90, 2.0}, {284, 9.0}}));
  CohortSummary s = b.Finish();
  EXPECT_THAT(s.no_index_date, ElementsAre("noindex"));
  EXPECT_THAT(s.no_baseline, ElementsAre("nobl"));
  const SummaryRow* m6 = FindRow(s, "6m", "all");
  ASSERT_NE(m6, nullptr);
  EXPECT_EQ(m6->patients, 4);
  EXPECT_EQ(m6->stats.n, 2);   // full (3.0) and nobl (4.0)
  EXPECT_EQ(m6->missing, 2);   // single, noindex
  EXPECT_EQ(m6->change_n, 1);  // only "full" has both
  const SummaryRow* m0 = FindRow(s, "0", "all");
  EXPECT_EQ(m0->stats.n, 2);
  EXPECT_EQ(m0->missing, 2);  // nobl, noindex
}

TEST(CohortSummaryTest, GroupByAttributeWithNoneGroup) {
  Cohort c;
  c.Add("p1", "A", 2.0, 3.0, {{"route", "iv"}});
  c.Add("p2", "A", 2.0, 3.0, {{"route", "sc"}});
  c.Add("p3", "A", 2.0, 3.0);
  CohortSummaryBuilder b(EdssDefinition(), Opts("6m", "route"));
  for (size_t i = 0; i < c.patients.size(); ++i) b.Add(c.patients[i], c.trajectories[i]);
  CohortSummary s = b.Finish();
  std::vector<std::string> groups;
  for (const SummaryRow& r : s.rows) groups.push_back(r.group);
  EXPECT_THAT(groups, ElementsAre("(none)", "iv", "sc"));
}

TEST(CohortSummaryTest, CensoredValueRules) {
  // IL-4 at month 6: 4.0, 2.0 and "<0.5" (baseline 1.0 for all).
  std::vector<Patient> ps;
  std::vector<std::vector<Observation>> ts;
  const std::vector<std::pair<double, Comparator>> m6 = {
      {4.0, Comparator::kNone}, {2.0, Comparator::kNone}, {0.5, Comparator::kLess}};
  for (size_t i = 0; i < m6.size(); ++i) {
    const std::string id = "p" + std::to_string(i);
    ps.push_back(MakePatient(id, "A", Day(100)));
    ts.push_back(
        {Obs(id, "il4", Day(90), 1.0), Obs(id, "il4", Day(284), m6[i].first, m6[i].second)});
  }
  auto run = [&](CensoredRule rule) {
    SummaryOptions o = Opts("6m");
    o.censored = rule;
    CohortSummaryBuilder b(Il4Definition(), o);
    for (size_t i = 0; i < ps.size(); ++i) b.Add(ps[i], ts[i]);
    return b.Finish().rows.at(0);
  };
  SummaryRow ex = run(CensoredRule::kExclude);
  EXPECT_EQ(ex.censored, 1);
  EXPECT_EQ(ex.stats.n, 2);
  EXPECT_DOUBLE_EQ(*ex.stats.median, 3.0);
  EXPECT_EQ(ex.missing, 0);  // a censored value is not missing
  SummaryRow half = run(CensoredRule::kHalfLimit);
  EXPECT_EQ(half.censored, 1);
  EXPECT_EQ(half.stats.n, 3);
  EXPECT_DOUBLE_EQ(*half.stats.min, 0.25);
  EXPECT_DOUBLE_EQ(*half.stats.median, 2.0);
  SummaryRow lim = run(CensoredRule::kLimit);
  EXPECT_DOUBLE_EQ(*lim.stats.min, 0.5);
  // IL-4 has no direction: changes are computed, never classified.
  EXPECT_EQ(lim.change_n, 3);
  EXPECT_EQ(lim.improved + lim.stable + lim.worsened, 0);
  EXPECT_FALSE(lim.improved_pct.has_value());
}

TEST(CohortSummaryTest, CensoredBaselineGivesNoChangeWhenExcluded) {
  Patient p = MakePatient("p", "A", Day(100));
  std::vector<Observation> t = {Obs("p", "il4", Day(90), 0.5, Comparator::kLess),
                                Obs("p", "il4", Day(284), 3.0)};
  SummaryOptions o = Opts("0,6m");
  CohortSummaryBuilder ex(Il4Definition(), o);
  ex.Add(p, t);
  CohortSummary s = ex.Finish();
  EXPECT_EQ(s.rows[0].censored, 1);
  EXPECT_EQ(s.rows[0].stats.n, 0);
  EXPECT_EQ(s.rows[1].stats.n, 1);
  EXPECT_EQ(s.rows[1].change_n, 0);  // no number to change from
  o.censored = CensoredRule::kHalfLimit;
  CohortSummaryBuilder half(Il4Definition(), o);
  half.Add(p, t);
  EXPECT_DOUBLE_EQ(*half.Finish().rows[1].change_mean, 2.75);  // 3.0 - 0.25
}

TEST(CohortSummaryTest, ParseCensoredRule) {
  ASSERT_OK_AND_ASSIGN(CensoredRule r, ParseCensoredRule("half-limit"));
  EXPECT_EQ(r, CensoredRule::kHalfLimit);
  EXPECT_THAT(ParseCensoredRule("zero"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected exclude")));
}

TEST(CohortSummaryTest, RetractedValueIsNotUsed) {
  // Trajectories already omit retracted values; the summary must not count
  // one that slips through either.
  Patient p = MakePatient("p", "A", Day(100));
  std::vector<Observation> t = Series("p", "edss", {{90, 2.0}, {284, 6.0}, {290, 3.0}});
  t[1].status = ObservationStatus::kEnteredInError;
  CohortSummaryBuilder b(EdssDefinition(), Opts("6m"));
  b.Add(p, t);
  SummaryRow r = b.Finish().rows.at(0);
  EXPECT_DOUBLE_EQ(*r.stats.median, 3.0);
}

}  // namespace
}  // namespace cotrack
