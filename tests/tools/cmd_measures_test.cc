// `cotrack measure add`'s parse step: words -> MeasureAddRequest.
#include "cmd_measures.h"

#include "cotrack/measure_options.h"
#include "parse_test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::Eq;

absl::StatusOr<MeasureAddRequest> Parse(std::vector<std::string> args) {
  return ParseAs("measure add", args, ParseMeasureAddRequest);
}

std::vector<std::string> Required(std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--code", "sdmt2", "--name", "SDMT two", "--unit",
                                   "score",  "--min", "0",      "--max",    "110"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(MeasureAddParseTest, TheRequiredFieldsAndTheDefaults) {
  absl::StatusOr<MeasureAddRequest> r = Parse(Required());
  ASSERT_TRUE(r.ok()) << r.status();
  const MeasureDefinition& m = r->measure;
  EXPECT_EQ(m.code, "sdmt2");
  EXPECT_EQ(m.name, "SDMT two");
  EXPECT_EQ(m.unit, "score");
  EXPECT_EQ(m.min, 0);
  EXPECT_EQ(m.max, 110);
  EXPECT_EQ(m.step, 0);
  EXPECT_EQ(m.change_threshold, 0);
  EXPECT_EQ(m.direction, Direction::kNone);
  EXPECT_FALSE(m.integer);
  EXPECT_EQ(m.description, "");
  EXPECT_TRUE(r->sync);
}

TEST(MeasureAddParseTest, EveryOptionalField) {
  absl::StatusOr<MeasureAddRequest> r =
      Parse(Required({"--step", "0.5", "--integer", "--direction", "higher-is-better",
                      "--threshold=4", "--description", "Smith 1982", "--no-sync"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measure.step, 0.5);
  EXPECT_TRUE(r->measure.integer);
  EXPECT_EQ(r->measure.direction, Direction::kHigherIsBetter);
  EXPECT_EQ(r->measure.change_threshold, 4);
  EXPECT_EQ(r->measure.description, "Smith 1982");
  EXPECT_FALSE(r->sync);
  EXPECT_EQ(Parse(Required({"--direction", "higher-is-worse"}))->measure.direction,
            Direction::kHigherIsWorse);
}

TEST(MeasureAddParseTest, AReasonForTheAuditLog) {
  absl::StatusOr<MeasureAddRequest> r = Parse(Required({"--reason", "protocol amendment 2"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->reason, "protocol amendment 2");
  EXPECT_EQ(Parse(Required())->reason, "");
  EXPECT_THAT(Parse(Required({"--reason", " "})),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("--reason")));
}

TEST(MeasureAddParseTest, ARangeOfOneValueIsFine) {
  absl::StatusOr<MeasureAddRequest> r =
      Parse({"--code", "x", "--name", "y", "--unit", "u", "--min", "1", "--max", "1"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measure.min, r->measure.max);
}

TEST(MeasureAddParseTest, ConversionsSynonymsAndLoincCodes) {
  absl::StatusOr<MeasureAddRequest> r =
      Parse({"--code", "hba1c_lab", "--name", "HbA1c (lab)", "--unit", "%", "--min", "2", "--max",
             "20", "--convert", "mmol/mol=0.0915*x+2.15, mmol/L=x*2-1", "--unit-synonym",
             "percent,pct", "--loinc", "4548-4,17856-6"});
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<UnitConversion>& units = r->measure.units;
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[0].unit, "mmol/mol");
  EXPECT_EQ(units[0].factor, 0.0915);
  EXPECT_EQ(units[0].offset, 2.15);
  EXPECT_EQ(units[1].unit, "mmol/L");
  EXPECT_EQ(units[1].factor, 2);
  EXPECT_EQ(units[1].offset, -1);
  EXPECT_EQ(units[2].unit, "percent");
  EXPECT_EQ(units[2].factor, 1);
  EXPECT_EQ(units[2].offset, 0);
  EXPECT_EQ(units[3].unit, "pct");
  EXPECT_EQ(r->measure.loinc, (std::vector<std::string>{"4548-4", "17856-6"}));
  // x/DIVISOR, and a bare x.
  ASSERT_OK_AND_ASSIGN(UnitConversion glucose, ParseUnitConversion("mg/dL = x / 18"));
  EXPECT_EQ(glucose.unit, "mg/dL");
  EXPECT_DOUBLE_EQ(glucose.factor, 1.0 / 18);
  ASSERT_OK_AND_ASSIGN(UnitConversion same, ParseUnitConversion("u=x"));
  EXPECT_EQ(same.factor, 1);
  EXPECT_EQ(FormatUnitConversion(units[0]), "mmol/mol=0.0915*x+2.15");
  EXPECT_EQ(FormatUnitConversion(units[1]), "mmol/L=2*x-1");
}

TEST(MeasureAddParseTest, BadConversionsAndCodesSayTheExpectedForm) {
  const std::string form =
      "expected UNIT=FACTOR*x+OFFSET, the canonical value of a value x given in UNIT, e.g. "
      "mmol/mol=0.0915*x+2.15 or mg/dL=x/18)";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {Required({"--convert", "mmol/mol"}), "--convert: bad value \"mmol/mol\" (no \"=\"; " + form},
      {Required({"--convert", "mmol/mol=0.0915*y"}),
       "--convert: bad value \"mmol/mol=0.0915*y\" (the expression must use x once; " + form},
      {Required({"--convert", "a=2x"}),
       "--convert: bad value \"a=2x\" (expected a number and \"*\" before x; " + form},
      {Required({"--convert", "a=x/0"}),
       "--convert: bad value \"a=x/0\" (expected a non-zero number after \"/\"; " + form},
      {Required({"--convert", "a=0*x"}),
       "--convert: bad value \"a=0*x\" (the factor must not be 0; " + form},
      {Required({"--convert", "a=x+b"}),
       "--convert: bad value \"a=x+b\" (the offset is not a number; " + form},
      {Required({"--unit-synonym", "score"}),
       "unit \"score\" is the canonical unit (--unit) itself; --convert and --unit-synonym name "
       "the other units values may come in"},
      {Required({"--loinc", "LOINC:4548-4"}),
       "--loinc: bad value \"LOINC:4548-4\" (expected a LOINC code such as 4548-4)"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument, Eq(message)))
        << ::testing::PrintToString(args);
  }
}

TEST(MeasureAddParseTest, UsageErrorsNameTheFlagAndWhatWasExpected) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "--code is required"},
      {{"--code", "x", "--unit", "u"}, "--name is required"},
      {{"--code", "x"}, "--name is required"},
      {{"--code", "x", "--name", "y", "--unit", "u", "--max", "1"}, "--min is required"},
      {{"extra"}, "unexpected argument \"extra\" (every field is a flag, e.g. --code CODE)"},
      {Required({"--step", "half"}), "--step: bad value \"half\" (expected a number)"},
      {{"--code", "x", "--name", "y", "--unit", "u", "--min", "5", "--max", "1"},
       "--min 5 is above --max 1"},
      {Required({"--step", "-1"}), "--step: must not be negative"},
      {Required({"--threshold", "-0.5"}), "--threshold: must not be negative"},
      {Required({"--direction", "up"}),
       "--direction: bad value \"up\" (expected higher-is-worse, higher-is-better or none)"},
      {Required({"--integer=yes"}), "--integer takes no value (got \"yes\")"},
      // Numbers are read in flag order: --min before --step.
      {{"--code", "x", "--name", "y", "--unit", "u", "--min", "a", "--max", "1", "--step", "b"},
       "--min: bad value \"a\" (expected a number)"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument, Eq(message)))
        << ::testing::PrintToString(args);
  }
}

}  // namespace
}  // namespace cotrack::tools
