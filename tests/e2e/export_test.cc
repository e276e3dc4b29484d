// End-to-end: `cotrack export`, `dump` and `load` as a user runs them.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cotrack/database.h"
#include "cotrack/time_zone.h"
#include "support/test_support.h"

namespace cotrack::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kObservations[] =
    "patient,measure,date,value,unit,visit\n"
    "P-Anna-1,edss,2024-01-10,2.0,,M0\n"
    "P-Anna-1,edss,2024-07-10,2.5,,M6\n"
    "P-Anna-1,edss,2025-01-10,3.0,,M12\n"
    "P-Anna-1,il4,2024-01-11,<0.5,pg/mL,M0\n"
    "P-Anna-1,hba1c,2024-07-12,48,mmol/mol,M6\n"
    "P-Bert-2,edss,2024-02-01,1.0,,M0\n";

constexpr char kCorrections[] =
    "patient,measure,date,value,unit,visit\n"
    "P-Anna-1,edss,2024-07-10,3.5,,M6\n";

constexpr char kPatients[] =
    "patient,arm,index_date,site\n"
    "P-Anna-1,aHSCT,2024-01-15,Karolinska\n"
    "P-Bert-2,control,2024-02-03,Karolinska\n";

class ExportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("obs.csv"), kObservations);
    WriteFile(dir_.File("fix.csv"), kCorrections);
    WriteFile(dir_.File("patients.csv"), kPatients);
    WriteFile(dir_.File("key"), "0123456789abcdef0123456789abcdef\n");
    ASSERT_EQ(Run(db_, {"import", dir_.File("patients.csv")}).exit_code, 0);
    CommandResult r = Run(db_, {"import", dir_.File("obs.csv")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Run(db_, {"import", dir_.File("fix.csv")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Run(db_, {"retract", "P-Anna-1", "edss", "2025-01-10", "--reason", "duplicate visit"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  CommandResult Run(const std::string& db, std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db});
    return RunCotrack(args);
  }

  TempDir dir_;
  const std::string db_ = dir_.File("db");
};

TEST_F(ExportCliTest, CsvAndNdjsonRowsAreThoseOfTrajectory) {
  CommandResult csv =
      Run(db_, {"export", "--format", "csv", "--measure", "edss", "--patient", "P-Anna-1"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  CommandResult trajectory = Run(db_, {"trajectory", "P-Anna-1", "edss", "--format", "csv"});
  ASSERT_EQ(trajectory.exit_code, 0) << trajectory.err;
  EXPECT_EQ(csv.out, trajectory.out);
  EXPECT_FALSE(absl::StrContains(csv.out, "2025-01-10"));  // retracted
  EXPECT_THAT(csv.out, HasSubstr(",3.5,score,,M6,amended,2,"));

  CommandResult json = Run(db_, {"export", "--format", "ndjson", "--measure", "il4"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  CommandResult trajectory_json = Run(db_, {"trajectory", "P-Anna-1", "il4", "--format", "json"});
  EXPECT_EQ(json.out, trajectory_json.out);
}

TEST_F(ExportCliTest, DumpLoadCheckAndExportAgainIsIdentical) {
  const std::string copy = dir_.File("copy");
  CommandResult dump = Run(db_, {"dump", "--out", dir_.File("all.ndjson")});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  CommandResult load = Run(copy, {"load", dir_.File("all.ndjson")});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_THAT(load.err, HasSubstr("loaded 2 patients"));

  CommandResult check = Run(copy, {"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  for (std::vector<std::string> args :
       {std::vector<std::string>{"export", "--format", "csv"},
        std::vector<std::string>{"export", "--format", "ndjson"},
        std::vector<std::string>{"export", "--format", "fhir", "--with-patients"},
        std::vector<std::string>{"export", "--format", "fhir", "--deidentify", "--key-file",
                                 dir_.File("key")},
        std::vector<std::string>{"dump"}, std::vector<std::string>{"audit"},
        std::vector<std::string>{"history", "P-Anna-1", "edss", "2024-07-10", "--format", "csv"}}) {
    CommandResult before = Run(db_, args);
    CommandResult after = Run(copy, args);
    ASSERT_EQ(before.exit_code, 0) << args[0] << ": " << before.err;
    EXPECT_FALSE(before.out.empty()) << args[0];
    EXPECT_EQ(before.out, after.out) << absl::StrJoin(args, " ");
  }

  // From standard input, the same database.
  CommandResult from_stdin =
      RunCotrack({"--db", dir_.File("copy2"), "load", "-"}, {}, ReadFile(dir_.File("all.ndjson")));
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(Run(dir_.File("copy2"), {"dump"}).out, ReadFile(dir_.File("all.ndjson")));

  // Loading again into the now non-empty database is refused.
  CommandResult again = Run(copy, {"load", dir_.File("all.ndjson")});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already holds data"));
}

TEST_F(ExportCliTest, DeidentifiedExportLeavesNoIdOrDate) {
  for (const char* format : {"csv", "ndjson", "fhir"}) {
    std::vector<std::string> args = {"export",       "--format",   format,
                                     "--deidentify", "--key-file", dir_.File("key")};
    if (std::string(format) == "fhir") args.push_back("--with-patients");
    CommandResult r = Run(db_, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("de-identified"));
    EXPECT_FALSE(r.out.empty());
    // Every id and every date of the source files, and the free text.
    for (const std::string& source : {std::string(kObservations), std::string(kPatients)}) {
      for (absl::string_view line : absl::StrSplit(source, '\n', absl::SkipEmpty())) {
        for (absl::string_view field : absl::StrSplit(line, ',')) {
          if (absl::StartsWith(field, "P-") || absl::StartsWith(field, "20") ||
              field == "Karolinska") {
            EXPECT_FALSE(absl::StrContains(r.out, field)) << format << ": " << field;
          }
        }
      }
    }
    EXPECT_FALSE(absl::StrContains(r.out, "obs.csv"));
  }
  CommandResult bad = Run(db_, {"export", "--deidentify"});
  EXPECT_EQ(bad.exit_code, 2);
  WriteFile(dir_.File("short"), "abc");
  CommandResult short_key = Run(db_, {"export", "--deidentify", "--key-file", dir_.File("short")});
  EXPECT_EQ(short_key.exit_code, 1);
  EXPECT_THAT(short_key.err, HasSubstr("at least 16"));
}

// OMOP CDM 5.4 (issue 15, item 2) as a user runs it: export a directory,
// import the directory into a new database, export again: the same tables.
TEST_F(ExportCliTest, OmopDirectoryExportsAndImportsBack) {
  CommandResult r = Run(db_, {"export", "--format", "omop"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("give it as --out DIR"));
  const std::string first = dir_.File("omop1"), second = dir_.File("omop2");
  r = Run(db_, {"export", "--format", "omop", "--out", first});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string db2 = dir_.File("db2");
  r = Run(db2, {"import", first});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("person.csv (omop-person): 2 rows read"));
  EXPECT_THAT(r.err, HasSubstr("measurement.csv (omop-measurement): 5 rows read: 5 written"));
  r = Run(db2, {"export", "--format", "omop", "--out", second});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* table : {"measurement.csv", "person.csv", "observation_period.csv"}) {
    EXPECT_EQ(ReadFile(second + "/" + table), ReadFile(first + "/" + table)) << table;
  }
}

// Instants and the import's time zone (issue 15, item 4).
TEST_F(ExportCliTest, ImportTimeZoneConvertsInstantsAndUnknownZonesAreRefused) {
  WriteFile(dir_.File("z.csv"),
            "patient,measure,date,value\nP-Zoe-3,edss,2024-03-05T23:30:00Z,2.0\n");
  CommandResult r = Run(db_, {"import", dir_.File("z.csv"), "--timezone", "Mars/Olympus"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("unknown time zone \"Mars/Olympus\""));
  EXPECT_THAT(r.err, HasSubstr("timedatectl list-timezones"));
  r = Run(db_, {"import", dir_.File("z.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("warning: 1 date-time with a UTC offset or Z"));
  const std::string db2 = dir_.File("db-berlin");
  r = Run(db2, {"import", dir_.File("z.csv"), "--timezone", "Europe/Berlin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("warning")));
  r = Run(db2, {"trajectory", "P-Zoe-3", "edss", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2024-03-06T00:30:00"));
}

// The database's time zone (issue 15, item 4), set with the real program
// while this process holds the database, so that the setting, the reads and
// the import go through the serving process: a Synthea CSV instant lands on
// the clinic's civil day, and a change once values are stored needs --force.
TEST_F(ExportCliTest, DatabaseTimeZoneIsSetOnceAndUsedByImportsOfEveryProcess) {
  const std::string db2 = dir_.File("db-la");
  CommandResult r = Run(db2, {"timezone", "Mars/Olympus"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("unknown time zone \"Mars/Olympus\""));
  EXPECT_FALSE(std::filesystem::exists(db2)) << "a mistyped zone created a database";
  r = Run(db2, {"timezone", "America/Los_Angeles"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<std::unique_ptr<Database>> held = Database::Open(db2);
  ASSERT_TRUE(held.ok()) << held.status();
  r = Run(db2, {"timezone"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "America/Los_Angeles\n");

  r = Run(db2, {"import", SharedData("synthea_csv_dbt_ohdsi/observations.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("warning")));
  r = Run(db2, {"trajectory", "1cd7cc0a-2e2a-c167-1207-cad02d69328e", "hba1c", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2023-10-25T22:20:38"));  // 2023-10-26T05:20:38Z in the file

  // FHIR times carry the zone's offset (valid R4), and read back as the
  // same civil time.
  r = Run(db2, {"export", "--format", "fhir", "--out", dir_.File("la.ndjson")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string fhir = ReadFile(dir_.File("la.ndjson"));
  EXPECT_THAT(fhir, HasSubstr(R"("effectiveDateTime":"2023-10-25T22:20:38-07:00")"));
  EXPECT_THAT(fhir, Not(HasSubstr("time-of-day")));
  const std::string db3 = dir_.File("db-utc");
  r = Run(db3, {"import", dir_.File("la.ndjson"), "--timezone", "America/Los_Angeles"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run(db3, {"trajectory", "1cd7cc0a-2e2a-c167-1207-cad02d69328e", "hba1c", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2023-10-25T22:20:38"));

  r = Run(db2, {"timezone", "Europe/Berlin"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("never converted again"));
  EXPECT_THAT(r.err, HasSubstr("--force"));
  r = Run(db2, {"timezone", "Europe/Berlin", "--force", "--reason", "clinic moved"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<std::string> zone = DatabaseTimeZone(**held);
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(*zone, "Europe/Berlin");
  r = Run(db2, {"audit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("clinic moved"));

  // A backup carries it as data, as a dump does.
  held->reset();
  r = Run(db2, {"backup", dir_.File("backups")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCotrack({"restore", dir_.File("backups"), "--to", dir_.File("restored")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run(dir_.File("restored"), {"timezone"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Europe/Berlin\n");
  r = Run(db2, {"dump", "--out", dir_.File("la.dump")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCotrack({"--db", dir_.File("loaded"), "load", dir_.File("la.dump")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run(dir_.File("loaded"), {"timezone"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Europe/Berlin\n");

  // A database without a zone says so.
  r = Run(db_, {"timezone"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "none\n");
}

// The current values of `db` without its bookkeeping (version,
// recorded_at, amended: a copy stores a correction as its first version).
std::string Values(const std::string& csv) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(csv, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() >= 10) f.resize(8);
    if (f.back() == "amended") f.back() = "final";
    absl::StrAppend(&out, absl::StrJoin(f, ","), "\n");
  }
  return out;
}

// Feeding a registry incrementally (issue 15, item 3): a full load that says
// where it ends, changes since then as FHIR with entered-in-error for a
// retraction, and the copy equals the source.
TEST_F(ExportCliTest, SinceExportsFeedACopyIncrementally) {
  CommandResult r = Run(db_, {"export", "--format", "fhir", "--with-patients", "--since",
                              "1970-01-01", "--out", dir_.File("full.ndjson")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t next = r.err.find("next: --since ");
  ASSERT_NE(next, std::string::npos) << r.err;
  const std::string t1(absl::StripAsciiWhitespace(r.err.substr(next + 14)));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("exported changes up to ", t1)));
  const std::string copy = dir_.File("copy");
  r = Run(copy, {"import", dir_.File("full.ndjson")});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  WriteFile(dir_.File("more.csv"),
            "patient,measure,date,value,unit,visit\n"
            "P-Bert-2,edss,2024-08-01,1.5,,M6\n"
            "P-Anna-1,hba1c,2024-07-12,50,mmol/mol,M6\n");
  r = Run(db_, {"import", dir_.File("more.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run(db_, {"retract", "P-Anna-1", "edss", "2024-01-10", "--reason", "wrong patient"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = Run(db_, {"export", "--format", "fhir", "--with-patients", "--since", t1, "--out",
                dir_.File("changes.ndjson")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("exported 3 values of 2 patients"));
  EXPECT_THAT(r.err, HasSubstr("1 of them retractions"));
  const std::string changes = ReadFile(dir_.File("changes.ndjson"));
  EXPECT_THAT(changes, HasSubstr(R"("status":"entered-in-error")"));
  EXPECT_THAT(changes, Not(HasSubstr("2024-01-11")));  // il4, unchanged
  r = Run(copy, {"import", dir_.File("changes.ndjson")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("1 retracted"));

  CommandResult want = Run(db_, {"export"});
  CommandResult got = Run(copy, {"export"});
  ASSERT_EQ(want.exit_code, 0) << want.err;
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(Values(got.out), Values(want.out));
  EXPECT_THAT(want.out, Not(HasSubstr("2024-01-10")));

  // The same changes as CSV: the retraction is a row with status
  // entered-in-error, and the copy takes it as one.
  r = Run(db_, {"export", "--since", t1});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("P-Anna-1,edss,2024-01-10,2,score,,M0,entered-in-error,2,"));

  r = Run(db_, {"export", "--since", "2024-03-05T12:00:00"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--since: bad value"));
}

}  // namespace
}  // namespace cotrack::testing
