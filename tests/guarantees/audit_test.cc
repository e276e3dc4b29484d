// Issue 5 item 8: every change appends an audit entry (when, who, what,
// source, counts); entries accumulate, survive reopening, can be listed per
// patient, and nothing edits or deletes them.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cotrack/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

ObservationInput Obs(const std::string& patient, int day, double value) {
  ObservationInput in;
  in.patient = patient;
  in.measure = "edss";
  in.time = CivilTime::FromDay(day);
  in.value = value;
  in.provenance.source = "visits.csv";
  in.provenance.line = 2;
  return in;
}

std::vector<std::string> Actions(const std::vector<AuditRecord>& log) {
  std::vector<std::string> out;
  for (const AuditRecord& a : log) out.push_back(a.action);
  return out;
}

TEST(AuditTest, EntriesAccumulateAndSurviveReopening) {
  TempDir dir;
  {
    Options options;
    options.user = "alice";
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path(), options));
    Batch import;
    for (const char* p : {"P1", "P2", "P3"}) import.Record(Obs(p, 19000, 2.0));
    import.SetAudit("import", "visits.csv");
    ASSERT_OK(db->Apply(import));
    ASSERT_OK(db->Record(Obs("P1", 19000, 2.5)));  // a correction
    Provenance why;
    why.reason = "entered for the wrong patient";
    ASSERT_OK(db->Retract("P3", "edss", CivilTime::FromDay(19000), why));
    MeasureDefinition sdmt;
    sdmt.code = "sdmt";
    sdmt.name = "Symbol Digit Modalities Test";
    sdmt.unit = "score";
    sdmt.max = 110;
    ASSERT_OK(db->RegisterMeasure(sdmt, Provenance{}));
    // Rejected and dry-run writes change nothing, so they log nothing.
    EXPECT_FALSE(db->Record(Obs("P1", 19001, 0.5)).ok());
    WriteOptions dry;
    dry.dry_run = true;
    ASSERT_OK(db->Record(Obs("P9", 19001, 1.0), dry));
  }
  Options options;
  options.user = "bob";
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path(), options));
  ASSERT_OK(db->Record(Obs("P2", 19200, 3.0)));

  ASSERT_OK_AND_ASSIGN(auto log, db->AuditLog());
  EXPECT_THAT(Actions(log), ElementsAre("import", "record", "retract", "measure", "record"));
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].sequence, i + 1);
    EXPECT_GT(log[i].at_us, 0);
    if (i > 0) {
      EXPECT_GE(log[i].at_us, log[i - 1].at_us);
    }
    EXPECT_EQ(log[i].provenance.user, i + 1 < log.size() ? "alice" : "bob") << i;
  }
  EXPECT_EQ(log[0].summary.written, 3);
  EXPECT_EQ(log[0].detail, "visits.csv");
  EXPECT_EQ(log[0].provenance.source, "visits.csv");
  EXPECT_THAT(log[0].patients, ElementsAre("P1", "P2", "P3"));
  EXPECT_EQ(log[1].summary.corrected, 1);
  EXPECT_EQ(log[1].patient, "P1");
  EXPECT_EQ(log[2].summary.retracted, 1);
  EXPECT_EQ(log[2].provenance.reason, "entered for the wrong patient");
  EXPECT_THAT(log[3].detail, HasSubstr("sdmt"));

  // Per patient: the three-patient import is listed for each of them.
  ASSERT_OK_AND_ASSIGN(auto p2, db->AuditLog("P2"));
  EXPECT_THAT(Actions(p2), ElementsAre("import", "record"));
  ASSERT_OK_AND_ASSIGN(auto p3, db->AuditLog("P3"));
  EXPECT_THAT(Actions(p3), ElementsAre("import", "retract"));
  ASSERT_OK_AND_ASSIGN(auto p9, db->AuditLog("P9"));
  EXPECT_TRUE(p9.empty());

  // A copy handed out is only a copy: changing it changes nothing stored.
  log[0].action = "tampered";
  ASSERT_OK_AND_ASSIGN(auto again, db->AuditLog());
  EXPECT_EQ(again[0].action, "import");
}

TEST(AuditTest, TheCommandLineListsWhoDidWhat) {
  TempDir dir;
  const std::string db = dir.File("db");
  WriteFile(dir.File("obs.csv"),
            "patient,measure,date,value\nP1,edss,2024-01-01,2.0\nP2,edss,2024-01-01,3.5\n");
  WriteFile(dir.File("fix.csv"), "patient,measure,date,value\nP2,edss,2024-01-01,4.0\n");
  ASSERT_EQ(RunCotrack({"--db", db, "--user", "carol", "import", dir.File("obs.csv")}).exit_code,
            0);
  ASSERT_EQ(RunCotrack({"--db", db, "import", dir.File("fix.csv"), "--user=dave"}).exit_code, 0);

  testing::CommandResult all = RunCotrack({"--db", db, "audit", "--format", "csv"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("seq,at,action,user,source,patient,patients,written"));
  EXPECT_THAT(all.out, HasSubstr(",import,carol,"));
  EXPECT_THAT(all.out, HasSubstr(",import,dave,"));

  testing::CommandResult p1 = RunCotrack({"--db", db, "audit", "--patient", "P1"});
  ASSERT_EQ(p1.exit_code, 0) << p1.err;
  EXPECT_THAT(p1.out, HasSubstr("carol"));
  EXPECT_THAT(p1.out, Not(HasSubstr("dave")));
  testing::CommandResult p2 =
      RunCotrack({"--db", db, "audit", "--patient", "P2", "--format", "json"});
  ASSERT_EQ(p2.exit_code, 0) << p2.err;
  EXPECT_THAT(p2.out, HasSubstr("\"user\":\"dave\""));
  EXPECT_THAT(p2.out, HasSubstr("\"corrected\":1"));

  testing::CommandResult unknown = RunCotrack({"--db", db, "audit", "--patient", "NOPE"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("unknown patient"));
  EXPECT_EQ(RunCotrack({"--db", db, "audit", "--format", "xml"}).exit_code, 2);
}

// The line of `out` holding `needle`, or "" (the test then fails on it).
std::string LineWith(const std::string& out, const std::string& needle) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StrContains(line, needle)) return std::string(line);
  }
  return "";
}

// Issue 16 item 5: clinicians writing from the command line beside a web
// application that holds the database (so every command is served over the
// socket): each write keeps its --user and --reason, and history and audit
// show them.
TEST(AuditTest, TheCommandLineAttributesEachWriteToItsUserAndReason) {
  TempDir dir;
  const std::string db = dir.File("db");
  Options options;
  options.user = "webapp";
  ASSERT_OK_AND_ASSIGN(auto app, Database::Open(db, options));
  WriteFile(dir.File("obs.csv"),
            "patient,measure,date,value\nP1,edss,2024-01-05,3.0\nP1,hba1c,2024-01-05,6.5\n");
  WriteFile(dir.File("fix.csv"), "patient,measure,date,value\nP1,edss,2024-01-05,3.5\n");
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"--user", "dr.ada", "import", dir.File("obs.csv"), "--reason", "baseline visit"},
           {"--user", "dr.bo", "import", dir.File("fix.csv"), "--reason=re-scored the FS"},
           {"--user", "dr.bo", "retract", "P1", "hba1c", "2024-01-05", "--reason",
            "sample of another patient"},
           {"--user", "dr.ada", "measure", "add", "--code", "grip", "--name", "Grip", "--unit",
            "kg", "--min", "0", "--max", "100", "--reason", "protocol amendment 2"}}) {
    std::vector<std::string> args = {"--db", db};
    args.insert(args.end(), command.begin(), command.end());
    testing::CommandResult r = RunCotrack(args);
    ASSERT_EQ(r.exit_code, 0) << command[2] << ": " << r.err;
  }

  testing::CommandResult history =
      RunCotrack({"--db", db, "history", "P1", "edss", "2024-01-05", "--format", "csv"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_THAT(LineWith(history.out, "obs.csv:2"), HasSubstr(",dr.ada,baseline visit"));
  EXPECT_THAT(LineWith(history.out, "fix.csv:2"), HasSubstr(",dr.bo,re-scored the FS"));
  testing::CommandResult retracted =
      RunCotrack({"--db", db, "history", "P1", "hba1c", "2024-01-05", "--format", "csv"});
  ASSERT_EQ(retracted.exit_code, 0) << retracted.err;
  EXPECT_THAT(LineWith(retracted.out, "entered-in-error"),
              HasSubstr(",dr.bo,sample of another patient"));

  testing::CommandResult audit = RunCotrack({"--db", db, "audit", "--format", "csv"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(LineWith(audit.out, "obs.csv"), HasSubstr(",import,dr.ada,"));
  EXPECT_THAT(LineWith(audit.out, "obs.csv"), HasSubstr(",baseline visit"));
  EXPECT_THAT(LineWith(audit.out, "fix.csv"), HasSubstr(",import,dr.bo,"));
  EXPECT_THAT(LineWith(audit.out, "fix.csv"), HasSubstr(",re-scored the FS"));
  EXPECT_THAT(LineWith(audit.out, ",retract,"), HasSubstr(",dr.bo,"));
  EXPECT_THAT(LineWith(audit.out, ",retract,"), HasSubstr(",sample of another patient"));
  EXPECT_THAT(LineWith(audit.out, ",measure,"), HasSubstr(",dr.ada,"));
  EXPECT_THAT(LineWith(audit.out, ",measure,"), HasSubstr(",protocol amendment 2"));

  // The application's handle reads the same.
  ASSERT_OK_AND_ASSIGN(auto versions, app->History("P1", "edss", *ParseCivilTime("2024-01-05")));
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[1].provenance.user, "dr.bo");
  EXPECT_EQ(versions[1].provenance.reason, "re-scored the FS");

  // An empty reason is a usage error, not "no reason".
  EXPECT_EQ(RunCotrack({"--db", db, "import", dir.File("obs.csv"), "--reason", " "}).exit_code, 2);
}

}  // namespace
}  // namespace cotrack
