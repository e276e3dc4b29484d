// Derived values: AIS bands, FIS/MFIS subscales, HbA1c units and eAG,
// C-peptide units.
#include "cotrack/derived.h"

#include <cmath>
#include <limits>

#include "analytics_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::Obs;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::T;
using ::testing::HasSubstr;

TEST(AisSeverityTest, OkajimaBandsAtBoundaries) {
  struct Case {
    double total;
    AisSeverity band;
  } cases[] = {{0, AisSeverity::kNone},      {5, AisSeverity::kNone},
               {6, AisSeverity::kMild},      {9, AisSeverity::kMild},
               {10, AisSeverity::kModerate}, {15, AisSeverity::kModerate},
               {16, AisSeverity::kSevere},   {24, AisSeverity::kSevere}};
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(AisSeverity band, AisSeverityBand(c.total));
    EXPECT_EQ(band, c.band) << c.total;
  }
  for (double bad : {-1.0, 25.0, 5.5, std::nan("")}) {
    EXPECT_THAT(AisSeverityBand(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("integer 0-24")));
  }
}

TEST(HbA1cTest, IfccAndEagFromNgsp) {
  // 7.0 %: IFCC (7.0 - 2.152) / 0.09148 = 52.995 mmol/mol; eAG 28.7*7 - 46.7
  // = 154.2 mg/dL, 1.59*7 - 2.59 = 8.54 mmol/L.
  EXPECT_NEAR(HbA1cIfccFromNgsp(7.0), 52.995, 0.001);
  EXPECT_NEAR(EstimatedAverageGlucoseMgDl(7.0), 154.2, 1e-9);
  EXPECT_NEAR(EstimatedAverageGlucoseMmolL(7.0), 8.54, 1e-9);
  // Round trip against the NGSP master equation used on input.
  EXPECT_NEAR(0.09148 * HbA1cIfccFromNgsp(6.5) + 2.152, 6.5, 1e-12);
}

TEST(CPeptideTest, Units) {
  EXPECT_NEAR(CPeptideNgMlFromNmolL(0.3311), 1.0, 1e-12);
  EXPECT_NEAR(CPeptidePmolLFromNmolL(0.3311), 331.1, 1e-9);
}

MeasureDefinition Mfis() {
  MeasureDefinition m;
  m.code = "mfis";
  m.unit = "score";
  m.item_count = 21;
  m.item_max = 4;
  m.subscales = {{"physical", {4, 6, 7, 10, 13, 14, 17, 20, 21}},
                 {"cognitive", {1, 2, 3, 5, 11, 12, 15, 16, 18, 19}},
                 {"psychosocial", {8, 9}}};
  return m;
}

TEST(SubscaleTest, MfisSubscalesFromItems) {
  // Item k answered k % 5: physical 4+1+2+0+3+4+2+0+1 = 17, cognitive
  // 1+2+3+0+1+2+0+1+3+4 = 17, psychosocial 3+4 = 7.
  std::vector<double> items;
  for (int k = 1; k <= 21; ++k) items.push_back(k % 5);
  ASSERT_OK_AND_ASSIGN(std::vector<SubscaleScore> subs, ComputeSubscales(Mfis(), items));
  ASSERT_EQ(subs.size(), 3u);
  EXPECT_EQ(subs[0].name, "physical");
  EXPECT_EQ(subs[0].score, 17);
  EXPECT_EQ(subs[1].score, 17);
  EXPECT_EQ(subs[2].score, 7);
}

TEST(SubscaleTest, UnansweredItemLeavesSubscaleWithoutScore) {
  std::vector<double> items(21, 1.0);
  items[7] = std::numeric_limits<double>::quiet_NaN();  // item 8: psychosocial
  ASSERT_OK_AND_ASSIGN(std::vector<SubscaleScore> subs, ComputeSubscales(Mfis(), items));
  EXPECT_EQ(subs[0].score, 9);
  EXPECT_FALSE(subs[2].score.has_value());
  EXPECT_EQ(subs[2].items_answered, 1);
  EXPECT_EQ(subs[2].items_total, 2);
}

TEST(SubscaleTest, WrongItemCountIsAnError) {
  EXPECT_THAT(ComputeSubscales(Mfis(), std::vector<double>(20, 1.0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected 21")));
}

TEST(DeriveValuesTest, PerMeasure) {
  MeasureDefinition ais;
  ais.code = "ais";
  ASSERT_OK_AND_ASSIGN(std::vector<DerivedValue> a,
                       DeriveValues(ais, Obs("p", "ais", T("2024-01-01"), 12)));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].text, "moderate");

  MeasureDefinition a1c;
  a1c.code = "hba1c";
  ASSERT_OK_AND_ASSIGN(std::vector<DerivedValue> h,
                       DeriveValues(a1c, Obs("p", "hba1c", T("2024-01-01"), 7.0)));
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].name, "ifcc");
  EXPECT_EQ(h[0].text, "53");
  EXPECT_EQ(h[1].text, "154");
  EXPECT_EQ(FormatDerivedValues(h), "ifcc=53 mmol/mol; eag_mgdl=154 mg/dL; eag_mmoll=8.5 mmol/L");

  MeasureDefinition cpep;
  cpep.code = "cpeptide";
  ASSERT_OK_AND_ASSIGN(
      std::vector<DerivedValue> c,
      DeriveValues(cpep, Obs("p", "cpeptide", T("2024-01-01"), 0.1, Comparator::kLess)));
  ASSERT_EQ(c.size(), 2u);
  // A censored source stays censored after a monotone conversion.
  EXPECT_EQ(c[1].comparator, Comparator::kLess);
  EXPECT_EQ(c[1].text, "<100");

  MeasureDefinition mfis = Mfis();
  Observation o = Obs("p", "mfis", T("2024-01-01"), 21);
  o.items.assign(21, 1.0);
  ASSERT_OK_AND_ASSIGN(std::vector<DerivedValue> m, DeriveValues(mfis, o));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[2].name, "psychosocial");
  EXPECT_EQ(m[2].value, 2);
}

}  // namespace
}  // namespace cotrack
