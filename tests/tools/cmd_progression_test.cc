// `cotrack progression`'s parse step: words -> ProgressionRequest.
#include "cmd_progression.h"

#include <cmath>

#include "cotrack/change.h"
#include "parse_test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::Eq;

absl::StatusOr<ProgressionRequest> Parse(const std::vector<std::string>& args) {
  return ParseAs("progression", args, ParseProgressionRequest);
}

TEST(ProgressionParseTest, DefaultsAreMsprogsAndEveryPatient) {
  absl::StatusOr<ProgressionRequest> r = Parse({});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->patient.has_value());
  EXPECT_EQ(r->measure, "edss");
  EXPECT_EQ(r->format, OutputFormat::kTable);
  const ProgressionOptions& o = r->options;
  EXPECT_EQ(o.rule, EdssRule::kThreeTier);
  EXPECT_EQ(o.confirm_days, 84);
  EXPECT_EQ(o.tolerance_before_days, 7);
  EXPECT_EQ(o.tolerance_after_days, 730.5);
  EXPECT_EQ(o.baseline, BaselineScheme::kFixed);
  EXPECT_TRUE(o.require_intermediate);
  EXPECT_EQ(o.impute_last_visit, 0);
  EXPECT_TRUE(o.from_index_date);
  EXPECT_EQ(o.relapse_to_bl.last, 30);
  EXPECT_EQ(o.relapse_to_conf.last, 30);
  EXPECT_EQ(o.relapse_to_event.last, 0);
  EXPECT_EQ(o.relapse_assoc.last, 90);
  EXPECT_EQ(o.event, ProgressionEventSelection::kFirstCdw);
  EXPECT_FALSE(o.raw_pira);
  EXPECT_EQ(o.proceed_from, ProceedFrom::kFirstConf);
  EXPECT_EQ(o.sub_threshold_rebl, SubThresholdRebaseline::kNone);
  EXPECT_EQ(o.skip_local_extrema, SkipLocalExtrema::kNone);
  EXPECT_EQ(o.require_sust_days, 0);
  EXPECT_EQ(*o.relapse_indep.e0, 90);
  EXPECT_EQ(*o.relapse_indep.c1, 30);
  EXPECT_FALSE(r->only.has_value());
  EXPECT_FALSE(r->first_only);
  EXPECT_FALSE(r->relapses_file.has_value());
  EXPECT_EQ(r->relapse_measure, "");
}

TEST(ProgressionParseTest, EveryOption) {
  absl::StatusOr<ProgressionRequest> r = Parse({"P1",
                                                "--rule",
                                                "msprog",
                                                "--confirm",
                                                "24w",
                                                "--tolerance",
                                                "3,inf",
                                                "--baseline",
                                                "roving",
                                                "--no-intermediate",
                                                "--unconfirmed-last",
                                                "--from-first-visit",
                                                "--relapse-window",
                                                "0",
                                                "--event",
                                                "improvement",
                                                "--first",
                                                "--relapses",
                                                "r.csv",
                                                "--relapse-measure",
                                                "none",
                                                "--format",
                                                "json",
                                                "--measure",
                                                "edss"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->patient, "P1");
  EXPECT_EQ(r->format, OutputFormat::kJson);
  const ProgressionOptions& o = r->options;
  EXPECT_EQ(o.rule, EdssRule::kMsprog);
  EXPECT_EQ(o.confirm_days, 168);
  EXPECT_EQ(o.tolerance_before_days, 3);
  EXPECT_TRUE(std::isinf(o.tolerance_after_days));
  EXPECT_EQ(o.baseline, BaselineScheme::kRoving);
  EXPECT_FALSE(o.require_intermediate);
  EXPECT_EQ(o.impute_last_visit, 1);
  EXPECT_FALSE(o.from_index_date);
  EXPECT_EQ(o.relapse_to_bl.last, 0);
  EXPECT_EQ(o.relapse_to_conf.last, 0);
  EXPECT_EQ(o.event, ProgressionEventSelection::kMultiple);
  EXPECT_EQ(r->only, ProgressionEventKind::kImprovement);
  EXPECT_TRUE(r->first_only);
  EXPECT_EQ(r->relapses_file, "r.csv");
  EXPECT_EQ(r->relapse_measure, "none");
}

TEST(ProgressionParseTest, ConfirmTakesWeeksDaysOrABareNumberOfDays) {
  EXPECT_EQ(Parse({"--confirm", "12w"})->options.confirm_days, 84);
  EXPECT_EQ(Parse({"--confirm", "90d"})->options.confirm_days, 90);
  EXPECT_EQ(Parse({"--confirm", "90"})->options.confirm_days, 90);
  EXPECT_EQ(Parse({"--event", "worsening"})->only, ProgressionEventKind::kWorsening);
  EXPECT_FALSE(Parse({"--event", "all"})->only.has_value());
}

TEST(ProgressionParseTest, MsprogOptionsByMsprogsNames) {
  absl::StatusOr<ProgressionRequest> r = Parse({"--event",
                                                "firstPIRA",
                                                "--raw-pira",
                                                "--baseline",
                                                "roving_wors",
                                                "--proceed-from",
                                                "event",
                                                "--sub-threshold-rebl",
                                                "worsening",
                                                "--relapse-rebl",
                                                "--bl-geq",
                                                "--skip-local-extrema",
                                                "strict",
                                                "--confirm",
                                                "12w,24w",
                                                "--tolerance",
                                                "30",
                                                "--require-sust-days",
                                                "inf",
                                                "--relapse-to-bl",
                                                "30,15",
                                                "--relapse-to-event",
                                                "10",
                                                "--relapse-to-conf",
                                                "60,5",
                                                "--relapse-assoc",
                                                "90,30",
                                                "--relapse-indep",
                                                "0,null,null,30,30,30,last_delta",
                                                "--impute-last-visit",
                                                "730",
                                                "--counts"});
  ASSERT_TRUE(r.ok()) << r.status();
  const ProgressionOptions& o = r->options;
  EXPECT_EQ(o.event, ProgressionEventSelection::kFirstPira);
  EXPECT_TRUE(o.raw_pira);
  EXPECT_EQ(o.baseline, BaselineScheme::kRovingWors);
  EXPECT_EQ(o.proceed_from, ProceedFrom::kEvent);
  EXPECT_EQ(o.sub_threshold_rebl, SubThresholdRebaseline::kWorsening);
  EXPECT_TRUE(o.relapse_rebl);
  EXPECT_TRUE(o.bl_geq);
  EXPECT_EQ(o.skip_local_extrema, SkipLocalExtrema::kStrict);
  EXPECT_THAT(ConfirmPeriods(o), ::testing::ElementsAre(84, 168));
  EXPECT_EQ(o.tolerance_before_days, 30);
  EXPECT_EQ(o.tolerance_after_days, 30);
  EXPECT_TRUE(std::isinf(o.require_sust_days));
  EXPECT_EQ(o.relapse_to_bl.next, 15);
  EXPECT_EQ(o.relapse_to_event.last, 10);
  EXPECT_EQ(o.relapse_to_conf.last, 60);
  EXPECT_EQ(o.relapse_assoc.next, 30);
  EXPECT_FALSE(o.relapse_indep.p1.has_value());
  EXPECT_EQ(*o.relapse_indep.e1, 30);
  EXPECT_EQ(o.relapse_indep.preceding, RelapseIndependence::Preceding::kLastDelta);
  EXPECT_EQ(o.impute_last_visit, 730);
  EXPECT_TRUE(r->counts);
}

TEST(ProgressionParseTest, MeasurePicksMsprogsOutcomeAndUserMeasuresTakeADelta) {
  absl::StatusOr<ProgressionRequest> sdmt = Parse({"--measure", "sdmt"});
  ASSERT_TRUE(sdmt.ok()) << sdmt.status();
  EXPECT_EQ(sdmt->options.outcome, "sdmt");
  EXPECT_EQ(sdmt->options.step.kind, StepRule::Kind::kRelative);
  EXPECT_EQ(sdmt->options.step.amount, 20);
  EXPECT_EQ(sdmt->options.step.cap, 4);
  EXPECT_FALSE(sdmt->options.step.higher_is_worse);
  absl::StatusOr<ProgressionRequest> t25 = Parse({"--measure", "t25fw"});
  ASSERT_TRUE(t25.ok()) << t25.status();
  EXPECT_TRUE(t25->options.step.higher_is_worse);
  EXPECT_TRUE(std::isinf(t25->options.step.cap));
  absl::StatusOr<ProgressionRequest> user =
      Parse({"--measure", "ais", "--delta", "absolute:1", "--worsening", "increase"});
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->options.outcome, "custom");
  EXPECT_EQ(user->options.step.kind, StepRule::Kind::kAbsolute);
  EXPECT_EQ(user->options.step.amount, 1);
}

TEST(ProgressionParseTest, UsageErrorsNameTheFlagAndWhatWasExpected) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"P1", "P2"}, "expected at most one PATIENT"},
      {{"--measure", "ais"},
       "--measure ais: the step rule of a user measure must be given: --delta absolute:N or "
       "relative:P (and --worsening increase|decrease); built-in rules exist for edss, sdmt, "
       "nhpt, t25fw"},
      {{"--rule", "bad"},
       "--rule: EDSS rule \"bad\" is unknown (expected threetier, twotier, msoutcomes or "
       "msprog)"},
      {{"--confirm", "0"},
       "--confirm: bad value \"0\" (expected weeks or days, e.g. 12w, 24w or 84d, or several: "
       "12w,24w)"},
      {{"--confirm", "3m"},
       "--confirm: bad value \"3m\" (expected weeks or days, e.g. 12w, 24w or 84d, or several: "
       "12w,24w)"},
      {{"--tolerance", "7,8,9"},
       "--tolerance: bad value \"7,8,9\" (expected BEFORE,AFTER in days, e.g. 7,730.5; AFTER may "
       "be inf)"},
      {{"--tolerance", "a,1"},
       "--tolerance: bad value \"a,1\" (expected BEFORE,AFTER in days, e.g. 7,730.5; AFTER may "
       "be inf)"},
      {{"--tolerance", "100,5"},
       "tolerance before (100d) must be shorter than the confirmation interval (84 days)"},
      {{"--baseline", "x"},
       "--baseline: bad value \"x\" (expected fixed, roving, roving_impr or roving_wors)"},
      {{"--relapse-window", "x"}, "--relapse-window: bad value \"x\" (expected days >= 0)"},
      {{"--event", "x"},
       "--event: bad value \"x\" (expected firstCDW, firstCDI, multiple, firstPIRA, firstRAW or "
       "first; the older worsening, improvement and all are multiple with a filter)"},
      {{"--impute-last-visit", "0.5"},
       "--impute-last-visit: bad value 0.5 (expected 0, 1, or a number of days > 1; msprog's "
       "random imputation with a probability between 0 and 1 is not supported because results "
       "must be reproducible)"},
      {{"--relapse-indep", "0,0,90"},
       "--relapse-indep: bad value \"0,0,90\" (expected p0,p1,e0,e1,c0,c1 in days (null for an "
       "open bound), optionally followed by baseline, last or last_delta, e.g. 0,0,90,30,90,30)"},
      {{"--worsening", "decrease"},
       "--worsening: the direction of edss is fixed (as in msprog); use it with --outcome custom "
       "or a user measure"},
      // The order users have always seen: --measure, then --format, then the rule.
      {{"--rule", "bad", "--format", "x", "--measure", "ais"},
       "--measure ais: the step rule of a user measure must be given: --delta absolute:N or "
       "relative:P (and --worsening increase|decrease); built-in rules exist for edss, sdmt, "
       "nhpt, t25fw"},
      {{"--rule", "bad", "--format", "x"},
       "--format: bad value \"x\" (expected table, csv or json)"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument, Eq(message)))
        << ::testing::PrintToString(args);
  }
}

}  // namespace
}  // namespace cotrack::tools
