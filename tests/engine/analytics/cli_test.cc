// The analytics commands run as a user would: import msprog's toy data, then
// `cotrack progression` and `cotrack summary`.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::CommandResult;
using ::cotrack::testing::MsprogToyEdssObservations;
using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::SharedData;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::HasSubstr;

class AnalyticsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // msprog's visits as an observations file (id,date,visit_day,EDSS,SDMT
    // -> patient,measure,date,value).
    WriteFile(dir_.File("visits.csv"), MsprogToyEdssObservations());
    WriteFile(dir_.File("patients.csv"),
              "patient,arm,index_date\n1,A,2021-10-01\n2,B,2020-12-01\n3,A,2021-10-20\n"
              "4,B,2021-09-20\n5,A,2021-06-15\n6,B,2021-10-19\n");
    CommandResult r = Cotrack({"import", dir_.File("visits.csv"), dir_.File("patients.csv")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  CommandResult Cotrack(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", dir_.File("db")});
    return RunCotrack(args);
  }

  TempDir dir_;
};

TEST_F(AnalyticsCliTest, ProgressionJsonMatchesMsprog) {
  CommandResult r =
      Cotrack({"progression", "--measure", "edss", "--rule", "msprog", "--baseline", "roving",
               "--event", "multiple", "--relapses",
               SharedData("msprog_toydata/MSprog_toydata_relapses.csv"), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 8u) << r.out;
  // Patient 2: RAW worsening on the relapse day, then worsening at
  // 2022-05-19 from the roving reference 5.0 of 2021-09-04.
  EXPECT_THAT(lines[1], HasSubstr(R"("patient":"2","nevent":1,"event":"CDW","type":"undefined",)"
                                  R"("date":"2021-06-12")"));
  EXPECT_THAT(lines[1], HasSubstr(R"("relapse_associated":true)"));
  EXPECT_THAT(lines[2], HasSubstr(R"("date":"2022-05-19","value":6,"baseline_date":"2021-09-04",)"
                                  R"("baseline_value":5,)"));
  EXPECT_THAT(lines[2], HasSubstr(R"("confirmed_date":"2022-08-28","confirmed_value":6,)"
                                  R"("conf84_date":"2022-08-28","conf84_value":6,)"));
  EXPECT_THAT(lines[2], HasSubstr(R"("time2event":539,"bl2event":257,)"));
  EXPECT_THAT(lines[2], HasSubstr("delta=edss:msprog event=multiple raw-pira=no baseline=roving"));
  EXPECT_THAT(lines[2], HasSubstr("confirm=84d tolerance=-7d/+730.5d"));
}

TEST_F(AnalyticsCliTest, ProgressionOnePatientWorseningOnly) {
  CommandResult r = Cotrack({"progression", "4", "--rule", "msprog", "--baseline", "roving",
                             "--event", "worsening", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_THAT(lines[0], HasSubstr("patient,nevent,event,type,date,value,baseline_date,"
                                  "baseline_value,last_delta_date,last_delta_value,"
                                  "confirmed_date,confirmed_value,conf84_date"));
  EXPECT_THAT(lines[1], HasSubstr("4,2,CDW,undefined,2022-07-19,5,2022-03-12,3.5,"));
  EXPECT_THAT(lines[1], HasSubstr(",2022-10-05,5,2022-10-05,5,"));
}

TEST_F(AnalyticsCliTest, ProgressionFlagsReachTheRule) {
  // Patient 6 (msprog, fixed reference 5.5): the rise to 6.0 at the last
  // visit (2023-02-21) has nothing after it; it only counts on request.
  std::vector<std::string> args = {"progression", "6",         "--rule",   "msprog",
                                   "--event",     "worsening", "--format", "csv"};
  CommandResult ignored = Cotrack(args);
  ASSERT_EQ(ignored.exit_code, 0) << ignored.err;
  EXPECT_EQ(std::count(ignored.out.begin(), ignored.out.end(), '\n'), 1) << ignored.out;
  args.push_back("--unconfirmed-last");
  CommandResult counted = Cotrack(args);
  ASSERT_EQ(counted.exit_code, 0) << counted.err;
  EXPECT_THAT(counted.out, HasSubstr("CDW,undefined,2023-02-21,6,2021-10-18,5.5,"));
  EXPECT_THAT(counted.out, HasSubstr("impute-last-visit=1"));
  // --first keeps patient 2's first event only.
  CommandResult first = Cotrack({"progression", "2", "--rule", "msprog", "--baseline", "roving",
                                 "--first", "--format", "csv"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(std::count(first.out.begin(), first.out.end(), '\n'), 2) << first.out;
  EXPECT_THAT(first.out, HasSubstr("2,1,CDW,undefined,2021-06-12"));
}

TEST_F(AnalyticsCliTest, ProgressionCountsAndRelapseEndDates) {
  // Patient 2's relapse of 2021-06-12 lasting to 2021-07-30: the CDW on its
  // onset day is within it (RAW); the 2022-05-19 CDW is PIRA.
  WriteFile(dir_.File("relapses.csv"),
            "id,date,end_date\n2,2021-06-12,2021-07-30\n2,2022-10-25,2022-11-20\n");
  CommandResult r = Cotrack({"progression", "--rule", "msprog", "--baseline", "roving", "--event",
                             "multiple", "--raw-pira", "--from-first-visit", "--relapses",
                             dir_.File("relapses.csv"), "--counts", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("patient,event_sequence,CDW,CDI,RAW,PIRA,total_fu,parameters\n"));
  EXPECT_THAT(r.out, HasSubstr("\n2,\"RAW, PIRA\",2,0,1,1,730,"));
  EXPECT_THAT(r.out, HasSubstr("\n4,\"CDI, PIRA\",1,1,0,1,"));
  // An end date before its onset is an error naming the file and line.
  WriteFile(dir_.File("bad.csv"), "id,date,end_date\n2,2021-06-12,2021-05-01\n");
  CommandResult bad = Cotrack({"progression", "--relapses", dir_.File("bad.csv")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("bad.csv:2"));
}

TEST_F(AnalyticsCliTest, ProgressionUsageErrors) {
  EXPECT_EQ(Cotrack({"progression", "--confirm", "3m"}).exit_code, 2);
  EXPECT_EQ(Cotrack({"progression", "--rule", "lublin"}).exit_code, 2);
  EXPECT_EQ(Cotrack({"progression", "--tolerance", "7,8,9"}).exit_code, 2);
  EXPECT_EQ(Cotrack({"progression", "--measure", "hba1c"}).exit_code, 2);
  CommandResult r = Cotrack({"progression", "--baseline", "moving"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("expected fixed, roving, roving_impr or roving_wors"));
}

TEST_F(AnalyticsCliTest, SummaryJsonByArm) {
  CommandResult r =
      Cotrack({"summary", "edss", "--at", "0,12m", "--by", "arm", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  // Groups (none) [patient 7 has no index date], A, B at two timepoints.
  ASSERT_EQ(lines.size(), 6u) << r.out;
  // Arm A baselines: 5.5 (1), 3.5 (3), 4.0 (5) -> median 4.0.
  EXPECT_THAT(lines[1], HasSubstr(R"("measure":"edss","group":"A","timepoint":"0","patients":3,)"
                                  R"("n":3,"missing":0,"censored":0)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("median":4,)"));
  EXPECT_THAT(lines[0], HasSubstr("\"group\":\"(none)\""));
  EXPECT_THAT(r.err, HasSubstr("no index date"));
  EXPECT_THAT(r.err, HasSubstr(": 7"));
}

TEST_F(AnalyticsCliTest, SummaryUsageErrors) {
  EXPECT_EQ(Cotrack({"summary", "edss", "--at", "6x"}).exit_code, 2);
  EXPECT_EQ(Cotrack({"summary", "edss", "--censored", "zero"}).exit_code, 2);
  EXPECT_EQ(Cotrack({"summary"}).exit_code, 2);
  CommandResult r = Cotrack({"summary", "nosuch", "--at", "0"});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(AnalyticsCliTest, PlotAndReportWriteFiles) {
  CommandResult plot = Cotrack(
      {"plot", "edss", "--at", "0,6m,12m", "--window", "45", "--out", dir_.File("edss.svg")});
  ASSERT_EQ(plot.exit_code, 0) << plot.err;
  const std::string svg = testing::ReadFile(dir_.File("edss.svg"));
  EXPECT_THAT(svg, ::testing::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("median A"));
  EXPECT_THAT(svg, HasSubstr("median B"));

  CommandResult one = Cotrack({"plot", "edss", "--patient", "2"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("(patient 2)"));
  EXPECT_EQ(Cotrack({"plot", "edss", "--patient", "nobody"}).exit_code, 1);

  CommandResult report =
      Cotrack({"report", "--out", dir_.File("r.html"), "--per-patient", "--title", "Toy study"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string html = testing::ReadFile(dir_.File("r.html"));
  EXPECT_THAT(html, ::testing::StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<h1>Toy study</h1>"));
  EXPECT_THAT(html, HasSubstr("Expanded Disability Status Scale"));
  EXPECT_EQ(Cotrack({"report", "--measure", "nosuch", "--out", dir_.File("x.html")}).exit_code, 1);
  EXPECT_EQ(Cotrack({"report", "--at", "7q"}).exit_code, 2);
}

// Lines of `text` that contain `part`.
std::vector<std::string> LinesWith(const std::string& text, const std::string& part) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.find(part) != absl::string_view::npos) out.emplace_back(line);
  }
  return out;
}

TEST_F(AnalyticsCliTest, SummaryAndReportNameThePatientsNotAnalysedInOneLine) {
  // Fourteen more patients without an index date (an observations-only
  // import registers them without one), and patient 7 of msprog's.
  std::string more = "patient,measure,date,value\n";
  for (int i = 1; i <= 14; ++i) {
    more += absl::StrCat("N", i < 10 ? "0" : "", i, ",edss,2021-03-01,2.0\n");
  }
  WriteFile(dir_.File("more.csv"), more);
  ASSERT_EQ(Cotrack({"import", dir_.File("more.csv")}).exit_code, 0);

  CommandResult r = Cotrack({"summary", "edss", "--at", "0,12m", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("not analysed")));  // stdout stays the table
  const std::vector<std::string> lines = LinesWith(r.err, "not analysed");
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_THAT(lines[0], HasSubstr("cotrack: not analysed: no index date: 7, N01, N02, N03, N04, "
                                  "N05, N06, N07, N08, N09, … and 5 more (set index dates with "
                                  "`cotrack import FILE --index-date first-visit` or a patients "
                                  "file patient,index_date)"));

  CommandResult report = Cotrack({"report", "--measure", "edss", "--out", dir_.File("r.html")});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(testing::ReadFile(dir_.File("r.html")),
              HasSubstr("<p class=\"note\">not analysed: no index date: 7, N01, N02"));

  // The command the line names fixes it: each patient's first visit.
  CommandResult fix = Cotrack(
      {"import", dir_.File("visits.csv"), dir_.File("more.csv"), "--index-date", "first-visit"});
  ASSERT_EQ(fix.exit_code, 0) << fix.err;
  EXPECT_THAT(fix.err, HasSubstr("1 index date set to the first visit"));
  EXPECT_THAT(fix.err, HasSubstr("14 index dates set to the first visit"));
  r = Cotrack({"summary", "edss", "--at", "0,12m"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("no index date")));
  // The fourteen have one visit: nothing near 12 months, so no change there.
  EXPECT_THAT(LinesWith(r.err, "not analysed"), ::testing::IsEmpty()) << r.err;
}

}  // namespace
}  // namespace cotrack
