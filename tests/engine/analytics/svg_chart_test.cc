// The SVG charts: well-formed, escaped, and drawing what the cohort holds.
#include "analytics_test_util.h"
#include "cotrack/chart.h"
#include "cotrack/summary.h"
#include "cotrack/timepoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::Day;
using ::cotrack::testing::EdssDefinition;
using ::cotrack::testing::MakePatient;
using ::cotrack::testing::Series;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

TEST(SvgChartTest, WellFormedWithEscapedText) {
  ChartSpec spec;
  spec.title = "EDSS <arm \"A\" & B>";
  spec.x_label = "Months";
  spec.y_label = "edss";
  ChartSeries s;
  s.label = "median A&B";
  s.emphasized = true;
  s.points = {{0, 2.0}, {6, 3.0}, {12, 3.5}};
  spec.series.push_back(s);
  const std::string svg = RenderSvgChart(spec);
  EXPECT_THAT(svg, StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("EDSS &lt;arm &quot;A&quot; &amp; B&gt;"));
  EXPECT_THAT(svg, HasSubstr("median A&amp;B"));
  EXPECT_THAT(svg, Not(HasSubstr("A\" & B")));
  EXPECT_EQ(Count(svg, "<polyline"), 1);
  EXPECT_EQ(Count(svg, "<circle"), 3);
  EXPECT_EQ(Count(svg, "<svg"), Count(svg, "</svg>"));
  EXPECT_EQ(Count(svg, "<g>"), Count(svg, "</g>"));
}

TEST(SvgChartTest, EmptyChartSaysNoData) {
  ChartSpec spec;
  spec.title = "nothing";
  EXPECT_THAT(RenderSvgChart(spec), HasSubstr("no data"));
}

TEST(SvgChartTest, ControlCharactersNeverReachTheMarkup) {
  ChartSpec spec;
  spec.title = std::string("a\x01") + "b";
  EXPECT_THAT(RenderSvgChart(spec), HasSubstr("<title>ab</title>"));
}

TEST(CohortChartTest, OneLinePerPatientAndMedianPerGroup) {
  std::vector<std::pair<Patient, std::vector<Observation>>> series;
  CohortSummaryBuilder b(EdssDefinition(), [] {
    SummaryOptions o;
    o.timepoints = *ParseTimepointList("0,6m");
    o.group_by = "arm";
    return o;
  }());
  const std::vector<std::tuple<std::string, std::string, double, double>> rows = {
      {"a1", "A", 2, 3}, {"a2", "A", 2, 4}, {"b1", "B", 5, 5}};
  for (const auto& [id, arm, bl, m6] : rows) {
    Patient p = MakePatient(id, arm, Day(100));
    std::vector<Observation> t = Series(id, "edss", {{95, bl}, {282, m6}});
    b.Add(p, t);
    series.emplace_back(p, t);
  }
  Patient orphan = MakePatient("orphan", "A", std::nullopt);
  series.emplace_back(orphan, Series("orphan", "edss", {{0, 1}}));
  ChartSpec chart = BuildCohortChart(EdssDefinition(), series, b.Finish());
  int thin = 0;
  std::vector<std::string> medians;
  for (const ChartSeries& s : chart.series) {
    if (s.emphasized) {
      medians.push_back(s.label);
      if (s.label == "median A") {
        // Baseline median 2 at month 0, month-6 median 3.5 at month 6.
        ASSERT_EQ(s.points.size(), 2u);
        EXPECT_EQ(s.points[0], std::make_pair(0.0, 2.0));
        EXPECT_EQ(s.points[1], std::make_pair(6.0, 3.5));
      }
    } else {
      ++thin;
      // x is months since the index date: day 95 is 5 days before day 100.
      EXPECT_NEAR(s.points[0].first, -5 / kDaysPerMonth, 1e-12);
    }
  }
  EXPECT_EQ(thin, 3);
  EXPECT_THAT(medians, ::testing::UnorderedElementsAre("median A", "median B"));
  EXPECT_THAT(chart.note, HasSubstr("Not drawn (no index date): 1 patient(s)"));
  EXPECT_EQ(chart.x_label, "Months since index date");
}

}  // namespace
}  // namespace cotrack
