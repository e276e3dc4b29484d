// A database written by an older cotrack stays readable, value for value,
// and keeps working after this one has written to it. tests/data/format1-db
// was written by cotrack 0.1.0 (format 1: series entries as fixed-width
// columns) and tests/data/format1-dump.ndjson is that engine's own dump of
// it (tests/data/README.md says how both were made).
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cotrack/database.h"
#include "support/test_support.h"

namespace cotrack::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A copy of the old database: tests write to it, the checkout stays as it is.
std::string CopyOfFormat1Database(const TempDir& dir) {
  const std::string db = dir.File("format1-db");
  fs::copy(SourcePath("tests/data/format1-db"), db, fs::copy_options::recursive);
  return db;
}

// The dump's lines but its header (which names the database's format).
std::vector<std::string> Records(const std::string& dump) {
  std::vector<std::string> lines = absl::StrSplit(dump, '\n', absl::SkipEmpty());
  EXPECT_FALSE(lines.empty());
  if (!lines.empty()) {
    EXPECT_THAT(lines[0], HasSubstr("\"type\":\"header\""));
    lines.erase(lines.begin());
  }
  return lines;
}

std::string Header(const std::string& dump) { return dump.substr(0, dump.find('\n')); }

TEST(FormatTest, AFormat1DatabaseReadsExactlyAsTheEngineThatWroteItDumpedIt) {
  TempDir dir;
  const std::string db = CopyOfFormat1Database(dir);
  CommandResult dump = RunCotrack({"--db", db, "dump"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  // Every version of every observation (corrections, a retraction, censored
  // values, a converted unit, a date-time, item responses, visits, lines,
  // sources and users): identical, field for field.
  EXPECT_EQ(Records(dump.out), Records(ReadFile(SourcePath("tests/data/format1-dump.ndjson"))));
  CommandResult check = RunCotrack({"--db", db, "check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(FormatTest, WritingToAFormat1DatabaseKeepsItsValuesAndStampsTheNewFormat) {
  TempDir dir;
  const std::string db = CopyOfFormat1Database(dir);
  // A correction of an old value, a new value in an old series and one in a
  // new series: new records beside old ones in one log.
  WriteFile(dir.File("more.csv"),
            "patient,measure,date,value,unit,visit\n"
            "S01,edss,2022-06-09,4.5,,M3\n"
            "S01,edss,2025-03-03,3.5,,M36\n"
            "S05,il4,2024-01-01,<0.5,pg/mL,M12\n");
  CommandResult import =
      RunCotrack({"--db", db, "--user", "newer", "import", dir.File("more.csv")});
  ASSERT_EQ(import.exit_code, 0) << import.err;

  CommandResult dump = RunCotrack({"--db", db, "dump"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_THAT(Header(dump.out), HasSubstr(absl::StrCat("\"database_format\":", kFormatVersion)));
  // Nothing old is lost or changed: every record of the old dump is still
  // there, as it was (the audit log and versions only grow).
  const std::vector<std::string> now = Records(dump.out);
  const std::set<std::string> now_set(now.begin(), now.end());
  for (const std::string& old : Records(ReadFile(SourcePath("tests/data/format1-dump.ndjson")))) {
    if (absl::StartsWith(old, "{\"type\":\"end\"")) continue;  // the counts
    EXPECT_TRUE(now_set.count(old)) << "lost or changed: " << old;
  }

  CommandResult trajectory = RunCotrack({"--db", db, "trajectory", "--format=csv", "S01", "edss"});
  ASSERT_EQ(trajectory.exit_code, 0) << trajectory.err;
  EXPECT_THAT(trajectory.out, HasSubstr("2022-06-09,4.5,"));
  EXPECT_THAT(trajectory.out, HasSubstr("2025-03-03,3.5,"));
  CommandResult history =
      RunCotrack({"--db", db, "history", "--format=csv", "S01", "edss", "2022-06-09"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_EQ(std::count(history.out.begin(), history.out.end(), '\n'), 3) << history.out;
  CommandResult check = RunCotrack({"--db", db, "check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace cotrack::testing
