// The analytics against a real database: SummarizeCohort's one pass over
// ForEachSeries, retracted values, and relapse dates stored as a measure.
#include <memory>

#include "analytics_test_util.h"
#include "cotrack/chart.h"
#include "cotrack/database.h"
#include "cotrack/progression.h"
#include "cotrack/report.h"
#include "cotrack/summary.h"
#include "cotrack/timepoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::Day;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

ObservationInput In(const std::string& patient, const std::string& measure, CivilTime t,
                    double value) {
  ObservationInput o;
  o.patient = patient;
  o.measure = measure;
  o.time = t;
  o.value = value;
  return o;
}

class SummarizeDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.path());
    ASSERT_OK(db);
    db_ = *std::move(db);
    WriteOptions fast;
    fast.sync = false;
    Batch b;
    // Arm A: month-6 EDSS 2, 3, 4 from baseline 2.0; arm B: 5 from 4.0 and
    // one patient without an index date.
    const std::vector<std::tuple<std::string, std::string, double, double>> rows = {
        {"a1", "A", 2.0, 2.0}, {"a2", "A", 2.0, 3.0}, {"a3", "A", 2.0, 4.0}, {"b1", "B", 4.0, 5.0}};
    for (const auto& [id, arm, bl, m6] : rows) {
      Patient p;
      p.id = id;
      p.arm = arm;
      p.index_date = Day(100);
      b.PutPatient(p);
      b.Record(In(id, "edss", Day(95), bl));
      b.Record(In(id, "edss", Day(282), m6));
    }
    b.Record(In("orphan", "edss", Day(95), 1.0));
    ASSERT_OK(db_->Apply(b, fast));
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

SummaryOptions At(const std::string& list, const std::string& by) {
  SummaryOptions o;
  o.timepoints = *ParseTimepointList(list);
  o.group_by = by;
  return o;
}

TEST_F(SummarizeDbTest, SummaryByArm) {
  ASSERT_OK_AND_ASSIGN(CohortSummary s, SummarizeCohort(*db_, "edss", At("0,6m", "arm")));
  EXPECT_EQ(s.patients, 5);
  EXPECT_THAT(s.no_index_date, ElementsAre("orphan"));
  // Groups: (none) [the orphan], A, B; per timepoint.
  ASSERT_EQ(s.rows.size(), 6u);
  const SummaryRow& a6 = s.rows[4];
  ASSERT_EQ(a6.group, "A");
  ASSERT_EQ(a6.timepoint, "6m");
  EXPECT_EQ(a6.stats.n, 3);
  EXPECT_DOUBLE_EQ(*a6.stats.median, 3.0);
  EXPECT_EQ(a6.stable, 1);    // 2 -> 2
  EXPECT_EQ(a6.worsened, 2);  // +1.0 and +2.0 from 2.0
  const SummaryRow& b6 = s.rows[5];
  EXPECT_EQ(b6.worsened, 1);  // 4.0 -> 5.0: +1.0 is the step from 1.0-5.5
  EXPECT_EQ(b6.stable, 0);
}

TEST_F(SummarizeDbTest, RetractedValueLeavesTheSummary) {
  Provenance why;
  why.reason = "typo";
  ASSERT_OK(db_->Retract("a3", "edss", Day(282), why));
  ASSERT_OK_AND_ASSIGN(CohortSummary s, SummarizeCohort(*db_, "edss", At("6m", "arm")));
  const SummaryRow& a6 = s.rows[1];
  ASSERT_EQ(a6.group, "A");
  EXPECT_EQ(a6.stats.n, 2);
  EXPECT_EQ(a6.missing, 1);
  EXPECT_DOUBLE_EQ(*a6.stats.max, 3.0);
}

TEST_F(SummarizeDbTest, Errors) {
  EXPECT_THAT(SummarizeCohort(*db_, "nosuchmeasure", At("6m", "")),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(SummarizeCohort(*db_, "edss", SummaryOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no timepoints")));
}

// Issue 16: a group_by attribute no patient has is a typo to report, not one
// group "(none)" holding everyone.
TEST_F(SummarizeDbTest, UnknownGroupByIsAnErrorNamingTheKnownAttributes) {
  Patient a1;
  a1.id = "a1";
  a1.arm = "A";
  a1.index_date = Day(100);
  a1.attributes = {{"sex", "F"}, {"site", "Oslo"}};
  ASSERT_OK(db_->PutPatient(a1));
  // Only a patient without EDSS values has "source": still a known one.
  Patient other;
  other.id = "c1";
  other.attributes = {{"source", "PBSC"}};
  ASSERT_OK(db_->PutPatient(other));

  const auto unknown = StatusIs(
      absl::StatusCode::kInvalidArgument,
      AllOf(HasSubstr("group_by \"nonexistent\": no patient has this attribute"),
            HasSubstr("expected \"arm\" or a patient attribute: \"sex\", \"site\", \"source\"")));
  EXPECT_THAT(SummarizeCohort(*db_, "edss", At("0,6m", "nonexistent")), unknown);
  EXPECT_THAT(ValidateGroupBy(*db_, "nonexistent"), unknown);
  ReportOptions report;
  report.summary = At("0,6m", "nonexistent");
  EXPECT_THAT(BuildHtmlReport(*db_, report), unknown);
  EXPECT_THAT(CohortChart(*db_, "edss", At("0,6m", "nonexistent"), {}), unknown);

  ASSERT_OK_AND_ASSIGN(CohortSummary s, SummarizeCohort(*db_, "edss", At("6m", "sex")));
  ASSERT_EQ(s.rows.size(), 2u);  // (none), F
  EXPECT_EQ(s.rows[1].group, "F");
  ASSERT_OK(SummarizeCohort(*db_, "edss", At("6m", "source")));  // all "(none)", but known
  ASSERT_OK(SummarizeCohort(*db_, "edss", At("6m", "arm")));
  ASSERT_OK(SummarizeCohort(*db_, "edss", At("6m", "")));

  // The command line says the same and exits non-zero.
  db_.reset();
  testing::CommandResult cli = testing::RunCotrack(
      {"--db", dir_.path(), "summary", "edss", "--at", "0,6m", "--by", "nonexistent"});
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_THAT(cli.err, HasSubstr("group_by \"nonexistent\": no patient has this attribute"));
}

TEST_F(SummarizeDbTest, RelapseDatesFromAMeasure) {
  MeasureDefinition relapse;
  relapse.code = "relapse";
  relapse.name = "Relapse onset";
  relapse.unit = "event";
  relapse.min = 1;
  relapse.max = 1;
  relapse.integer = true;
  ASSERT_OK(db_->RegisterMeasure(relapse, Provenance()));
  WriteOptions fast;
  fast.sync = false;
  ASSERT_OK(db_->Record(In("a1", "relapse", Day(150), 1), fast));
  ASSERT_OK(db_->Record(In("a1", "relapse", Day(300), 1), fast));
  ASSERT_OK_AND_ASSIGN(RelapseDates r, RelapseDatesFromMeasure(*db_, "relapse"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r["a1"], ElementsAre(Day(150), Day(300)));
}

TEST_F(SummarizeDbTest, HtmlReportIsSelfContained) {
  ReportOptions o;
  o.summary = At("0,6m", "arm");
  o.title = "Trial <X> & co";
  o.per_patient = true;
  ASSERT_OK_AND_ASSIGN(std::string html, BuildHtmlReport(*db_, o));
  EXPECT_THAT(html, ::testing::StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<title>Trial &lt;X&gt; &amp; co</title>"));
  // Only edss has values: one section, its table, its time-to-worsening
  // curves and its cohort chart plus one chart per patient with an index
  // date (4).
  EXPECT_THAT(html, HasSubstr("(edss, score)"));
  EXPECT_THAT(html, Not(HasSubstr("(hba1c")));
  int svgs = 0;
  for (size_t pos = html.find("<svg"); pos != std::string::npos; pos = html.find("<svg", pos + 1)) {
    ++svgs;
  }
  EXPECT_EQ(svgs, 6);
  EXPECT_THAT(html, HasSubstr("not analysed: no index date: orphan (set index dates with "
                              "`cotrack import FILE --index-date first-visit`"));
  EXPECT_THAT(html, HasSubstr("at=0,6m window=30d"));
  // EDSS: patients with confirmed worsening per arm. Nobody has a second
  // visit after the rise, so nobody is confirmed.
  EXPECT_THAT(html, HasSubstr("Confirmed disability worsening"));
  EXPECT_THAT(html, HasSubstr("<tr><td>A</td><td>3</td><td>3</td><td>0 (0%)</td>"));
  // Worsening and improvement are both counted: every event, not the first
  // CDW that `cotrack progression` reports by default.
  EXPECT_THAT(html, HasSubstr("event=multiple"));
  // Self-contained: nothing fetched from elsewhere.
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http://www.w3.org/2000/svg\" href")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
}

TEST_F(SummarizeDbTest, HtmlReportShowsAisBands) {
  WriteOptions fast;
  fast.sync = false;
  ASSERT_OK(db_->Record(In("a1", "ais", Day(95), 12), fast));  // moderate
  ASSERT_OK(db_->Record(In("a1", "ais", Day(282), 4), fast));  // none
  ASSERT_OK(db_->Record(In("a2", "ais", Day(95), 17), fast));  // severe
  ReportOptions o;
  o.summary = At("0,6m", "arm");
  o.measures = {"ais"};
  ASSERT_OK_AND_ASSIGN(std::string html, BuildHtmlReport(*db_, o));
  EXPECT_THAT(html, HasSubstr("AIS bands"));
  // Group A at baseline: one moderate, one severe; at 6m one none.
  EXPECT_THAT(html, HasSubstr("<tr><td>A</td><td>0</td><td>0</td><td>0</td><td>1</td><td>1</td>"));
  EXPECT_THAT(html, HasSubstr("<tr><td>A</td><td>6m</td><td>1</td><td>0</td><td>0</td><td>0</td>"));
}

TEST_F(SummarizeDbTest, CohortChartForOnePatient) {
  ASSERT_OK_AND_ASSIGN(ChartSpec chart, CohortChart(*db_, "edss", At("0,6m", "arm"), {"a2"}));
  int thin = 0;
  for (const ChartSeries& s : chart.series) thin += s.emphasized ? 0 : 1;
  EXPECT_EQ(thin, 1);
  EXPECT_THAT(chart.title, HasSubstr("patient a2"));
  EXPECT_THAT(CohortChart(*db_, "edss", At("0,6m", "arm"), {"zz"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("zz")));
}

}  // namespace
}  // namespace cotrack
