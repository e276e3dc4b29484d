// Relapses stored in the database (`cotrack import` of a relapse CSV into the
// built-in measure "relapse") are what `cotrack progression` and `cotrack
// survival` use by default: the same events as with --relapses FILE, end
// dates included, on msprog's toy data and on the differential-test cohort
// (tests/engine/msprog). And the MS outcomes sdmt and t25fw are built-in, so
// that cohort's wide visit file imports as it is.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::CommandResult;
using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::SharedData;
using ::cotrack::testing::SourcePath;
using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;

// The output without the settings' relapse source ("relapses=FILE" against
// "relapses=measure relapse"), which is meant to differ.
std::string WithoutRelapseSource(const std::string& out) {
  std::string r;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    std::string l(line);
    size_t at = l.find("relapses=");
    while (at != std::string::npos) {
      size_t end = l.find('"', at);  // the setting is the last of the column
      l.erase(at, end == std::string::npos ? std::string::npos : end - at);
      at = l.find("relapses=");
    }
    r += l + "\n";
  }
  return r;
}

class StoredRelapsesTest : public ::testing::Test {
 protected:
  CommandResult Cotrack(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", dir_.File("db")});
    return RunCotrack(args);
  }
  std::string Cohort(const std::string& file) { return SourcePath("tests/engine/msprog/" + file); }

  TempDir dir_;
};

TEST_F(StoredRelapsesTest, ImportedRelapsesWithEndDatesGiveTheEventsOfTheFile) {
  CommandResult v = Cotrack({"import", Cohort("cohort_visits.csv")});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  CommandResult r = Cotrack({"import", Cohort("cohort_relapses.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr("relapses"));  // the format it was read as
  CommandResult t = Cotrack({"trajectory", "P001", "relapse", "--derived", "--format", "csv"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("2021-11-10"));
  EXPECT_THAT(t.out, HasSubstr("end_date"));
  EXPECT_THAT(t.out, HasSubstr("2022-01-24"));

  // settings.csv: enddates_multiple and enddates_event0 (relapse end dates).
  const std::vector<std::vector<std::string>> settings = {
      {"--rule", "msprog", "--event", "multiple", "--baseline", "roving", "--raw-pira"},
      {"--rule", "msprog", "--event", "multiple", "--raw-pira", "--relapse-to-bl", "0",
       "--relapse-to-event", "20"},
  };
  for (const std::vector<std::string>& setting : settings) {
    std::vector<std::string> stored = {"progression", "--format", "csv"};
    stored.insert(stored.end(), setting.begin(), setting.end());
    std::vector<std::string> file = stored;
    file.insert(file.end(), {"--relapses", Cohort("cohort_relapses.csv")});
    CommandResult a = Cotrack(stored);
    CommandResult b = Cotrack(file);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    // The relapses matter here: without them the events differ.
    std::vector<std::string> without = stored;
    without.insert(without.end(), {"--relapse-measure", "none"});
    CommandResult n = Cotrack(without);
    ASSERT_EQ(n.exit_code, 0) << n.err;
    EXPECT_NE(WithoutRelapseSource(n.out), WithoutRelapseSource(a.out));
    EXPECT_THAT(a.out, HasSubstr("measure relapse"));
    EXPECT_EQ(WithoutRelapseSource(a.out), WithoutRelapseSource(b.out));
    // Survival takes them the same way.
    std::vector<std::string> km = {"survival", "--format", "csv",    "--event",
                                   "firstRAW", "--rule",   "msprog", "--raw-pira"};
    CommandResult ka = Cotrack(km);
    km.insert(km.end(), {"--relapses", Cohort("cohort_relapses.csv")});
    CommandResult kb = Cotrack(km);
    ASSERT_EQ(ka.exit_code, 0) << ka.err;
    ASSERT_EQ(kb.exit_code, 0) << kb.err;
    EXPECT_EQ(WithoutRelapseSource(ka.out), WithoutRelapseSource(kb.out));
  }
}

TEST_F(StoredRelapsesTest, MsprogToyRelapsesWithoutEndDates) {
  // msprog's toy visits as an observations file (its own header has
  // visit_day and the EDSS in the fourth column).
  std::string obs = "patient,measure,date,value\n";
  bool header = true;
  for (absl::string_view line :
       absl::StrSplit(testing::ReadFile(SharedData("msprog_toydata/MSprog_toydata_visits.csv")),
                      '\n', absl::SkipEmpty())) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> f = absl::StrSplit(line, ',');
    std::string id = f[0];
    id.erase(std::remove(id.begin(), id.end(), '"'), id.end());
    obs += id + ",edss," + f[1] + "," + f[3] + "\n";
  }
  testing::WriteFile(dir_.File("visits.csv"), obs);
  ASSERT_EQ(Cotrack({"import", dir_.File("visits.csv")}).exit_code, 0);
  const std::string relapses = SharedData("msprog_toydata/MSprog_toydata_relapses.csv");
  CommandResult none = Cotrack({"progression", "--format", "csv", "--event", "multiple"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("relapses=none"));
  CommandResult r = Cotrack({"import", relapses});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CommandResult t = Cotrack({"trajectory", "2", "relapse", "--format", "csv"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("2021-06-12"));
  EXPECT_THAT(t.out, HasSubstr("2022-10-25"));
  for (const char* event : {"multiple", "firstCDW"}) {
    CommandResult a = Cotrack({"progression", "--format", "csv", "--event", event, "--raw-pira"});
    CommandResult b = Cotrack(
        {"progression", "--format", "csv", "--event", event, "--raw-pira", "--relapses", relapses});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(WithoutRelapseSource(a.out), WithoutRelapseSource(b.out));
  }
  // A retracted relapse is no longer one: the stored relapses are values.
  CommandResult x = Cotrack({"retract", "2", "relapse", "2021-06-12", "--reason", "not a relapse"});
  ASSERT_EQ(x.exit_code, 0) << x.err;
  testing::WriteFile(dir_.File("one.csv"), "id,date\n2,2022-10-25\n");
  CommandResult a =
      Cotrack({"progression", "--format", "csv", "--event", "multiple", "--raw-pira"});
  CommandResult b = Cotrack({"progression", "--format", "csv", "--event", "multiple", "--raw-pira",
                             "--relapses", dir_.File("one.csv")});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(WithoutRelapseSource(a.out), WithoutRelapseSource(b.out));
}

TEST_F(StoredRelapsesTest, SdmtAndT25fwAreBuiltInOutcomes) {
  CommandResult v = Cotrack({"import", Cohort("cohort_visits.csv")});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  CommandResult m = Cotrack({"measure", "show", "sdmt", "--format", "csv"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_THAT(m.out, HasSubstr("higher-is-better"));
  CommandResult p = Cotrack({"progression", "--measure", "sdmt", "--format", "csv"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_THAT(p.out, HasSubstr("outcome=sdmt"));
  CommandResult s = Cotrack({"summary", "t25fw", "--format", "csv"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
}

}  // namespace
}  // namespace cotrack
