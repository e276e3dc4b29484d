// `cotrack trajectory`'s parse step: words -> TrajectoryRequest.
#include "cmd_trajectory.h"

#include "parse_test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::Eq;

absl::StatusOr<TrajectoryRequest> Parse(const std::vector<std::string>& args) {
  return ParseAs("trajectory", args, ParseTrajectoryRequest);
}

TEST(TrajectoryParseTest, DefaultsToTheWholeSeriesAsATable) {
  absl::StatusOr<TrajectoryRequest> r = Parse({"P1", "edss"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->patient, "P1");
  EXPECT_EQ(r->measure, "edss");
  EXPECT_FALSE(r->range.from.has_value());
  EXPECT_FALSE(r->range.to.has_value());
  EXPECT_EQ(r->format, OutputFormat::kTable);
  EXPECT_FALSE(r->derived);
}

TEST(TrajectoryParseTest, TakesARangeAFormatAndDerived) {
  absl::StatusOr<TrajectoryRequest> r =
      Parse({"--from", "2024-01-01", "P1", "--to=2024-06-30T12:00", "edss", "--format", "json",
             "--derived"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(FormatCivilTime(*r->range.from), "2024-01-01");
  EXPECT_EQ(FormatCivilTime(*r->range.to), "2024-06-30T12:00:00");
  EXPECT_EQ(r->format, OutputFormat::kJson);
  EXPECT_TRUE(r->derived);
}

TEST(TrajectoryParseTest, AOneDayRangeIsFine) {
  EXPECT_TRUE(Parse({"P1", "edss", "--from", "2024-01-01", "--to", "2024-01-01"}).ok());
}

TEST(TrajectoryParseTest, UsageErrorsNameTheFlagAndWhatWasExpected) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"P1"}, "expected PATIENT MEASURE"},
      {{"P1", "edss", "x"}, "expected PATIENT MEASURE"},
      {{"P1", "edss", "--form", "2024"}, "unknown flag \"--form\" (did you mean --from?)"},
      {{"P1", "edss", "--format", "xml"},
       "--format: bad value \"xml\" (expected table, csv or json)"},
      {{"P1", "edss", "--from", "2024-13-01"},
       "--from: bad value \"2024-13-01\" (expected a date YYYY-MM-DD)"},
      {{"P1", "edss", "--to", "soon"}, "--to: bad value \"soon\" (expected a date YYYY-MM-DD)"},
      {{"P1", "edss", "--from", "2024-02-01", "--to", "2024-01-31"}, "--from is after --to"},
      // The format is checked before the dates, as before.
      {{"P1", "edss", "--from", "x", "--format", "xml"},
       "--format: bad value \"xml\" (expected table, csv or json)"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument, Eq(message)))
        << ::testing::PrintToString(args);
  }
}

}  // namespace
}  // namespace cotrack::tools
