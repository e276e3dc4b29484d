// Confirmed EDSS worsening / improvement on small courses whose answer is
// known by construction. Days are offsets from 2020-01-01 (testing::Day).
#include "analytics_test_util.h"
#include "cotrack/change.h"
#include "cotrack/progression.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::Day;
using ::cotrack::testing::MakePatient;
using ::cotrack::testing::Obs;
using ::cotrack::testing::Series;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::T;
using ::testing::HasSubstr;

// "kind@day" for each event, e.g. "worsening@180".
std::vector<std::string> Events(const ProgressionResult& r) {
  std::vector<std::string> out;
  const int64_t day0 = Day(0).day();
  for (const ProgressionEvent& e : r.events) {
    out.push_back(std::string(ProgressionEventKindName(e.kind)) + "@" +
                  std::to_string(e.date.day() - day0));
  }
  return out;
}

ProgressionResult Detect(const std::vector<std::pair<int64_t, double>>& course,
                         const ProgressionOptions& options = {},
                         const std::vector<CivilTime>& relapses = {},
                         std::optional<CivilTime> index_date = std::nullopt) {
  Patient p = MakePatient("p", "A", index_date);
  // These tests follow every event of a course (msprog's event='multiple');
  // the default, the first CDW, is checked in EventSelectionDefaultsToFirstCdw.
  ProgressionOptions o = options;
  o.event = ProgressionEventSelection::kMultiple;
  absl::StatusOr<ProgressionResult> r =
      DetectEdssProgression(p, Series("p", "edss", course), relapses, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : ProgressionResult{};
}

TEST(EdssProgressionTest, ConfirmedWorseningAtKnownDate) {
  // Baseline 2.0 needs +1.0 (threetier). The rise at day 180 is confirmed by
  // the first visit 77..814.5 days later: day 270.
  ProgressionResult r = Detect({{0, 2.0}, {90, 2.0}, {180, 3.0}, {270, 3.0}, {360, 3.5}});
  ASSERT_EQ(r.events.size(), 1u);
  const ProgressionEvent& e = r.events[0];
  EXPECT_EQ(e.kind, ProgressionEventKind::kWorsening);
  EXPECT_EQ(e.date, Day(180));
  EXPECT_EQ(e.value, 3.0);
  EXPECT_EQ(e.baseline_date, Day(0));
  EXPECT_EQ(e.baseline_value, 2.0);
  EXPECT_EQ(e.confirmed_date, Day(270));
  EXPECT_EQ(e.confirmed_value, 3.0);
  EXPECT_TRUE(e.confirmed);
  EXPECT_EQ(e.threshold, 1.0);
  EXPECT_EQ(r.start, "first visit (no index date)");
  EXPECT_EQ(r.visits_used, 5);
}

TEST(EdssProgressionTest, RiseThatFallsBackBeforeConfirmationIsNotConfirmed) {
  // 3.0 at day 100 is back to 2.0 at day 150, before the confirmation visit
  // (day 200). The rise at day 200 has no later visit to confirm it.
  const std::vector<std::pair<int64_t, double>> course = {
      {0, 2.0}, {100, 3.0}, {150, 2.0}, {200, 3.0}};
  EXPECT_THAT(Events(Detect(course)), ::testing::IsEmpty());
  // Without the intermediate-visit requirement day 200 alone confirms it.
  ProgressionOptions lax;
  lax.require_intermediate = false;
  EXPECT_THAT(Events(Detect(course, lax)), ::testing::ElementsAre("worsening@100"));
}

TEST(EdssProgressionTest, ConfirmationWindowToleranceBefore) {
  // Day 176 is 76 days after the rise: one day before the -7 day tolerance
  // opens the window (84 - 7 = 77). The first visit inside is day 300, which
  // has fallen back.
  const std::vector<std::pair<int64_t, double>> course = {
      {0, 2.0}, {100, 3.0}, {176, 3.0}, {300, 2.0}};
  EXPECT_THAT(Events(Detect(course)), ::testing::IsEmpty());
  ProgressionOptions wider;
  wider.tolerance_before_days = 8;
  ProgressionResult r = Detect(course, wider);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].confirmed_date, Day(176));
}

TEST(EdssProgressionTest, ConfirmationWindowToleranceAfter) {
  // The only later visit is 200 days after the rise: inside msprog's +730.5
  // but outside a +30 tolerance.
  const std::vector<std::pair<int64_t, double>> course = {{0, 2.0}, {100, 3.0}, {300, 3.0}};
  EXPECT_THAT(Events(Detect(course)), ::testing::ElementsAre("worsening@100"));
  ProgressionOptions strict;
  strict.tolerance_after_days = 30;
  EXPECT_THAT(Events(Detect(course, strict)), ::testing::IsEmpty());
}

TEST(EdssProgressionTest, RovingBaselineFindsWorseningAfterImprovement) {
  // 4.0 -> 3.0 (confirmed improvement at day 90) -> back to 4.0 from day 270.
  // Fixed: 4.0 is no change from the fixed reference 4.0.
  // Roving: the reference moved to day 180 (3.0), so 4.0 is a +1.0
  // worsening, confirmed at day 360.
  const std::vector<std::pair<int64_t, double>> course = {
      {0, 4.0}, {90, 3.0}, {180, 3.0}, {270, 4.0}, {360, 4.0}};
  EXPECT_THAT(Events(Detect(course)), ::testing::ElementsAre("improvement@90"));
  ProgressionOptions roving;
  roving.baseline = BaselineScheme::kRoving;
  ProgressionResult r = Detect(course, roving);
  EXPECT_THAT(Events(r), ::testing::ElementsAre("improvement@90", "worsening@270"));
  EXPECT_EQ(r.events[1].baseline_date, Day(180));
  EXPECT_EQ(r.events[1].baseline_value, 3.0);
}

TEST(EdssProgressionTest, FixedBaselineCountsSecondRiseFromOriginalReference) {
  // Fixed: 2.5 at day 270 is +1.5 over the original 1.0 -> a second event.
  // Roving: the reference is 2.0 (day 180), and +0.5 is not enough.
  const std::vector<std::pair<int64_t, double>> course = {
      {0, 1.0}, {90, 2.0}, {180, 2.0}, {270, 2.5}, {360, 2.5}};
  EXPECT_THAT(Events(Detect(course)), ::testing::ElementsAre("worsening@90", "worsening@270"));
  ProgressionOptions roving;
  roving.baseline = BaselineScheme::kRoving;
  EXPECT_THAT(Events(Detect(course, roving)), ::testing::ElementsAre("worsening@90"));
}

TEST(EdssProgressionTest, RelapseExcludesConfirmationVisit) {
  const std::vector<std::pair<int64_t, double>> course = {
      {0, 2.0}, {90, 3.0}, {180, 3.0}, {270, 2.0}};
  EXPECT_THAT(Events(Detect(course)), ::testing::ElementsAre("worsening@90"));
  // A relapse 20 days before day 180 makes that visit unusable for
  // confirmation; the next candidate (day 270) has fallen back.
  EXPECT_THAT(Events(Detect(course, {}, {Day(160)})), ::testing::IsEmpty());
  // Exactly 30 days after a relapse the visit is usable again.
  EXPECT_THAT(Events(Detect(course, {}, {Day(150)})), ::testing::ElementsAre("worsening@90"));
  ProgressionOptions no_window;
  no_window.relapse_to_bl = {0, 0};
  no_window.relapse_to_conf = {0, 0};
  EXPECT_THAT(Events(Detect(course, no_window, {Day(160)})),
              ::testing::ElementsAre("worsening@90"));
}

TEST(EdssProgressionTest, RelapseMovesReferenceAndMarksAssociation) {
  // The first visit is 10 days after a relapse, so the reference is day 90.
  const std::vector<std::pair<int64_t, double>> course = {
      {0, 3.0}, {90, 2.0}, {180, 3.0}, {270, 3.0}};
  ProgressionResult r = Detect(course, {}, {Day(-10)});
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].baseline_date, Day(90));
  EXPECT_EQ(r.events[0].date, Day(180));
  EXPECT_FALSE(r.events[0].relapse_associated);
  // Without the relapse the reference is day 0 (3.0) and nothing happens.
  EXPECT_THAT(Events(Detect(course)), ::testing::IsEmpty());
  // A relapse 60 days before the event: still detected, marked associated.
  ProgressionResult assoc = Detect(course, {}, {Day(-10), Day(120)});
  ASSERT_EQ(assoc.events.size(), 1u);
  EXPECT_TRUE(assoc.events[0].relapse_associated);
}

TEST(EdssProgressionTest, UnconfirmedRiseAtLastVisitIgnoredByDefault) {
  const std::vector<std::pair<int64_t, double>> course = {{0, 2.0}, {90, 2.0}, {180, 3.5}};
  EXPECT_THAT(Events(Detect(course)), ::testing::IsEmpty());
  ProgressionOptions count;
  count.impute_last_visit = 1;
  ProgressionResult r = Detect(course, count);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_FALSE(r.events[0].confirmed);
  EXPECT_EQ(r.events[0].date, Day(180));
  // A fall at the last visit is never imputed.
  EXPECT_THAT(Events(Detect({{0, 4.0}, {90, 4.0}, {180, 2.0}}, count)), ::testing::IsEmpty());
}

TEST(EdssProgressionTest, RuleChoiceChangesTheAnswer) {
  // From 5.5: msprog needs +0.5, threetier +1.0.
  const std::vector<std::pair<int64_t, double>> course = {{0, 5.5}, {100, 6.0}, {200, 6.0}};
  EXPECT_THAT(Events(Detect(course)), ::testing::IsEmpty());
  ProgressionOptions msprog;
  msprog.rule = EdssRule::kMsprog;
  EXPECT_THAT(Events(Detect(course, msprog)), ::testing::ElementsAre("worsening@100"));
  // From 0: twotier needs +1.0, threetier +1.5.
  const std::vector<std::pair<int64_t, double>> from0 = {{0, 0}, {100, 1.0}, {200, 1.0}};
  EXPECT_THAT(Events(Detect(from0)), ::testing::IsEmpty());
  ProgressionOptions twotier;
  twotier.rule = EdssRule::kTwoTier;
  EXPECT_THAT(Events(Detect(from0, twotier)), ::testing::ElementsAre("worsening@100"));
}

TEST(EdssProgressionTest, CourseStartsAtIndexDateBaseline) {
  const std::vector<std::pair<int64_t, double>> course = {
      {0, 1.0}, {95, 2.0}, {200, 3.0}, {300, 3.0}};
  // Index date day 100: the reference is day 95 (2.0), the event day 200.
  ProgressionResult r = Detect(course, {}, {}, Day(100));
  EXPECT_EQ(r.start, "index-date baseline");
  EXPECT_THAT(Events(r), ::testing::ElementsAre("worsening@200"));
  EXPECT_EQ(r.visits_used, 3);
  // From the first visit instead (1.0): the rise to 2.0 at day 95 holds.
  ProgressionOptions first;
  first.from_index_date = false;
  EXPECT_THAT(Events(Detect(course, first, {}, Day(100))), ::testing::ElementsAre("worsening@95"));
  // An index date before every value: no baseline, reported, no events.
  ProgressionResult none = Detect(course, {}, {}, Day(-50));
  EXPECT_EQ(none.start, "no baseline on or before the index date");
  EXPECT_FALSE(none.analysed);
  EXPECT_TRUE(none.events.empty());
}

TEST(EdssProgressionTest, SingleVisitAndSameDayValues) {
  EXPECT_THAT(Events(Detect({{0, 2.0}})), ::testing::IsEmpty());
  // Two values on day 100: the last of the day (2.0) counts, as in msprog.
  Patient p = MakePatient("p", "A", std::nullopt);
  std::vector<Observation> traj = {
      Obs("p", "edss", Day(0), 2.0), Obs("p", "edss", T("2020-04-10T09:00"), 3.0),
      Obs("p", "edss", T("2020-04-10T17:00"), 2.0), Obs("p", "edss", Day(200), 3.0),
      Obs("p", "edss", Day(300), 3.0)};
  ASSERT_OK_AND_ASSIGN(ProgressionResult r, DetectEdssProgression(p, traj, {}));
  EXPECT_EQ(r.visits_used, 4);
  EXPECT_THAT(Events(r), ::testing::ElementsAre("worsening@200"));
}

TEST(EdssProgressionTest, RetractedValuesAreIgnored) {
  Patient p = MakePatient("p", "A", std::nullopt);
  std::vector<Observation> traj = Series("p", "edss", {{0, 2.0}, {100, 3.0}, {200, 3.0}});
  traj[1].status = ObservationStatus::kEnteredInError;
  traj[2].status = ObservationStatus::kEnteredInError;
  ASSERT_OK_AND_ASSIGN(ProgressionResult r, DetectEdssProgression(p, traj, {}));
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.visits_used, 1);
}

TEST(EdssProgressionTest, BadOptionsAreErrors) {
  Patient p = MakePatient("p", "A", std::nullopt);
  ProgressionOptions o;
  o.confirm_days = 0;
  EXPECT_THAT(DetectEdssProgression(p, {}, {}, o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("confirmation interval")));
  o = ProgressionOptions();
  o.tolerance_before_days = 84;
  EXPECT_THAT(DetectEdssProgression(p, {}, {}, o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be shorter")));
  o = ProgressionOptions();
  o.tolerance_after_days = -1;
  EXPECT_THAT(DetectEdssProgression(p, {}, {}, o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tolerance")));
}

TEST(EdssProgressionTest, EventSelectionDefaultsToFirstCdw) {
  // A CDI (day 90, confirmed day 180) then two CDWs under a roving baseline.
  const std::vector<std::pair<int64_t, double>> course = {
      {0, 4.0}, {90, 3.0}, {180, 3.0}, {270, 4.0}, {360, 4.0}, {450, 5.0}, {540, 5.0}};
  Patient p = MakePatient("p", "A", std::nullopt);
  ProgressionOptions o;
  o.baseline = BaselineScheme::kRoving;
  auto run = [&](ProgressionEventSelection e) {
    o.event = e;
    absl::StatusOr<ProgressionResult> r =
        DetectEdssProgression(p, Series("p", "edss", course), {}, o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? Events(*r) : std::vector<std::string>{};
  };
  EXPECT_THAT(run(ProgressionEventSelection::kMultiple),
              ::testing::ElementsAre("improvement@90", "worsening@270", "worsening@450"));
  EXPECT_THAT(run(ProgressionEventSelection::kFirstCdw), ::testing::ElementsAre("worsening@270"));
  EXPECT_THAT(run(ProgressionEventSelection::kFirstCdi), ::testing::ElementsAre("improvement@90"));
  EXPECT_THAT(run(ProgressionEventSelection::kFirst), ::testing::ElementsAre("improvement@90"));
  EXPECT_EQ(ProgressionOptions().event, ProgressionEventSelection::kFirstCdw);
}

TEST(EdssProgressionTest, ExactDecimalStepsCountUnlessSlackIsZero) {
  // T25FW 6.5 -> 5.2 s is exactly 20 % in decimal but 6.5 - 5.2 is
  // 1.2999999999999998 in binary: cotrack counts the improvement; with
  // threshold-slack 0 it compares exactly as msprog does and does not
  // (docs/PROGRESSION.md; msprog_differential_test runs T25FW that way).
  ProgressionOptions o;
  ASSERT_OK(ParseProgressionOptions({{"outcome", "t25fw"}, {"event", "multiple"}}, &o, nullptr));
  const std::vector<std::pair<int64_t, double>> course = {{0, 6.5}, {100, 5.2}, {200, 5.2}};
  EXPECT_THAT(Events(Detect(course, o)), ::testing::ElementsAre("improvement@100"));
  o.threshold_slack = 0;
  EXPECT_THAT(Events(Detect(course, o)), ::testing::IsEmpty());
}

TEST(EdssProgressionTest, ResultCarriesParameters) {
  ProgressionOptions o;
  o.rule = EdssRule::kMsprog;
  o.baseline = BaselineScheme::kRoving;
  o.confirm_days = 168;
  ProgressionResult r = Detect({{0, 2.0}}, o);
  EXPECT_EQ(r.options.rule, EdssRule::kMsprog);
  EXPECT_EQ(r.options.confirm_days, 168);
  const std::string text = DescribeProgressionOptions(o);
  EXPECT_THAT(text, HasSubstr("delta=edss:msprog"));
  EXPECT_THAT(text, HasSubstr("event=firstCDW"));
  EXPECT_THAT(text, HasSubstr("relapse-indep=0,0,90,30,90,30,baseline"));
  EXPECT_THAT(text, HasSubstr("confirm=168d"));
  EXPECT_THAT(text, HasSubstr("tolerance=-7d/+730.5d"));
  EXPECT_THAT(text, HasSubstr("baseline=roving"));
}

}  // namespace
}  // namespace cotrack
