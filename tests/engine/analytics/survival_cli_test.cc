// `cotrack survival` as a user runs it: msprog's toy cohort imported, time
// to first confirmed worsening by arm. The expected numbers are R's on the
// patients' times (origin: the index-date baseline, or the first visit for
// patient 7 who has no index date; end: the first worsening `cotrack
// progression --first` lists, else the last visit):
//   time = c(292, 198, 491, 304, 140, 491, 372)   # patients 1..7
//   status = c(1, 1, 0, 1, 1, 0, 1); g = c(A, B, A, B, A, B, (none))
//   survfit(Surv(time, status) ~ g, conf.type = "log-log"):
//     (none) 1 1 372 NA NA;  A 3 2 292 140 NA;  B 3 2 304 198 NA
//   survdiff: chisq 0.058212367783083308, df 2, p 0.97131332116227587
#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cotrack/survival.h"
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
using ::testing::StartsWith;

class SurvivalCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("visits.csv"), MsprogToyEdssObservations());
    WriteFile(dir_.File("patients.csv"),
              "patient,arm,index_date,site\n1,A,2021-10-01,x\n2,B,2020-12-01,y\n"
              "3,A,2021-10-20,x\n4,B,2021-09-20,y\n5,A,2021-06-15,x\n6,B,2021-10-19,y\n");
    CommandResult r = Cotrack({"import", dir_.File("visits.csv"), dir_.File("patients.csv")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  CommandResult Cotrack(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", dir_.File("db")});
    return RunCotrack(args);
  }

  std::vector<std::string> Msprog(std::vector<std::string> more) {
    std::vector<std::string> args = {"survival",
                                     "--rule",
                                     "msprog",
                                     "--baseline",
                                     "roving",
                                     "--relapses",
                                     SharedData("msprog_toydata/MSprog_toydata_relapses.csv")};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  TempDir dir_;
};

TEST_F(SurvivalCliTest, JsonByArmMatchesR) {
  CommandResult r = Cotrack(Msprog({"--by", "arm", "--format", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_THAT(lines[0], StartsWith(R"j({"group":"(none)","n":1,"events":1,"median":372,)j"
                                   R"("lower":null,"upper":null,)"));
  EXPECT_THAT(lines[1], StartsWith(R"({"group":"A","n":3,"events":2,"median":292,)"
                                   R"("lower":140,"upper":null,)"));
  EXPECT_THAT(lines[2], StartsWith(R"({"group":"B","n":3,"events":2,"median":304,)"
                                   R"("lower":198,"upper":null,)"));
  EXPECT_THAT(lines[3], StartsWith(R"({"test":"log-rank","chisq":0.0582123677830)"));
  EXPECT_THAT(lines[3], HasSubstr(R"("df":2,"p":0.971313321162)"));
  // The settings travel with every object.
  EXPECT_THAT(lines[3], HasSubstr("time to event=firstCDW by=arm"));
  EXPECT_THAT(lines[3], HasSubstr("delta=edss:msprog event=firstCDW"));
}

TEST_F(SurvivalCliTest, EventsAreProgressionsFirstWorsenings) {
  CommandResult p = Cotrack({"progression", "--rule", "msprog", "--baseline", "roving",
                             "--relapses", SharedData("msprog_toydata/MSprog_toydata_relapses.csv"),
                             "--event", "worsening", "--first", "--format", "csv"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const int64_t firsts = std::count(p.out.begin(), p.out.end(), '\n') - 1;
  CommandResult s = Cotrack(Msprog({"--format", "csv"}));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  std::vector<std::string> lines = absl::StrSplit(s.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << s.out;
  EXPECT_THAT(lines[0], StartsWith("group,n,events,median,lower,upper,chisq,df,p,parameters"));
  EXPECT_THAT(lines[1], StartsWith("all,7," + std::to_string(firsts) + ","));
  EXPECT_THAT(lines[2], StartsWith("log-rank,7," + std::to_string(firsts) +
                                   ",,,,0,0,,\"time to event=firstCDW"));
}

// The csv (cotrack_survival's table too): what a group row has no value
// for (the test's chisq, df, p) and what the test's row has none for (the
// curve's median, survival and number at risk) are empty fields, while a
// time beyond a group's follow-up has survival empty and 0 at risk.
TEST_F(SurvivalCliTest, CsvLeavesEmptyWhatARowHasNoValueFor) {
  CommandResult r = Cotrack(Msprog({"--by", "arm", "--at", "300d,1000d", "--format", "csv"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[0],
            "group,n,events,median,lower,upper,survival_300d,survival_lower_300d,"
            "survival_upper_300d,at_risk_300d,survival_1000d,survival_lower_1000d,"
            "survival_upper_1000d,at_risk_1000d,chisq,df,p,parameters");
  // Group A (R: times 292, 491, 140; events at 292 and 140): at 300 days
  // one of three left, 1000 days beyond its follow-up.
  EXPECT_THAT(lines[2], StartsWith("A,3,2,292,140,,0.333"));
  EXPECT_THAT(lines[2], HasSubstr(",1,,,,0,,,,\"time to event=firstCDW"));
  EXPECT_THAT(lines[4], StartsWith("log-rank,7,5,,,,,,,,,,,,0.0582123677830"));
  EXPECT_THAT(lines[4], HasSubstr(",2,0.971313321162"));
}

// Relapse end dates decide which worsenings are RAW (msprog): survival must
// read them as progression does, or its first RAW is not progression's.
TEST(SurvivalEndDatesTest, FirstRawIsProgressionsWithRelapseEndDates) {
  const std::string cohort = std::string(COTRACK_SOURCE_DIR) + "/tests/engine/msprog/";
  TempDir dir;
  std::ifstream in(cohort + "cohort_visits.csv");
  ASSERT_TRUE(in);
  std::string line;
  std::getline(in, line);  // id,date,EDSS,SDMT,T25FW
  std::ostringstream obs;
  obs << "patient,measure,date,value\n";
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() < 3 || f[2].empty() || f[2] == "NA") continue;
    obs << f[0] << ",edss," << f[1] << "," << f[2] << "\n";
  }
  WriteFile(dir.File("visits.csv"), obs.str());
  const std::string db = dir.File("db");
  CommandResult r = RunCotrack({"--db", db, "import", dir.File("visits.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> common = {"--rule",   "msprog",     "--event",
                                           "firstRAW", "--relapses", cohort + "cohort_relapses.csv",
                                           "--format", "csv"};
  std::vector<std::string> args = {"--db", db, "progression"};
  args.insert(args.end(), common.begin(), common.end());
  CommandResult p = RunCotrack(args);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const int64_t raws = std::count(p.out.begin(), p.out.end(), '\n') - 1;
  ASSERT_GT(raws, 0) << p.out;
  args = {"--db", db, "survival"};
  args.insert(args.end(), common.begin(), common.end());
  CommandResult s = RunCotrack(args);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  std::vector<std::string> lines = absl::StrSplit(s.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << s.out;
  std::vector<std::string> fields = absl::StrSplit(lines[1], ',');
  ASSERT_GE(fields.size(), 3u) << lines[1];
  EXPECT_EQ(fields[2], std::to_string(raws)) << s.out << "\n" << p.out;
}

TEST_F(SurvivalCliTest, TableHasSettingsAtRiskAndTest) {
  CommandResult r = Cotrack(Msprog({"--by", "arm", "--at", "180d,1y"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("# time to event=firstCDW by=arm at=180d,365.25d"));
  EXPECT_THAT(r.out, HasSubstr("# number at risk"));
  // At 180 days A has lost patient 5 (event at 140), B nobody; at 365.25
  // one each is left. Limits never reached read NR.
  EXPECT_THAT(r.out, HasSubstr("A        3     2        1\n"));
  EXPECT_THAT(r.out, HasSubstr("B        3     3        1\n"));
  EXPECT_THAT(r.out, HasSubstr("A       3       2     292    140  NR\n"));
  EXPECT_THAT(r.out, HasSubstr("# log-rank test: chisq=0.058 df=2 p=0.9713"));
}

TEST_F(SurvivalCliTest, Errors) {
  CommandResult r = Cotrack({"survival", "--by", "sitex"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("\"sitex\": no patient has this attribute"));
  EXPECT_THAT(r.err, HasSubstr("\"site\""));
  r = Cotrack({"survival", "--at", "soon"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--at: bad value \"soon\""));
  // progression's own checks.
  r = Cotrack({"survival", "--confirm", "3m"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--confirm"));
}

// The command parses progression's options with progression's parser and
// cotrack_survival with the engine's ParseSurvivalOptions: both must accept
// and reject the same values with the same message, or the C and Python
// callers would see another tool.
TEST_F(SurvivalCliTest, CommandAndEngineParserAgree) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"confirm", "3m"},        {"rule", "lublin"},
      {"tolerance", "x"},       {"baseline", "moving"},
      {"relapse-window", "-1"}, {"measure", "hba1c"},
      {"event", "sometimes"},   {"at", "soon"}};
  for (const auto& [name, value] : bad) {
    SCOPED_TRACE(name);
    absl::StatusOr<SurvivalOptions> engine = ParseSurvivalOptions({{name, value}});
    ASSERT_FALSE(engine.ok());
    CommandResult r = Cotrack({"survival", "--" + name, value});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr(std::string(engine.status().message())));
  }
  const std::vector<std::vector<std::string>> good = {
      {"--confirm", "24w", "--tolerance", "7,inf", "--baseline", "roving"},
      {"--rule", "msoutcomes", "--no-intermediate", "--relapse-window", "0"},
      {"--event", "improvement", "--unconfirmed-last", "--from-first-visit"}};
  for (const std::vector<std::string>& flags : good) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i < flags.size(); ++i) {
      const std::string name = flags[i].substr(2);
      const bool has_value = i + 1 < flags.size() && flags[i + 1].rfind("--", 0) != 0;
      pairs.emplace_back(name, has_value ? flags[i + 1] : "");
      if (has_value) ++i;
    }
    ASSERT_OK_AND_ASSIGN(SurvivalOptions o, ParseSurvivalOptions(pairs));
    std::vector<std::string> args = {"survival", "--format", "csv"};
    args.insert(args.end(), flags.begin(), flags.end());
    CommandResult r = Cotrack(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The same settings line, hence the same options.
    EXPECT_THAT(r.out, HasSubstr(DescribeProgressionOptions(o.progression))) << r.out;
  }
}

}  // namespace
}  // namespace cotrack
