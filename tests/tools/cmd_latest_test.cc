// `cotrack latest`'s parse step: words -> LatestRequest.
#include "cmd_latest.h"

#include "parse_test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::Eq;

absl::StatusOr<LatestRequest> Parse(const std::vector<std::string>& args) {
  return ParseAs("latest", args, ParseLatestRequest);
}

TEST(LatestParseTest, OnePatientEveryMeasureTheNewestValue) {
  absl::StatusOr<LatestRequest> r = Parse({"P1"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->patient, "P1");
  EXPECT_FALSE(r->measure.has_value());
  EXPECT_FALSE(r->as_of.has_value());
  EXPECT_EQ(r->n, 1);
  EXPECT_EQ(r->format, OutputFormat::kTable);
  EXPECT_FALSE(r->derived);
}

TEST(LatestParseTest, AMeasureAnAsOfDateAndN) {
  absl::StatusOr<LatestRequest> r =
      Parse({"P1", "hba1c", "--as-of", "2024-06-30", "-n3", "--format=csv", "--derived"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measure, "hba1c");
  EXPECT_EQ(FormatCivilTime(*r->as_of), "2024-06-30");
  EXPECT_EQ(r->n, 3);
  EXPECT_EQ(r->format, OutputFormat::kCsv);
  EXPECT_TRUE(r->derived);
  EXPECT_EQ(Parse({"P1", "-n", "1000000"})->n, 1000000);
}

TEST(LatestParseTest, UsageErrorsNameTheFlagAndWhatWasExpected) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "expected PATIENT [MEASURE]"},
      {{"P1", "edss", "x"}, "expected PATIENT [MEASURE]"},
      {{"P1", "-n", "0"}, "-n: bad value \"0\" (expected an integer from 1 to 1000000)"},
      {{"P1", "-n", "1000001"},
       "-n: bad value \"1000001\" (expected an integer from 1 to 1000000)"},
      {{"P1", "-n"}, "-n needs a value"},
      {{"P1", "--as-of", "June"}, "--as-of: bad value \"June\" (expected a date YYYY-MM-DD)"},
      {{"P1", "--format", "tsv"}, "--format: bad value \"tsv\" (expected table, csv or json)"},
      {{"P1", "--as-of", "June", "-n", "0"},
       "--as-of: bad value \"June\" (expected a date YYYY-MM-DD)"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument, Eq(message)))
        << ::testing::PrintToString(args);
  }
}

}  // namespace
}  // namespace cotrack::tools
