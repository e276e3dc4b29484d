// The wide visit CSV: one row per visit, one column per measure.
#include <cmath>
#include <string>

#include "formats_test_util.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kVisits[] =
    "patient,date,visit,edss,hba1c[mmol/mol],il4,ais.1,ais.2,ais.3,ais.4,ais.5,ais.6,ais.7,ais.8\n"
    "P1,2020-01-15,M0,3.5,48,<0.5,1,1,1,1,1,1,1,0\n"
    "P1,2020-07-15,M6,3.0,,,,,,,,,,\n"
    "P2,2020-02-01,M0,,,,,,,,,,,\n"
    "P2,2020-08-01,M6,,53,2.5,0,1,2,3,0,1,1,1\n";

TEST(WideCsvTest, RowsBecomeOneObservationPerFilledCell) {
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(kVisits));
  EXPECT_EQ(r.format, ImportFormat::kWideCsv);
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, 4);
  EXPECT_EQ(r.counts.skipped, 1);  // P2 M0: nothing measured
  EXPECT_THAT(r.counts.skipped_by_reason,
              ElementsAre(Pair("no values (every measure cell empty)", 1)));
  const auto& obs = r.batch.observations();
  ASSERT_EQ(obs.size(), 4u + 1u + 3u);
  // Row 1: edss, hba1c with the header's unit, censored il4, ais from items.
  EXPECT_EQ(obs[0].measure, "edss");
  EXPECT_EQ(obs[0].value, 3.5);
  EXPECT_EQ(obs[0].visit, "M0");
  EXPECT_EQ(obs[0].provenance.line, 2);
  EXPECT_EQ(obs[1].measure, "hba1c");
  EXPECT_EQ(obs[1].unit, "mmol/mol");
  EXPECT_EQ(obs[1].value, 48);
  EXPECT_EQ(obs[2].measure, "il4");
  EXPECT_EQ(obs[2].comparator, Comparator::kLess);
  EXPECT_EQ(obs[2].original_value, "<0.5");
  EXPECT_EQ(obs[3].measure, "ais");
  EXPECT_TRUE(obs[3].value_from_items);
  EXPECT_THAT(obs[3].items, ElementsAre(1, 1, 1, 1, 1, 1, 1, 0));
  // Row 2: only edss was measured.
  EXPECT_EQ(obs[4].measure, "edss");
  EXPECT_EQ(obs[4].provenance.line, 3);
  EXPECT_EQ(obs[7].measure, "ais");
  EXPECT_THAT(obs[7].items, ElementsAre(0, 1, 2, 3, 0, 1, 1, 1));
}

TEST(WideCsvTest, AnEmptyItemCellIsUnansweredNotZero) {
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText("patient,date,mfis.1,mfis.2,mfis.3\n"
                                              "P1,2020-01-01,1,,3\n"));
  ASSERT_OK(r.errors);
  ASSERT_EQ(r.batch.observations().size(), 1u);
  const ObservationInput& o = r.batch.observations()[0];
  EXPECT_EQ(o.measure, "mfis");
  ASSERT_EQ(o.items.size(), 3u);
  EXPECT_EQ(o.items[0], 1);
  EXPECT_TRUE(std::isnan(o.items[1]));
  EXPECT_EQ(o.items[2], 3);
}

class WideCsvDbTest : public DbFixture {};

TEST_F(WideCsvDbTest, AppliesWithComputedTotalsAndConvertedUnits) {
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(kVisits));
  ASSERT_OK(r.errors);
  ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(r.batch));
  EXPECT_EQ(s.written, 8);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> ais, db_->Trajectory("P1", "ais"));
  ASSERT_EQ(ais.size(), 1u);
  EXPECT_EQ(ais[0].value, 7);  // 1*7 + 0
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> hba1c, db_->Trajectory("P1", "hba1c"));
  ASSERT_EQ(hba1c.size(), 1u);
  EXPECT_EQ(hba1c[0].unit, "%");
  EXPECT_NEAR(hba1c[0].value, 6.5, 0.05);  // 48 mmol/mol is about 6.5 %
  EXPECT_EQ(hba1c[0].original_unit, "mmol/mol");
}

TEST_F(WideCsvDbTest, TotalAndItemsMustAgree) {
  const std::string header = "patient,date,ais,ais.1,ais.2,ais.3,ais.4,ais.5,ais.6,ais.7,ais.8\n";
  ASSERT_OK_AND_ASSIGN(ReadResult good, ReadText(header + "P1,2020-01-01,8,1,1,1,1,1,1,1,1\n"));
  ASSERT_OK(good.errors);
  ASSERT_EQ(good.batch.observations().size(), 1u);
  EXPECT_FALSE(good.batch.observations()[0].value_from_items);
  EXPECT_OK(db_->Apply(good.batch));
  ASSERT_OK_AND_ASSIGN(ReadResult bad, ReadText(header + "P2,2020-01-01,9,1,1,1,1,1,1,1,1\n"));
  ASSERT_OK(bad.errors);  // syntax is fine; the engine checks the sum
  EXPECT_THAT(db_->Apply(bad.batch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("test.csv:2"), HasSubstr("the sum of the 8 items"))));
}

TEST_F(WideCsvDbTest, UnknownMeasureCodeIsReportedWithItsLine) {
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText("patient,date,edss,mydrug\nP1,2020-01-01,2.0,50\n"));
  ASSERT_OK(r.errors);
  EXPECT_THAT(db_->Apply(r.batch), StatusIs(absl::StatusCode::kInvalidArgument,
                                            AllOf(HasSubstr("test.csv:2"), HasSubstr("mydrug"))));
}

TEST(WideCsvTest, HeaderErrorsNameTheColumn) {
  ImportOptions o;
  o.format = ImportFormat::kWideCsv;
  EXPECT_THAT(ReadText("patient,date,edss,Body Weight (kg)\n", o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("test.csv:1:19: header: unknown column \"Body Weight (kg)\"")));
  EXPECT_THAT(
      ReadText("patient,date,hba1c[]\n", o),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown column \"hba1c[]\"")));
  EXPECT_THAT(ReadText("patient,date,ais.1,ais.3\n", o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ais.2 is missing")));
  EXPECT_THAT(ReadText("patient,date,edss,EDSS[score]\n", o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("measure edss is given by two columns")));
  EXPECT_THAT(
      ReadText("date,patient,edss\n", o),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the first column must be patient")));
}

TEST(WideCsvTest, BadCellsRejectTheirRowOnlyWithPositions) {
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText("patient,date,edss,hba1c\n"
                                              "P1,2020-01-01,abc,6.1\n"
                                              "P1,2020-02-30,2.0,6.2\n"
                                              "P2,2020-01-01,2.0,6.3\n"
                                              "P2,2020-01-01,2.5,\n"));
  EXPECT_EQ(r.counts.rows, 4);
  EXPECT_THAT(r.errors,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("test.csv:2:15: field \"edss\": bad value \"abc\""),
                             HasSubstr("test.csv:3:4: field \"date\": bad value \"2020-02-30\""),
                             HasSubstr("test.csv:5:4: same patient, measure and date as line 4"))));
  ASSERT_EQ(r.rejects.size(), 3u);
  EXPECT_EQ(r.rejects[0].first, 2);
  EXPECT_EQ(r.rejects[2].first, 5);
  // Only the good row's two values are in the batch.
  ASSERT_EQ(r.batch.observations().size(), 2u);
  EXPECT_EQ(r.batch.observations()[0].patient, "P2");
}

// msprog toy data: id,date,visit_day,EDSS,SDMT. SDMT is not a built-in
// measure and visit_day is not a measure at all: ignore_columns leaves them
// out (a registered sdmt measure would import too).
class MsprogTest : public DbFixture {};

TEST_F(MsprogTest, ToyVisitsImportAsIs) {
  const std::string path = SharedData("msprog_toydata/MSprog_toydata_visits.csv");
  ImportOptions o;
  o.ignore_columns = {"visit_day", "SDMT"};
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(path, o));
  EXPECT_EQ(r.format, ImportFormat::kWideCsv);
  ASSERT_OK(r.errors);
  const auto records = NaiveCsv(::cotrack::testing::ReadFile(path));
  const size_t edss = Column(records[0], "EDSS");
  int64_t filled = 0;
  for (size_t i = 1; i < records.size(); ++i) filled += !records[i][edss].empty();
  EXPECT_EQ(r.counts.rows, static_cast<int64_t>(records.size()) - 1);
  EXPECT_EQ(r.counts.rows, 57);
  EXPECT_EQ(static_cast<int64_t>(r.batch.observations().size()), filled);
  EXPECT_EQ(r.counts.skipped, r.counts.rows - filled);
  ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(r.batch));
  EXPECT_EQ(s.written, filled);
  // Patient "1" (quoted in the file) reads back value for value.
  std::vector<double> expected;
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i][0] == "1" && !records[i][edss].empty()) {
      expected.push_back(std::stod(records[i][edss]));
    }
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory("1", "edss"));
  ASSERT_EQ(t.size(), expected.size());
  for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].value, expected[i]);
}

TEST_F(MsprogTest, WithoutIgnoringTheEngineNamesTheUnknownMeasure) {
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadPath(SharedData("msprog_toydata/MSprog_toydata_visits.csv")));
  ASSERT_OK(r.errors);
  EXPECT_THAT(db_->Apply(r.batch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("visit_day")));
}

}  // namespace
}  // namespace cotrack::formats_test
