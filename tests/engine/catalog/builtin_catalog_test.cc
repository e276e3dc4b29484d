// The compiled-in catalog (schema/builtin_measures.json) holds the built-in
// measures of DESIGN.md with their fixed ids and exact rules.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::testing::Contains;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

const CatalogEntry* Find(const std::string& code) {
  for (const CatalogEntry& e : BuiltinMeasures()) {
    if (e.def.code == code) return &e;
  }
  return nullptr;
}

const UnitConversion* FindUnit(const MeasureDefinition& def, const std::string& unit) {
  for (const UnitConversion& c : def.units) {
    if (c.unit == unit) return &c;
  }
  return nullptr;
}

struct Expected {
  std::string code;
  uint32_t id;
  std::string unit;
  double min, max;
  bool integer;
  Direction direction;
  double change_threshold;
  bool censorable;
  int items;  // item_count or named items
};

TEST(BuiltinCatalogTest, EveryBuiltinWithItsIdUnitAndRange) {
  const std::vector<Expected> expected = {
      {"edss", 1, "score", 0, 10, false, Direction::kHigherIsWorse, 1.0, false, 8},
      {"ais", 2, "score", 0, 24, true, Direction::kHigherIsWorse, 3, false, 8},
      {"fis", 3, "score", 0, 160, true, Direction::kHigherIsWorse, 10, false, 40},
      {"mfis", 4, "score", 0, 84, true, Direction::kHigherIsWorse, 4, false, 21},
      {"hba1c", 5, "%", 2, 25, false, Direction::kHigherIsWorse, 0.5, false, 0},
      {"il4", 6, "pg/mL", 0, 10000, false, Direction::kNone, 0, true, 0},
      {"cpeptide", 7, "nmol/L", 0, 20, false, Direction::kHigherIsBetter, 0, true, 0},
      {"hypo", 8, "episodes", 0, 10000, true, Direction::kHigherIsWorse, 1, false, 0},
      // Relapse: onset date, value = days to the end date (>=0: not known).
      {"relapse", 9, "d", 0, 3650, true, Direction::kNone, 0, true, 0},
      // msprog's outcomes: summary uses their relative rule (change.cc), so
      // only the SDMT has an absolute threshold (its 4-point cap).
      {"sdmt", 10, "score", 0, 110, true, Direction::kHigherIsBetter, 4, false, 0},
      {"nhpt", 11, "s", 0, 600, false, Direction::kHigherIsWorse, 0, false, 0},
      {"t25fw", 12, "s", 0, 600, false, Direction::kHigherIsWorse, 0, false, 0},
  };
  ASSERT_EQ(BuiltinMeasures().size(), expected.size());
  for (const Expected& x : expected) {
    SCOPED_TRACE(x.code);
    const CatalogEntry* e = Find(x.code);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->id, x.id);
    EXPECT_TRUE(e->def.builtin);
    EXPECT_EQ(e->def.unit, x.unit);
    EXPECT_EQ(e->def.min, x.min);
    EXPECT_EQ(e->def.max, x.max);
    EXPECT_EQ(e->def.integer, x.integer);
    EXPECT_EQ(e->def.direction, x.direction);
    EXPECT_EQ(e->def.change_threshold, x.change_threshold);
    EXPECT_EQ(e->def.censorable, x.censorable);
    const int items =
        e->def.item_count > 0 ? e->def.item_count : static_cast<int>(e->def.named_items.size());
    EXPECT_EQ(items, x.items);
    EXPECT_FALSE(e->def.name.empty());
    // Where the rules and the threshold come from.
    EXPECT_GT(e->def.description.size(), 40u);
  }
}

TEST(BuiltinCatalogTest, OrderedByCodeWithUniqueIds) {
  std::vector<std::string> codes;
  std::set<uint32_t> ids;
  for (const CatalogEntry& e : BuiltinMeasures()) {
    codes.push_back(e.def.code);
    EXPECT_TRUE(ids.insert(e.id).second) << e.id;
    EXPECT_GE(e.id, 1u);
    EXPECT_LT(e.id, kFirstUserMeasureId);
  }
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
}

TEST(BuiltinCatalogTest, EdssValuesAndFunctionalSystems) {
  const CatalogEntry* e = Find("edss");
  ASSERT_NE(e, nullptr);
  std::vector<double> want = {0};
  for (int i = 2; i <= 20; ++i) want.push_back(i * 0.5);  // 1.0 ... 10
  EXPECT_THAT(e->def.allowed_values, ElementsAreArray(want));
  EXPECT_THAT(e->def.allowed_values, Not(Contains(0.5)));
  EXPECT_EQ(e->def.item_count, 0);
  EXPECT_FALSE(e->def.items_sum_to_total);
  std::vector<std::string> names;
  std::map<std::string, std::pair<double, double>> ranges;
  for (const ItemDefinition& item : e->def.named_items) {
    names.push_back(item.name);
    ranges[item.name] = {item.min, item.max};
  }
  EXPECT_THAT(names, ElementsAre("visual", "brainstem", "pyramidal", "cerebellar", "sensory",
                                 "bowel_bladder", "cerebral", "ambulation"));
  EXPECT_EQ(ranges["visual"], std::make_pair(0.0, 6.0));
  EXPECT_EQ(ranges["brainstem"], std::make_pair(0.0, 5.0));
  EXPECT_EQ(ranges["pyramidal"], std::make_pair(0.0, 6.0));
  EXPECT_EQ(ranges["cerebellar"], std::make_pair(0.0, 5.0));
  EXPECT_EQ(ranges["sensory"], std::make_pair(0.0, 6.0));
  EXPECT_EQ(ranges["bowel_bladder"], std::make_pair(0.0, 6.0));
  EXPECT_EQ(ranges["cerebral"], std::make_pair(0.0, 5.0));
  EXPECT_EQ(ranges["ambulation"], std::make_pair(0.0, 16.0));
}

TEST(BuiltinCatalogTest, QuestionnaireItems) {
  struct Q {
    std::string code;
    int count;
    double item_max;
  };
  for (const Q& q : {Q{"ais", 8, 3}, Q{"fis", 40, 4}, Q{"mfis", 21, 4}}) {
    SCOPED_TRACE(q.code);
    const CatalogEntry* e = Find(q.code);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->def.item_count, q.count);
    EXPECT_EQ(e->def.item_min, 0);
    EXPECT_EQ(e->def.item_max, q.item_max);
    EXPECT_TRUE(e->def.items_sum_to_total);
    EXPECT_EQ(e->def.max, q.count * q.item_max);
  }
}

TEST(BuiltinCatalogTest, MfisSubscalesCoverEachItemExactlyOnce) {
  const CatalogEntry* e = Find("mfis");
  ASSERT_NE(e, nullptr);
  std::map<std::string, std::vector<int>> subscales;
  std::vector<int> all;
  for (const Subscale& s : e->def.subscales) {
    subscales[s.name] = s.items;
    all.insert(all.end(), s.items.begin(), s.items.end());
  }
  EXPECT_THAT(subscales["physical"], ElementsAre(4, 6, 7, 10, 13, 14, 17, 20, 21));
  EXPECT_THAT(subscales["cognitive"], ElementsAre(1, 2, 3, 5, 11, 12, 15, 16, 18, 19));
  EXPECT_THAT(subscales["psychosocial"], ElementsAre(8, 9));
  EXPECT_EQ(subscales.size(), 3u);
  std::sort(all.begin(), all.end());
  std::vector<int> one_to_21;
  for (int i = 1; i <= 21; ++i) one_to_21.push_back(i);
  EXPECT_EQ(all, one_to_21);
}

// No trustworthy key for all 40 FIS items was found, so no subscale is
// claimed, and the description says so.
TEST(BuiltinCatalogTest, FisHasNoUnverifiedSubscales) {
  const CatalogEntry* e = Find("fis");
  ASSERT_NE(e, nullptr);
  EXPECT_THAT(e->def.subscales, IsEmpty());
  EXPECT_THAT(e->def.description, HasSubstr("NOT encoded"));
}

TEST(BuiltinCatalogTest, UnitConversionsAndLoinc) {
  const CatalogEntry* hba1c = Find("hba1c");
  ASSERT_NE(hba1c, nullptr);
  const UnitConversion* ifcc = FindUnit(hba1c->def, "mmol/mol");
  ASSERT_NE(ifcc, nullptr);
  EXPECT_THAT(ifcc->factor, DoubleEq(0.09148));
  EXPECT_THAT(ifcc->offset, DoubleEq(2.152));
  EXPECT_THAT(hba1c->def.loinc, UnorderedElementsAre("4548-4", "17856-6", "59261-8"));

  const CatalogEntry* cpeptide = Find("cpeptide");
  ASSERT_NE(cpeptide, nullptr);
  ASSERT_NE(FindUnit(cpeptide->def, "ng/mL"), nullptr);
  EXPECT_THAT(FindUnit(cpeptide->def, "ng/mL")->factor, DoubleEq(0.3311));
  ASSERT_NE(FindUnit(cpeptide->def, "pmol/L"), nullptr);
  EXPECT_THAT(FindUnit(cpeptide->def, "pmol/L")->factor, DoubleEq(0.001));
  EXPECT_THAT(cpeptide->def.loinc, ElementsAre("1986-9"));

  const CatalogEntry* il4 = Find("il4");
  ASSERT_NE(il4, nullptr);
  ASSERT_NE(FindUnit(il4->def, "ng/L"), nullptr);
  EXPECT_THAT(FindUnit(il4->def, "ng/L")->factor, DoubleEq(1.0));
  EXPECT_THAT(FindUnit(il4->def, "ng/L")->offset, DoubleEq(0.0));
  EXPECT_THAT(il4->def.loinc, IsEmpty());

  for (const CatalogEntry& e : BuiltinMeasures()) {
    for (const UnitConversion& c : e.def.units) {
      if (c.unit != "mmol/mol") {
        EXPECT_EQ(c.offset, 0) << e.def.code << " " << c.unit;
      }
    }
  }
}

}  // namespace
}  // namespace cotrack
