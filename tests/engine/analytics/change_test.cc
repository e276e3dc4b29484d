// Change from baseline and improved / stable / worsened, including the EDSS
// step rules by baseline as DESIGN.md tabulates them.
#include "cotrack/change.h"

#include "analytics_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::EdssDefinition;
using ::cotrack::testing::Hba1cDefinition;
using ::cotrack::testing::Il4Definition;
using ::cotrack::testing::StatusIs;
using ::testing::HasSubstr;

TEST(EdssRuleTest, WorseningThresholdsMatchDesignTable) {
  struct Row {
    EdssRule rule;
    double at0, at1, at5, at55, at6, at75;
  } rows[] = {
      {EdssRule::kThreeTier, 1.5, 1.0, 1.0, 1.0, 0.5, 0.5},
      {EdssRule::kTwoTier, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5},
      {EdssRule::kMsOutcomes, 1.5, 1.0, 1.0, 1.0, 0.5, 0.5},
      {EdssRule::kMsprog, 1.5, 1.0, 1.0, 0.5, 0.5, 0.5},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(EdssRuleName(r.rule));
    EXPECT_EQ(EdssWorseningThreshold(r.rule, 0), r.at0);
    EXPECT_EQ(EdssWorseningThreshold(r.rule, 1.0), r.at1);
    EXPECT_EQ(EdssWorseningThreshold(r.rule, 5.0), r.at5);
    EXPECT_EQ(EdssWorseningThreshold(r.rule, 5.5), r.at55);
    EXPECT_EQ(EdssWorseningThreshold(r.rule, 6.0), r.at6);
    EXPECT_EQ(EdssWorseningThreshold(r.rule, 7.5), r.at75);
  }
}

TEST(EdssRuleTest, ImprovementThresholds) {
  // MSoutcomes: -1.5 from <= 1.5, -1.0 from <= 6.0, -0.5 above.
  EXPECT_EQ(EdssImprovementThreshold(EdssRule::kThreeTier, 1.5), 1.5);
  EXPECT_EQ(EdssImprovementThreshold(EdssRule::kThreeTier, 2.0), 1.0);
  EXPECT_EQ(EdssImprovementThreshold(EdssRule::kThreeTier, 6.0), 1.0);
  EXPECT_EQ(EdssImprovementThreshold(EdssRule::kThreeTier, 6.5), 0.5);
  // msprog is symmetric: its delta for 5.5 is 0.5.
  EXPECT_EQ(EdssImprovementThreshold(EdssRule::kMsprog, 5.5), 0.5);
  EXPECT_EQ(EdssImprovementThreshold(EdssRule::kMsprog, 1.5), 1.0);
}

TEST(EdssRuleTest, ParseNamesRoundTrip) {
  for (EdssRule r :
       {EdssRule::kThreeTier, EdssRule::kTwoTier, EdssRule::kMsOutcomes, EdssRule::kMsprog}) {
    ASSERT_OK_AND_ASSIGN(EdssRule parsed, ParseEdssRule(EdssRuleName(r)));
    EXPECT_EQ(parsed, r);
  }
  EXPECT_THAT(ParseEdssRule("lublin"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected threetier")));
}

// The built-in MS outcomes change by msprog's step rules, as `cotrack
// progression --measure CODE` counts them: 20 % of the baseline, for the
// SDMT at most 4 points (lower is worse); NHPT and T25FW higher is worse.
TEST(ChangeTest, MsOutcomesUseMsprogRelativeSteps) {
  MeasureDefinition sdmt;
  sdmt.code = "sdmt";
  sdmt.builtin = true;
  sdmt.direction = Direction::kHigherIsBetter;
  sdmt.change_threshold = 4;
  // Baseline 15: 20 % is 3 points.
  EXPECT_EQ(ComputeChange(sdmt, 15, 12).classification, ChangeClass::kWorsened);
  EXPECT_EQ(ComputeChange(sdmt, 15, 13).classification, ChangeClass::kStable);
  // Baseline 50: 20 % is 10, capped at 4.
  EXPECT_EQ(ComputeChange(sdmt, 50, 46).classification, ChangeClass::kWorsened);
  EXPECT_EQ(ComputeChange(sdmt, 50, 54).classification, ChangeClass::kImproved);
  EXPECT_EQ(ComputeChange(sdmt, 50, 47).classification, ChangeClass::kStable);
  MeasureDefinition walk;
  walk.code = "t25fw";
  walk.builtin = true;
  walk.direction = Direction::kHigherIsWorse;
  EXPECT_EQ(ComputeChange(walk, 10, 12).classification, ChangeClass::kWorsened);
  EXPECT_EQ(ComputeChange(walk, 10, 11.9).classification, ChangeClass::kStable);
  EXPECT_EQ(ComputeChange(walk, 10, 8).classification, ChangeClass::kImproved);
  // A user measure of that code keeps its own threshold.
  walk.builtin = false;
  walk.change_threshold = 5;
  EXPECT_EQ(ComputeChange(walk, 10, 12).classification, ChangeClass::kStable);
}

TEST(ChangeTest, EdssStepRuleByBaseline) {
  const MeasureDefinition edss = EdssDefinition();
  // From 0 a rise of 1.0 is not enough under threetier (needs 1.5)...
  EXPECT_EQ(ComputeChange(edss, 0, 1.0).classification, ChangeClass::kStable);
  EXPECT_EQ(ComputeChange(edss, 0, 1.5).classification, ChangeClass::kWorsened);
  // ...but it is under twotier.
  ChangeOptions twotier;
  twotier.edss_rule = EdssRule::kTwoTier;
  EXPECT_EQ(ComputeChange(edss, 0, 1.0, twotier).classification, ChangeClass::kWorsened);
  // From 6.0 half a step is worsening.
  EXPECT_EQ(ComputeChange(edss, 6.0, 6.5).classification, ChangeClass::kWorsened);
  EXPECT_EQ(ComputeChange(edss, 5.5, 6.0).classification, ChangeClass::kStable);
  ChangeOptions msprog;
  msprog.edss_rule = EdssRule::kMsprog;
  Change c = ComputeChange(edss, 5.5, 6.0, msprog);
  EXPECT_EQ(c.classification, ChangeClass::kWorsened);
  EXPECT_EQ(c.rule, "edss:msprog");
  EXPECT_EQ(c.worsening_threshold, 0.5);
  // Improvement: 4.0 -> 3.0 is a 1.0 fall from <= 6.0.
  EXPECT_EQ(ComputeChange(edss, 4.0, 3.0).classification, ChangeClass::kImproved);
  EXPECT_EQ(ComputeChange(edss, 4.0, 3.5).classification, ChangeClass::kStable);
}

TEST(ChangeTest, AbsoluteAndPercent) {
  Change c = ComputeChange(Hba1cDefinition(), 8.0, 7.0);
  EXPECT_DOUBLE_EQ(c.absolute, -1.0);
  ASSERT_TRUE(c.percent.has_value());
  EXPECT_DOUBLE_EQ(*c.percent, -12.5);
  EXPECT_EQ(c.classification, ChangeClass::kImproved);
  // Percent change from zero is undefined, not infinite.
  Change z = ComputeChange(EdssDefinition(), 0, 1.5);
  EXPECT_FALSE(z.percent.has_value());
}

TEST(ChangeTest, MeasureThresholdAndDirectionWithFloatingPointSlack) {
  const MeasureDefinition a1c = Hba1cDefinition();  // higher is worse, 0.5
  // 6.8 - 6.3 is 0.4999999999999991 in doubles; it is a change of 0.5.
  EXPECT_EQ(ComputeChange(a1c, 6.8, 6.3).classification, ChangeClass::kImproved);
  EXPECT_EQ(ComputeChange(a1c, 6.3, 6.8).classification, ChangeClass::kWorsened);
  EXPECT_EQ(ComputeChange(a1c, 7.0, 7.4).classification, ChangeClass::kStable);
  MeasureDefinition better = a1c;
  better.direction = Direction::kHigherIsBetter;
  EXPECT_EQ(ComputeChange(better, 6.3, 6.8).classification, ChangeClass::kImproved);
}

TEST(ChangeTest, NoDirectionOrThresholdIsUnclassified) {
  Change c = ComputeChange(Il4Definition(), 1.0, 5.0);
  EXPECT_EQ(c.classification, ChangeClass::kUnclassified);
  EXPECT_THAT(c.rule, HasSubstr("no direction"));
  MeasureDefinition no_threshold = Hba1cDefinition();
  no_threshold.change_threshold = 0;
  EXPECT_EQ(ComputeChange(no_threshold, 6.0, 9.0).classification, ChangeClass::kUnclassified);
  EXPECT_DOUBLE_EQ(ComputeChange(no_threshold, 6.0, 9.0).absolute, 3.0);
}

}  // namespace
}  // namespace cotrack
