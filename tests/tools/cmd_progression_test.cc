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
  EXPECT_FALSE(o.count_unconfirmed_last);
  EXPECT_TRUE(o.from_index_date);
  EXPECT_EQ(o.relapse_window_days, 30);
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
  EXPECT_TRUE(o.count_unconfirmed_last);
  EXPECT_FALSE(o.from_index_date);
  EXPECT_EQ(o.relapse_window_days, 0);
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

TEST(ProgressionParseTest, UsageErrorsNameTheFlagAndWhatWasExpected) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"P1", "P2"}, "expected at most one PATIENT"},
      {{"--measure", "ais"},
       "--measure: bad value \"ais\" (the confirmation rules are defined for edss only)"},
      {{"--rule", "bad"},
       "--rule: EDSS rule \"bad\" is unknown (expected threetier, twotier, msoutcomes or "
       "msprog)"},
      {{"--confirm", "0"}, "--confirm: bad value \"0\" (expected an integer from 1 to 36500)"},
      {{"--confirm", "3m"},
       "--confirm: bad value \"3m\" (expected weeks or days, e.g. 12w, 24w or 84d)"},
      {{"--confirm", "0w"},
       "--confirm: bad value \"0w\" (expected weeks or days, e.g. 12w, 24w or 84d)"},
      {{"--tolerance", "7"},
       "--tolerance: bad value \"7\" (expected BEFORE,AFTER in days, e.g. 7,730.5)"},
      {{"--tolerance", "a,1"}, "--tolerance BEFORE: bad value \"a\" (expected a number)"},
      {{"--tolerance", "1,b"}, "--tolerance AFTER: bad value \"b\" (expected a number)"},
      {{"--tolerance", "-1,5"},
       "tolerance: bad value -1d,5d (expected two non-negative day counts BEFORE,AFTER, e.g. "
       "7,730.5)"},
      {{"--baseline", "x"}, "--baseline: bad value \"x\" (expected fixed or roving)"},
      {{"--relapse-window", "x"},
       "--relapse-window: bad value \"x\" (expected an integer from 0 to 36500)"},
      {{"--event", "x"}, "--event: bad value \"x\" (expected worsening, improvement or all)"},
      // The order users have always seen: --measure, then --format, then the rule.
      {{"--rule", "bad", "--format", "x", "--measure", "ais"},
       "--measure: bad value \"ais\" (the confirmation rules are defined for edss only)"},
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
