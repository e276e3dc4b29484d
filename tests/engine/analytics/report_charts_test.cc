// What a clinician reads in the charts: EDSS on its own 0-10 grid, relapse
// and confirmed-event markers on per-patient charts, Kaplan-Meier step curves
// with censoring ticks; and the report and `cotrack survival --plot` through
// the real binary. Structure only (labels, markers), never pixels.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "analytics_test_util.h"
#include "cotrack/chart.h"
#include "cotrack/survival.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::CommandResult;
using ::cotrack::testing::EdssDefinition;
using ::cotrack::testing::MsprogToyEdssObservations;
using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::SharedData;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReportChartsTest, EdssAxisIsTheScalesGrid) {
  ChartSpec spec;
  spec.series.push_back({"p", "", {{0, 3.5}, {6, 4.0}, {12, 5.5}}, 0, false, false, {}});
  UseMeasureScale(EdssDefinition(), &spec);
  const std::string svg = RenderSvgChart(spec);
  for (int i = 0; i <= 10; ++i) {
    EXPECT_THAT(svg, HasSubstr(absl::StrCat("text-anchor=\"end\">", i, "</text>"))) << i;
  }
  // No fractional labels from the data's range (3.5..5.5 would give 3.5, 4,
  // ... or 5.6, 5.8); a light grid line at each half point instead.
  EXPECT_THAT(svg, Not(HasSubstr("text-anchor=\"end\">3.5</text>")));
  EXPECT_THAT(svg, Not(HasSubstr("text-anchor=\"end\">5.8</text>")));
  EXPECT_EQ(Count(svg, "class=\"minor\""), 21);
  EXPECT_EQ(MeasureAxisLabel(EdssDefinition()), "EDSS");
}

TEST(ReportChartsTest, MarkersAreDrawnAndListedOnce) {
  ChartSpec spec;
  spec.series.push_back({"", "p", {{0, 2}, {12, 3.5}}, 0, false, false, {}});
  spec.markers.push_back(
      {-1, 0, ChartMarker::Shape::kTriangle, 1, "relapse", "relapse 2021-01-01"});
  spec.markers.push_back({5, 0, ChartMarker::Shape::kTriangle, 1, "relapse", "relapse 2021-06-01"});
  spec.markers.push_back({6, 3.5, ChartMarker::Shape::kDiamond, 6, "worsening (CDW)", ""});
  const std::string svg = RenderSvgChart(spec);
  EXPECT_EQ(Count(svg, "class=\"marker\""), 3);
  EXPECT_THAT(svg, HasSubstr("<title>relapse 2021-01-01</title>"));
  EXPECT_EQ(Count(svg, ">relapse</text>"), 1);
  EXPECT_EQ(Count(svg, ">worsening (CDW)</text>"), 1);
  // The x axis reaches back to the relapse before the first visit.
  EXPECT_THAT(svg, HasSubstr("text-anchor=\"middle\">0</text>"));
}

TEST(ReportChartsTest, KaplanMeierStepsWithCensorTicks) {
  ASSERT_OK_AND_ASSIGN(std::vector<KaplanMeierCurve> curves, KaplanMeier({{100, true, "A"},
                                                                          {300, false, "A"},
                                                                          {50, true, "B"},
                                                                          {200, false, "B"},
                                                                          {400, false, "B"}}));
  ChartSpec spec = BuildSurvivalChart(curves, "Time to event");
  ASSERT_EQ(spec.series.size(), 2u);
  EXPECT_TRUE(spec.series[0].step);
  EXPECT_EQ(spec.series[0].label, "A (1/2 events)");
  // A: starts at 1, drops to 0.5 at day 100, runs to day 300 (censored).
  ASSERT_EQ(spec.series[0].points.size(), 3u);
  EXPECT_EQ(spec.series[0].points[1].second, 0.5);
  EXPECT_EQ(spec.series[0].ticks.size(), 1u);
  EXPECT_EQ(spec.series[1].ticks.size(), 2u);
  const std::string svg = RenderSvgChart(spec);
  EXPECT_EQ(Count(svg, "class=\"censor\""), 3);
  // A step keeps the level to the next time: the point (day 100, S=1)
  // appears before (day 100, S=0.5), i.e. two points at each event's x.
  EXPECT_THAT(svg, HasSubstr("text-anchor=\"end\">0.6</text>"));
  EXPECT_THAT(svg, Not(HasSubstr("<circle")));
}

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ostringstream obs;
    obs << MsprogToyEdssObservations();
    // msprog's relapse file as values of a "relapse" measure.
    obs << "2,relapse,2021-06-12,1\n2,relapse,2022-10-25,1\n";
    WriteFile(dir_.File("visits.csv"), obs.str());
    WriteFile(dir_.File("patients.csv"),
              "patient,arm,index_date\n1,A,2021-10-01\n2,B,2020-12-01\n3,A,2021-10-20\n"
              "4,B,2021-09-20\n5,A,2021-06-15\n6,B,2021-10-19\n");
    CommandResult m = Cotrack({"measure", "add", "--code", "relapse", "--name", "Relapse", "--unit",
                               "count", "--min", "0", "--max", "1"});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    CommandResult r = Cotrack({"import", dir_.File("visits.csv"), dir_.File("patients.csv")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  CommandResult Cotrack(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", dir_.File("db")});
    return RunCotrack(args);
  }

  TempDir dir_;
};

TEST_F(ReportCliTest, ReportReadsAsAClinicianExpects) {
  CommandResult r = Cotrack({"report", "--measure", "edss", "--per-patient", "--by", "arm", "--out",
                             dir_.File("r.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = ReadAll(dir_.File("r.html"));
  // Names, not codes, on the axes; EDSS on 0..10.
  EXPECT_THAT(html, HasSubstr("rotate(-90)\" text-anchor=\"middle\">EDSS</text>"));
  EXPECT_THAT(html, Not(HasSubstr(">edss (score)</text>")));
  EXPECT_THAT(html, HasSubstr("text-anchor=\"end\">10</text>"));
  // Parameters in words as well as the settings line.
  EXPECT_THAT(html, HasSubstr("is a worsening when the first visit 84 days later"));
  EXPECT_THAT(html, HasSubstr("Patients are grouped by arm"));
  // Patient 2's two relapses and confirmed worsening on their chart.
  EXPECT_THAT(html, HasSubstr("<title>relapse 2021-06-12</title>"));
  EXPECT_THAT(html, HasSubstr("<title>relapse 2022-10-25</title>"));
  EXPECT_THAT(html, HasSubstr(">worsening (CDW)</text>"));
  EXPECT_GE(Count(html, "<title>confirmed worsening "), 1);
  // The time-to-event section: table, test and step curves with ticks.
  EXPECT_THAT(html, HasSubstr("<h3>Time to first confirmed disability worsening</h3>"));
  EXPECT_THAT(html, HasSubstr("Log-rank test: chi-square"));
  EXPECT_GE(Count(html, "class=\"censor\""), 1);
}

TEST_F(ReportCliTest, SurvivalPlotWritesTheCurves) {
  CommandResult r =
      Cotrack({"survival", "--by", "arm", "--plot", dir_.File("km.svg"), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string svg = ReadAll(dir_.File("km.svg"));
  EXPECT_THAT(svg, HasSubstr("<svg xmlns="));
  EXPECT_THAT(svg, HasSubstr("Time to first confirmed disability worsening"));
  EXPECT_THAT(svg, HasSubstr("Proportion without event"));
  EXPECT_GE(Count(svg, "class=\"censor\""), 1);
  EXPECT_THAT(svg, HasSubstr(">A ("));
  EXPECT_THAT(svg, HasSubstr(">B ("));
}

}  // namespace
}  // namespace cotrack
