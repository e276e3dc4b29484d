// Valid and invalid values for every built-in measure, checked against the
// compiled-in catalog (so the JSON rules and the validator are tested
// together), plus the generic rules on hand-made definitions.
#include "catalog/validation.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::IsOk;
using ::cotrack::testing::StatusIs;
using ::testing::AllOf;
using ::testing::DoubleNear;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

const MeasureDefinition& Builtin(const std::string& code) {
  for (const CatalogEntry& e : BuiltinMeasures()) {
    if (e.def.code == code) return e.def;
  }
  static const MeasureDefinition* const missing = new MeasureDefinition();
  ADD_FAILURE() << "built-in measure " << code << " is missing";
  return *missing;
}

std::vector<double> Repeat(double v, int n) { return std::vector<double>(n, v); }

struct Case {
  std::string name;  // for the failure message
  std::string code;
  double value = 0;
  std::string unit;
  Comparator comparator = Comparator::kNone;
  std::vector<double> items;
  bool from_items = false;
  // Expected: OK with `canonical`, or an error containing every piece.
  bool ok = true;
  double canonical = 0;
  std::vector<std::string> pieces;
};

ObservationInput Input(const Case& c) {
  ObservationInput in;
  in.patient = "p1";
  in.measure = c.code;
  in.value = c.value;
  in.unit = c.unit;
  in.comparator = c.comparator;
  in.items = c.items;
  in.value_from_items = c.from_items;
  return in;
}

Case Ok(std::string name, std::string code, double value, std::string unit = "",
        double canonical = kNaN) {
  Case c;
  c.name = std::move(name);
  c.code = std::move(code);
  c.value = value;
  c.unit = std::move(unit);
  c.canonical = std::isnan(canonical) ? value : canonical;
  return c;
}

Case Bad(std::string name, std::string code, double value, std::vector<std::string> pieces,
         std::string unit = "") {
  Case c;
  c.name = std::move(name);
  c.code = std::move(code);
  c.value = value;
  c.unit = std::move(unit);
  c.ok = false;
  c.pieces = std::move(pieces);
  return c;
}

Case WithItems(Case c, std::vector<double> items, bool from_items = false) {
  c.items = std::move(items);
  c.from_items = from_items;
  return c;
}

Case Censored(Case c, Comparator comparator) {
  c.comparator = comparator;
  return c;
}

const char kEdssDomain[] = "(expected an EDSS score: 0 or 1.0 to 10 in steps of 0.5)";

std::vector<Case> Cases() {
  std::vector<double> ais_items = {1, 2, 0, 3, 1, 0, 2, 1};  // sum 10
  std::vector<double> fis_items = Repeat(2, 40);             // sum 80
  std::vector<double> mfis_items = Repeat(3, 21);            // sum 63
  std::vector<double> edss_fs = {1, 2, 3, 1, 2, 0, 1, 4};
  std::vector<double> ais_bad_item = ais_items;
  ais_bad_item[2] = 4;  // items[3]
  std::vector<double> ais_half_item = ais_items;
  ais_half_item[0] = 1.5;
  std::vector<double> ais_unanswered = ais_items;
  ais_unanswered[4] = kNaN;  // answered sum 9, item 5 may add 0-3
  std::vector<double> fis_too_high = fis_items;
  fis_too_high[39] = 5;
  std::vector<double> edss_bad_fs = edss_fs;
  edss_bad_fs[7] = 17;  // ambulation 0-16

  return {
      // EDSS: 0, 1.0, 1.5 ... 9.5, 10; 0.5 does not exist.
      Ok("edss 0", "edss", 0),
      Ok("edss 1.0", "edss", 1.0),
      Ok("edss 1.5", "edss", 1.5),
      Ok("edss 9.5", "edss", 9.5),
      Ok("edss 10", "edss", 10),
      Ok("edss 1.5 as 0.1*15", "edss", 0.1 * 15),
      Ok("edss {score}", "edss", 3.5, "{score}"),
      Bad("edss 0.5", "edss", 0.5, {"field \"value\": bad value \"0.5\" ", kEdssDomain}),
      Bad("edss 7.3", "edss", 7.3, {"bad value \"7.3\"", kEdssDomain}),
      Bad("edss -1", "edss", -1, {"bad value \"-1\"", kEdssDomain}),
      Bad("edss 10.5", "edss", 10.5, {"bad value \"10.5\"", kEdssDomain}),
      Bad("edss NaN", "edss", kNaN, {"bad value \"nan\"", "(expected a finite number)"}),
      Bad("edss inf", "edss", kInf, {"bad value \"inf\"", "(expected a finite number)"}),
      Bad("edss unit", "edss", 3, {"field \"unit\": bad value \"points\"", "score"}, "points"),
      Censored(Bad("edss censored", "edss", 3, {"bad value \"<3\"", "does not accept censored"}),
               Comparator::kLess),
      WithItems(Ok("edss with functional systems", "edss", 4.0), edss_fs),
      WithItems(
          Bad("edss ambulation 17", "edss", 6.0,
              {"field \"items[8]\": bad value \"17\"", "the ambulation score", "from 0 to 16"}),
          edss_bad_fs),
      WithItems(
          Bad("edss 7 functional systems", "edss", 4.0,
              {"field \"items\": bad value \"7 items\"", "8 item responses", "visual, brainstem"}),
          {1, 1, 1, 1, 1, 1, 1}),
      WithItems(
          Bad("edss not computable from items", "edss", 0, {"field \"value\"", "do not add up"}),
          edss_fs, /*from_items=*/true),

      // AIS: 8 items 0-3, total 0-24 = item sum.
      Ok("ais 0", "ais", 0),
      Ok("ais 24", "ais", 24),
      Bad("ais 25", "ais", 25, {"bad value \"25\"", "a whole-number AIS score from 0 to 24"}),
      Bad("ais 2.5", "ais", 2.5, {"bad value \"2.5\"", "whole-number AIS score"}),
      Bad("ais -1", "ais", -1, {"bad value \"-1\"", "from 0 to 24"}),
      WithItems(Ok("ais items summing", "ais", 10), ais_items),
      WithItems(Ok("ais total from items", "ais", 0, "", 10), ais_items, /*from_items=*/true),
      WithItems(Bad("ais items not summing", "ais", 12,
                    {"field \"value\": bad value \"12\"", "(expected 10, the sum of the 8 items"}),
                ais_items),
      WithItems(Bad("ais item 4", "ais", 11,
                    {"field \"items[3]\": bad value \"4\"", "an item score", "from 0 to 3"}),
                ais_bad_item),
      WithItems(Bad("ais item 1.5", "ais", 10,
                    {"field \"items[1]\": bad value \"1.5\"", "a whole number from 0 to 3"}),
                ais_half_item),
      WithItems(Bad("ais 9 items", "ais", 10, {"field \"items\": bad value \"9 items\"", "8 item"}),
                {1, 1, 1, 1, 1, 1, 1, 1, 2}),
      WithItems(Ok("ais unanswered item, total in reach", "ais", 11), ais_unanswered),
      WithItems(Bad("ais unanswered item, total out of reach", "ais", 13,
                    {"bad value \"13\"", "a total from 9 to 12"}),
                ais_unanswered),
      WithItems(Bad("ais unanswered item, total computed", "ais", 0,
                    {"field \"items[5]\": bad value \"\"", "every item must be answered"}),
                ais_unanswered, /*from_items=*/true),
      WithItems(Bad("ais total from items, unknown unit", "ais", 0,
                    {"field \"unit\": bad value \"mmol/mol\""}, "mmol/mol"),
                ais_items, /*from_items=*/true),
      WithItems(Bad("ais no items, total computed", "ais", 0, {"field \"value\""}), {},
                /*from_items=*/true),

      // FIS: 40 items 0-4, total 0-160.
      Ok("fis 160", "fis", 160),
      Bad("fis 161", "fis", 161, {"bad value \"161\"", "a whole-number FIS score from 0 to 160"}),
      WithItems(Ok("fis 40 items", "fis", 80), fis_items),
      WithItems(Ok("fis total from 40 items", "fis", 0, "", 80), fis_items, /*from_items=*/true),
      WithItems(Bad("fis 40 items not summing", "fis", 81, {"bad value \"81\"", "(expected 80"}),
                fis_items),
      WithItems(Bad("fis item 40 = 5", "fis", 83, {"field \"items[40]\": bad value \"5\""}),
                fis_too_high),
      WithItems(Bad("fis 21 items", "fis", 63, {"bad value \"21 items\"", "40 item responses"}),
                mfis_items),

      // MFIS: 21 items 0-4, total 0-84.
      Ok("mfis 84", "mfis", 84),
      Bad("mfis 85", "mfis", 85, {"bad value \"85\"", "from 0 to 84"}),
      WithItems(Ok("mfis 21 items", "mfis", 63), mfis_items),
      WithItems(Ok("mfis total from 21 items", "mfis", 0, "", 63), mfis_items,
                /*from_items=*/true),
      WithItems(Bad("mfis 40 items", "mfis", 80, {"bad value \"40 items\"", "21 item responses"}),
                fis_items),

      // HbA1c: % (NGSP), mmol/mol (IFCC) converted; 2-25 %.
      Ok("hba1c 6.5 %", "hba1c", 6.5, "%"),
      Ok("hba1c 6.5 canonical", "hba1c", 6.5),
      Ok("hba1c 48 mmol/mol", "hba1c", 48, "mmol/mol", 0.09148 * 48 + 2.152),
      Ok("hba1c 48 MMOL/MOL", "hba1c", 48, "MMOL/MOL", 0.09148 * 48 + 2.152),
      Ok("hba1c 2 %", "hba1c", 2),
      Ok("hba1c 25 %", "hba1c", 25),
      Bad("hba1c 0", "hba1c", 0, {"bad value \"0\"", "a value from 2 to 25 %"}),
      Bad("hba1c 30 %", "hba1c", 30, {"bad value \"30 %\"", "a value from 2 to 25 %"}, "%"),
      Bad("hba1c -5", "hba1c", -5, {"bad value \"-5\"", "from 2 to 25 %"}),
      // In range as a number, out of range once converted: both values shown.
      Bad("hba1c 300 mmol/mol", "hba1c", 300,
          {"bad value \"300 mmol/mol\"", "from 2 to 25 %; 300 mmol/mol is 29.596 %"}, "mmol/mol"),
      Ok("hba1c 5 mmol/mol", "hba1c", 5, "mmol/mol", 0.09148 * 5 + 2.152),
      // The equation maps 0 and -1 mmol/mol to about 2 %; neither is possible.
      Bad("hba1c 0 mmol/mol", "hba1c", 0,
          {"bad value \"0 mmol/mol\"", "from 2 to 25 %; in mmol/mol: a number above 0"},
          "mmol/mol"),
      Bad("hba1c -1 mmol/mol", "hba1c", -1, {"bad value \"-1 mmol/mol\"", "above 0"}, "mmol/mol"),
      Bad("cpeptide -5 pmol/L", "cpeptide", -5, {"bad value \"-5 pmol/L\"", "of at least 0"},
          "pmol/L"),
      Bad("hba1c mg/dL", "hba1c", 120, {"field \"unit\": bad value \"mg/dL\"", "%, mmol/mol"},
          "mg/dL"),
      Censored(Bad("hba1c censored", "hba1c", 4, {"bad value \"<4\"", "an exact value"}),
               Comparator::kLess),

      // IL-4: pg/mL, ng/L the same; censorable.
      Ok("il4 3.2 pg/mL", "il4", 3.2, "pg/mL"),
      Ok("il4 3.2 ng/L", "il4", 3.2, "ng/L", 3.2),
      Censored(Ok("il4 <0.5", "il4", 0.5), Comparator::kLess),
      Censored(Ok("il4 >=1000", "il4", 1000, "pg/mL"), Comparator::kGreaterEqual),
      Censored(Ok("il4 <=0", "il4", 0), Comparator::kLessEqual),
      Censored(Bad("il4 <0", "il4", 0, {"bad value \"<0\"", "a detection limit above 0 pg/mL"}),
               Comparator::kLess),
      Bad("il4 unknown unit", "il4", 3, {"field \"unit\": bad value \"IU/mL\"", "pg/mL, ng/L"},
          "IU/mL"),
      Bad("il4 negative", "il4", -0.1, {"bad value \"-0.1\"", "from 0 to"}),
      Bad("il4 NaN", "il4", kNaN, {"(expected a finite number)"}),
      WithItems(Bad("il4 with items", "il4", 3, {"field \"items\"", "no item responses"}), {1}),

      // C-peptide: nmol/L; ng/mL x 0.3311; pmol/L / 1000; censorable.
      Ok("cpeptide 0.4 nmol/L", "cpeptide", 0.4, "nmol/L"),
      Ok("cpeptide 1 ng/mL", "cpeptide", 1, "ng/mL", 0.3311),
      Ok("cpeptide 500 pmol/L", "cpeptide", 500, "pmol/L", 0.5),
      Ok("cpeptide 500 pmol/l", "cpeptide", 500, "pmol/l", 0.5),
      Censored(Ok("cpeptide <0.003", "cpeptide", 0.003), Comparator::kLess),
      Censored(Ok("cpeptide <10 pmol/L", "cpeptide", 10, "pmol/L", 0.01), Comparator::kLess),
      Bad("cpeptide mg/dL", "cpeptide", 1, {"field \"unit\"", "nmol/L, ng/mL, pmol/L"}, "mg/dL"),
      Bad("cpeptide 500 nmol/L", "cpeptide", 500, {"bad value \"500 nmol/L\"", "from 0 to"},
          "nmol/L"),

      // Hypoglycemic episodes: whole number >= 0.
      Ok("hypo 0", "hypo", 0),
      Ok("hypo 3", "hypo", 3),
      Bad("hypo 2.5", "hypo", 2.5, {"bad value \"2.5\"", "a whole number from 0 to"}),
      Bad("hypo -1", "hypo", -1, {"bad value \"-1\"", "a whole number from 0"}),
      Censored(Bad("hypo censored", "hypo", 2, {"an exact value"}), Comparator::kGreater),

      // Relapse: days from onset to end, whole, >= 0; ">=0" = end not known.
      Ok("relapse 0 days", "relapse", 0),
      Ok("relapse 75 days", "relapse", 75, "d"),
      Censored(Ok("relapse end unknown", "relapse", 0), Comparator::kGreaterEqual),
      Bad("relapse -3", "relapse", -3, {"bad value \"-3\"", "from 0"}),
      Bad("relapse 1.5", "relapse", 1.5, {"bad value \"1.5\"", "whole number"}),

      // SDMT: correct responses 0-110.
      Ok("sdmt 0", "sdmt", 0),
      Ok("sdmt 110", "sdmt", 110),
      Bad("sdmt 111", "sdmt", 111, {"bad value \"111\"", "from 0 to 110"}),
      Bad("sdmt 50.5", "sdmt", 50.5, {"bad value \"50.5\"", "whole-number SDMT score"}),

      // 9-Hole Peg Test and Timed 25-Foot Walk: seconds.
      Ok("nhpt 21.4 s", "nhpt", 21.4, "s"),
      Bad("nhpt -1", "nhpt", -1, {"bad value \"-1\"", "from 0"}),
      Bad("nhpt min", "nhpt", 1, {"field \"unit\""}, "min"),
      Ok("t25fw 5.2", "t25fw", 5.2),
      Bad("t25fw 700", "t25fw", 700, {"bad value \"700\"", "to 600"}),
  };
}

TEST(ValidationTest, EveryBuiltinMeasureTable) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ValidatedValue> got = ValidateObservation(Builtin(c.code), Input(c));
    if (c.ok) {
      ASSERT_THAT(got, IsOk());
      EXPECT_THAT(got->value, DoubleNear(c.canonical, 1e-12));
      EXPECT_EQ(got->comparator, c.comparator);
      EXPECT_EQ(got->items.size(), c.items.size());
    } else {
      ASSERT_FALSE(got.ok()) << "accepted with value " << got->value;
      EXPECT_THAT(got.status(),
                  StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("field \"")));
      for (const std::string& piece : c.pieces) {
        EXPECT_THAT(std::string(got.status().message()), HasSubstr(piece));
      }
    }
  }
}

// Every built-in is in the table, with valid and invalid values.
TEST(ValidationTest, TableCoversEveryBuiltin) {
  std::vector<Case> cases = Cases();
  for (const CatalogEntry& e : BuiltinMeasures()) {
    int ok = 0, bad = 0;
    for (const Case& c : cases) {
      if (c.code == e.def.code) (c.ok ? ok : bad)++;
    }
    EXPECT_GT(ok, 0) << e.def.code;
    EXPECT_GT(bad, 0) << e.def.code;
  }
}

TEST(ValidationTest, EdssMessageIsExact) {
  ObservationInput in;
  in.value = 0.5;
  EXPECT_THAT(ValidateObservation(Builtin("edss"), in),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "field \"value\": bad value \"0.5\" (expected an EDSS score: 0 or 1.0 to "
                       "10 in steps of 0.5)"));
}

TEST(ValidationTest, ConvertedValueKeepsOriginalValueAndUnit) {
  ObservationInput in;
  in.value = 48;
  in.unit = "mmol/mol";
  in.original_value = "48";
  ASSERT_OK_AND_ASSIGN(ValidatedValue v, ValidateObservation(Builtin("hba1c"), in));
  EXPECT_NEAR(v.value, 6.54304, 1e-9);
  EXPECT_EQ(v.original_value, "48");
  EXPECT_EQ(v.original_unit, "mmol/mol");

  // Without the typed text the number is formatted; the canonical unit is not
  // an "original" unit.
  in.original_value.clear();
  in.unit = "%";
  in.value = 6.5;
  ASSERT_OK_AND_ASSIGN(ValidatedValue pct, ValidateObservation(Builtin("hba1c"), in));
  EXPECT_EQ(pct.value, 6.5);
  EXPECT_EQ(pct.original_value, "6.5");
  EXPECT_EQ(pct.original_unit, "");
}

TEST(ValidationTest, CensoredValueKeepsComparatorAndLimit) {
  ObservationInput in;
  in.value = 0.5;
  in.comparator = Comparator::kLess;
  in.original_value = "<0.5";
  in.unit = "pg/mL";
  ASSERT_OK_AND_ASSIGN(ValidatedValue v, ValidateObservation(Builtin("il4"), in));
  EXPECT_EQ(v.comparator, Comparator::kLess);
  EXPECT_EQ(v.value, 0.5);
  EXPECT_EQ(v.original_value, "<0.5");

  in.original_value.clear();
  ASSERT_OK_AND_ASSIGN(ValidatedValue formatted, ValidateObservation(Builtin("il4"), in));
  EXPECT_EQ(formatted.original_value, "<0.5");
}

TEST(ValidationTest, TypedTextIsEchoedInErrors) {
  ObservationInput in;
  in.value = 0.5;
  in.original_value = "0,5";  // what the user typed, before number parsing
  EXPECT_THAT(ValidateObservation(Builtin("edss"), in),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad value \"0,5\"")));
}

TEST(ValidationTest, ComputedTotalIsTheItemSumAndKeepsItems) {
  ObservationInput in;
  in.items = {0, 1, 2, 3, 0, 1, 2, 3};
  in.value_from_items = true;
  ASSERT_OK_AND_ASSIGN(ValidatedValue v, ValidateObservation(Builtin("ais"), in));
  EXPECT_EQ(v.value, 12);
  EXPECT_EQ(v.items, in.items);
  EXPECT_EQ(v.original_value, "12");
}

TEST(ValidationTest, UnansweredItemsAreKeptAsNaN) {
  ObservationInput in;
  in.items = {0, 1, kNaN, 3, 0, 1, 2, 3};
  in.value = 11;
  ASSERT_OK_AND_ASSIGN(ValidatedValue v, ValidateObservation(Builtin("ais"), in));
  ASSERT_EQ(v.items.size(), 8u);
  EXPECT_TRUE(std::isnan(v.items[2]));
}

// Generic rules on a hand-made definition: step with a relative epsilon,
// allowed values, and no clamping.
TEST(ValidationTest, StepUsesRelativeEpsilonAndNeverClamps) {
  MeasureDefinition def;
  def.code = "walk";
  def.name = "Timed walk";
  def.unit = "s";
  def.min = 0;
  def.max = 300;
  def.step = 0.1;
  ObservationInput in;
  in.value = 0.3;  // 3 * 0.1 is not exactly 0.3 in binary
  EXPECT_THAT(ValidateObservation(def, in), IsOk());
  in.value = 12.34;
  EXPECT_THAT(ValidateObservation(def, in),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad value \"12.34\""),
                             HasSubstr("a value from 0 to 300 in steps of 0.1 s"))));
  in.value = 300.1;
  EXPECT_THAT(ValidateObservation(def, in),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad value \"300.1\"")));
}

TEST(ValidationTest, FieldErrorEscapesTheValue) {
  EXPECT_EQ(FieldError("patient", "a\"b\n", "x"),
            "field \"patient\": bad value \"a\\\"b\\x0A\" (expected x)");
  EXPECT_EQ(FieldError("value", "M\xC3\xBCller", "y"),
            "field \"value\": bad value \"M\xC3\xBCller\" (expected y)");
  EXPECT_EQ(FieldError("value", "\xFF", "y"), "field \"value\": bad value \"\\xFF\" (expected y)");
}

// Issue 16: a converted value is the exact decimal result of value * factor
// + offset, never binary noise (51 mmol/mol was 6.817480000000001 %); the
// value as entered is kept beside it.
TEST(ConversionTest, ConvertedValuesAreTheExactDecimalResult) {
  const auto convert = [](const std::string& code, double value, const std::string& unit) {
    ObservationInput in;
    in.patient = "P1";
    in.measure = code;
    in.value = value;
    in.unit = unit;
    absl::StatusOr<ValidatedValue> v = ValidateObservation(Builtin(code), in);
    EXPECT_THAT(v, IsOk());
    return v.ok() ? *v : ValidatedValue();
  };
  const ValidatedValue a = convert("hba1c", 51, "mmol/mol");
  EXPECT_EQ(a.value, 6.81748);  // exactly: not 6.817480000000001
  EXPECT_EQ(a.original_value, "51");
  EXPECT_EQ(a.original_unit, "mmol/mol");
  EXPECT_EQ(convert("hba1c", 48, "mmol/mol").value, 6.54304);
  EXPECT_EQ(convert("hba1c", 53.5, "mmol/mol").value, 7.04618);
  EXPECT_EQ(convert("cpeptide", 0.7, "ng/mL").value, 0.23177);
  EXPECT_EQ(convert("hba1c", 6.5, "").value, 6.5);  // canonical: as given
  // Every integer IFCC value from 20 to 130: the printed value is short.
  for (int ifcc = 20; ifcc <= 130; ++ifcc) {
    const double v = convert("hba1c", ifcc, "mmol/mol").value;
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    EXPECT_EQ(std::strtod(buf, nullptr), v);
    std::snprintf(buf, sizeof(buf), "%.7g", v);
    EXPECT_EQ(std::strtod(buf, nullptr), v) << ifcc << " mmol/mol gives " << buf;
  }
}

TEST(ValidatePatientIdTest, AcceptsUtf8Ids) {
  EXPECT_THAT(ValidatePatientId("P-001"), IsOk());
  EXPECT_THAT(ValidatePatientId("M\xC3\xBCller 12"), IsOk());          // ü
  EXPECT_THAT(ValidatePatientId("\xE6\x82\xA3\xE8\x80\x85"), IsOk());  // 患者
  EXPECT_THAT(ValidatePatientId(std::string(128, 'x')), IsOk());
}

TEST(ValidatePatientIdTest, RejectsBadIds) {
  const auto invalid = [](const std::string& piece) {
    return StatusIs(absl::StatusCode::kInvalidArgument,
                    AllOf(StartsWith("field \"patient\": bad value \""), HasSubstr(piece)));
  };
  EXPECT_THAT(ValidatePatientId(""), invalid("it is empty"));
  EXPECT_THAT(ValidatePatientId(std::string(129, 'x')), invalid("it has 129 bytes, more than 128"));
  EXPECT_THAT(ValidatePatientId("p\t1"), invalid("control character U+0009"));
  EXPECT_THAT(ValidatePatientId(std::string("p\0001", 3)), invalid("control character U+0000"));
  EXPECT_THAT(ValidatePatientId("p\x7F"), invalid("U+007F"));
  EXPECT_THAT(ValidatePatientId("p\xC2\x85"), invalid("U+0085"));  // C1 NEL
  EXPECT_THAT(ValidatePatientId("p\xFF"), invalid("byte 2 is not valid UTF-8"));
  EXPECT_THAT(ValidatePatientId("\xC0\xAF"), invalid("not valid UTF-8"));              // overlong
  EXPECT_THAT(ValidatePatientId("\xED\xA0\x80"), invalid("not valid UTF-8"));          // surrogate
  EXPECT_THAT(ValidatePatientId("ab\xE6\x82"), invalid("byte 3 is not valid UTF-8"));  // cut
  EXPECT_THAT(ValidatePatientId(" "), invalid("starts with whitespace (U+0020)"));
  EXPECT_THAT(ValidatePatientId(" P1"), invalid("starts with whitespace (U+0020)"));
  EXPECT_THAT(ValidatePatientId("P1 "), invalid("ends with whitespace (U+0020)"));
  EXPECT_THAT(ValidatePatientId("P1\xC2\xA0"), invalid("ends with whitespace (U+00A0)"));
  EXPECT_THAT(ValidatePatientId("\xE3\x80\x80P1"), invalid("starts with whitespace (U+3000)"));
  // Every refusal names the whole rule, and escapes what it echoes.
  EXPECT_THAT(ValidatePatientId("P\n1"),
              invalid("bad value \"P\\x0A1\" (byte 2 is the control character U+000A; "
                      "expected a patient id of 1 to 128 bytes of UTF-8"));
  EXPECT_THAT(ValidatePatientId(""), invalid(kPatientIdRule));
}

TEST(ValidatePatientIdTest, InnerSpacesAreFine) {
  EXPECT_THAT(ValidatePatientId("P 1"), IsOk());
  EXPECT_THAT(ValidatePatientId("a\xC2\xA0"
                                "b"),
              IsOk());
}

MeasureDefinition UserMeasure() {
  MeasureDefinition def;
  def.code = "sdmt";
  def.name = "Symbol Digit Modalities Test";
  def.unit = "correct";
  def.min = 0;
  def.max = 110;
  def.integer = true;
  def.direction = Direction::kHigherIsBetter;
  def.change_threshold = 4;
  return def;
}

TEST(ValidateMeasureDefinitionTest, AcceptsGoodDefinitionsAndEveryBuiltin) {
  EXPECT_THAT(ValidateMeasureDefinition(UserMeasure()), IsOk());
  ASSERT_FALSE(BuiltinMeasures().empty());
  for (const CatalogEntry& e : BuiltinMeasures()) {
    EXPECT_THAT(ValidateMeasureDefinition(e.def), IsOk()) << e.def.code;
  }
}

TEST(ValidateMeasureDefinitionTest, RejectsBadDefinitions) {
  struct Bad {
    std::string name;
    void (*mutate)(MeasureDefinition*);
    std::string field;
  };
  const std::vector<Bad> cases = {
      {"upper-case code", [](MeasureDefinition* d) { d->code = "SDMT"; }, "code"},
      {"digit first", [](MeasureDefinition* d) { d->code = "1x"; }, "code"},
      {"code too long", [](MeasureDefinition* d) { d->code = std::string(33, 'a'); }, "code"},
      {"hyphen", [](MeasureDefinition* d) { d->code = "a-b"; }, "code"},
      {"empty code", [](MeasureDefinition* d) { d->code = ""; }, "code"},
      {"empty name", [](MeasureDefinition* d) { d->name = ""; }, "name"},
      {"empty unit", [](MeasureDefinition* d) { d->unit = ""; }, "unit"},
      {"min > max", [](MeasureDefinition* d) { d->min = 200; }, "max"},
      {"NaN min", [](MeasureDefinition* d) { d->min = kNaN; }, "min"},
      {"inf max", [](MeasureDefinition* d) { d->max = kInf; }, "max"},
      {"negative step", [](MeasureDefinition* d) { d->step = -1; }, "step"},
      {"negative threshold", [](MeasureDefinition* d) { d->change_threshold = -1; },
       "change_threshold"},
      {"zero factor",
       [](MeasureDefinition* d) {
         d->units = {{"pct", 0, 0}};
       },
       "units[1].factor"},
      {"NaN factor",
       [](MeasureDefinition* d) {
         d->units = {{"pct", kNaN, 0}};
       },
       "units[1].factor"},
      {"duplicate unit",
       [](MeasureDefinition* d) {
         d->units = {{"Correct", 1, 0}};
       },
       "units[1].unit"},
      {"items without range",
       [](MeasureDefinition* d) {
         d->item_count = 3;
         d->item_min = 2;
         d->item_max = 1;
       },
       "item_max"},
      {"subscale item out of range",
       [](MeasureDefinition* d) {
         d->item_count = 3;
         d->item_max = 4;
         d->subscales = {{"a", {1, 4}}};
       },
       "subscales[1].items[2]"},
      {"sum without items", [](MeasureDefinition* d) { d->items_sum_to_total = true; },
       "items_sum_to_total"},
      {"allowed value out of range",
       [](MeasureDefinition* d) {
         d->allowed_values = {1, 111};
       },
       "allowed_values[2]"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.name);
    MeasureDefinition def = UserMeasure();
    c.mutate(&def);
    EXPECT_THAT(ValidateMeasureDefinition(def),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         StartsWith("field \"" + c.field + "\": bad value")));
  }
}

}  // namespace
}  // namespace cotrack
