// End-to-end runs of the built `cotrack` binary: each test imports small CSV
// files into its own fresh database and checks what a user sees on stdout,
// stderr and in the exit status.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cotrack/database.h"
#include "support/test_support.h"

namespace cotrack::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kObservations[] =
    "patient,measure,date,value,unit,visit\n"
    "P1,edss,2024-01-10,2.0,,M0\n"
    "P1,edss,2024-07-10,2.5,,M6\n"
    "P1,edss,2025-01-10,3.0,,M12\n"
    "P1,il4,2024-01-10,<0.5,pg/mL,M0\n"
    "P1,il4,2024-07-10,1.25,pg/mL,M6\n"
    "P1,hba1c,2024-07-10,6.1,%,M6\n"
    "P2,edss,2024-02-01,1.0,,M0\n";

constexpr char kPatients[] =
    "patient,arm,index_date,sex\n"
    "P1,aHSCT,2024-01-15,F\n"
    "P2,control,2024-02-03,M\n";

// A JSON value as one line of `--format json` holds: flat objects only.
struct JsonValue {
  enum Kind { kNull, kString, kNumber, kBool } kind = kNull;
  std::string string;
  double number = 0;
  bool boolean = false;
};
using JsonObject = std::map<std::string, JsonValue>;

// A strict parser for one flat JSON object; nullopt on any syntax error, so
// that malformed output fails the test.
class FlatJsonParser {
 public:
  explicit FlatJsonParser(const std::string& text) : s_(text) {}

  std::optional<JsonObject> Parse() {
    JsonObject object;
    SkipSpace();
    if (!Eat('{')) return std::nullopt;
    SkipSpace();
    if (Eat('}')) return Finish(object);
    while (true) {
      SkipSpace();
      std::optional<std::string> key = String();
      if (!key) return std::nullopt;
      SkipSpace();
      if (!Eat(':')) return std::nullopt;
      SkipSpace();
      std::optional<JsonValue> value = Value();
      if (!value || object.count(*key) > 0) return std::nullopt;
      object[*key] = *value;
      SkipSpace();
      if (Eat('}')) return Finish(object);
      if (!Eat(',')) return std::nullopt;
    }
  }

 private:
  std::optional<JsonObject> Finish(const JsonObject& object) {
    SkipSpace();
    if (i_ != s_.size()) return std::nullopt;
    return object;
  }
  void SkipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool EatWord(const char* word) {
    std::string w(word);
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  std::optional<std::string> String() {
    if (!Eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (i_ + 4 > s_.size()) return std::nullopt;
          unsigned cp = std::stoul(s_.substr(i_, 4), nullptr, 16);
          i_ += 4;
          if (cp >= 0x80) return std::nullopt;  // the tests only need ASCII escapes
          out += static_cast<char>(cp);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }
  std::optional<JsonValue> Value() {
    JsonValue v;
    if (i_ < s_.size() && s_[i_] == '"') {
      std::optional<std::string> text = String();
      if (!text) return std::nullopt;
      v.kind = JsonValue::kString;
      v.string = *text;
      return v;
    }
    if (EatWord("null")) return v;
    if (EatWord("true") || EatWord("false")) {
      v.kind = JsonValue::kBool;
      v.boolean = s_[i_ - 1] == 'e' && s_.compare(i_ - 4, 4, "true") == 0;
      return v;
    }
    static const std::regex kNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
    std::smatch m;
    std::string rest = s_.substr(i_);
    if (!std::regex_search(rest, m, kNumber, std::regex_constants::match_continuous)) {
      return std::nullopt;
    }
    v.kind = JsonValue::kNumber;
    v.number = std::stod(m.str());
    i_ += m.length();
    return v;
  }

  const std::string& s_;
  size_t i_ = 0;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

const std::regex& IsoTimestamp() {
  static const auto* re = new std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)");
  return *re;
}

// `csv` with each row's last field (recorded_at, a wall-clock time) checked
// for its form and then cut off, so the rest can be compared exactly.
std::string WithoutRecordedAt(const std::string& csv) {
  std::string out;
  for (const std::string& line : Lines(csv)) {
    size_t comma = line.rfind(',');
    std::string last = line.substr(comma + 1);
    if (last != "recorded_at") {
      EXPECT_TRUE(std::regex_match(last, IsoTimestamp())) << "recorded_at: " << last;
    }
    out += line.substr(0, comma) + "\n";
  }
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  // `cotrack --db <fresh db> ARGS...`
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_});
    return RunCotrack(args);
  }

  // Imports the two standard files and checks that it worked.
  void ImportStandard() {
    WriteFile(dir_.File("obs.csv"), kObservations);
    WriteFile(dir_.File("patients.csv"), kPatients);
    CommandResult r = Run({"import", dir_.File("obs.csv"), dir_.File("patients.csv")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, IsEmpty()) << "messages belong on stderr";
  }

  std::string Csv(const std::vector<std::string>& query) {
    // Right after the (one-word) command, so that it stays before any "--".
    std::vector<std::string> args = query;
    args.insert(args.begin() + 1, "--format=csv");
    CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  TempDir dir_;
  std::string db_ = dir_.File("db");
};

TEST_F(CliTest, VersionAndHelp) {
  CommandResult version = RunCotrack({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("cotrack ") + Version() + "\n");

  CommandResult help = RunCotrack({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out,
              AllOf(HasSubstr("Usage: cotrack"), HasSubstr("trajectory"), HasSubstr("--db DIR")));
  EXPECT_THAT(help.err, IsEmpty());

  // `cotrack help COMMAND` is `cotrack COMMAND --help`.
  CommandResult command_help = RunCotrack({"trajectory", "--help"});
  EXPECT_EQ(command_help.exit_code, 0);
  EXPECT_THAT(command_help.out, AllOf(StartsWith("Usage: cotrack trajectory PATIENT MEASURE"),
                                      HasSubstr("--from DATE"), HasSubstr("--format")));
  CommandResult help_command = RunCotrack({"help", "trajectory"});
  EXPECT_EQ(help_command.exit_code, 0);
  EXPECT_EQ(help_command.out, command_help.out);

  // No command at all is a usage error, with the help on stderr.
  CommandResult none = RunCotrack({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.out, IsEmpty());
  EXPECT_THAT(none.err, HasSubstr("Usage: cotrack"));
}

TEST_F(CliTest, EveryRegisteredCommandHasHelp) {
  CommandResult help = RunCotrack({"--help"});
  ASSERT_EQ(help.exit_code, 0);
  // Command names are the indented lines of the "Commands:" section, so a
  // command added later is covered without editing this test.
  std::vector<std::string> names;
  bool in_commands = false;
  static const std::regex kEntry(R"(^  ([a-z][a-z0-9-]*( [a-z][a-z0-9-]*)?)  +\S.*$)");
  for (const std::string& line : Lines(help.out)) {
    if (line == "Commands:") {
      in_commands = true;
      continue;
    }
    if (in_commands && line.empty()) break;
    std::smatch m;
    if (in_commands && std::regex_match(line, m, kEntry)) names.push_back(m[1]);
  }
  for (const char* expected : {"import", "trajectory", "latest", "visit", "history", "retract",
                               "patients", "measures", "measure add", "measure show"}) {
    EXPECT_THAT(names, ::testing::Contains(expected));
  }
  for (const std::string& name : names) {
    std::vector<std::string> args = absl::StrSplit(name, ' ');
    args.push_back("--help");
    CommandResult r = RunCotrack(args);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("cotrack " + name)) << name;
    EXPECT_THAT(r.err, IsEmpty()) << name;
  }
  // The group word alone lists its subcommands.
  CommandResult group = RunCotrack({"measure", "--help"});
  EXPECT_EQ(group.exit_code, 0);
  EXPECT_THAT(group.out, AllOf(HasSubstr("measure add"), HasSubstr("measure show")));
}

TEST_F(CliTest, UnknownCommandListsCommands) {
  CommandResult r = Run({"trajectroy", "P1", "edss"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, AllOf(StartsWith("cotrack: unknown command \"trajectroy\""),
                           HasSubstr("trajectory"), HasSubstr("import")));
}

TEST_F(CliTest, UsageErrorsExitTwoAndNameTheProblem) {
  ImportStandard();
  CommandResult unknown = Run({"trajectory", "P1", "edss", "--form", "2024-01-01"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.out, IsEmpty());
  EXPECT_THAT(unknown.err,
              AllOf(StartsWith("cotrack: unknown flag \"--form\""), HasSubstr("--from")));

  CommandResult bad_date = Run({"trajectory", "P1", "edss", "--from", "2024-13-01"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_THAT(bad_date.err, StartsWith("cotrack: --from: bad value \"2024-13-01\" (expected a date "
                                       "YYYY-MM-DD)\n"));

  CommandResult missing = Run({"trajectory", "P1"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("PATIENT MEASURE"));

  CommandResult no_value = Run({"latest", "P1", "-n"});
  EXPECT_EQ(no_value.exit_code, 2);
  EXPECT_THAT(no_value.err, HasSubstr("-n needs a value"));

  CommandResult bad_n = Run({"latest", "P1", "-n", "0"});
  EXPECT_EQ(bad_n.exit_code, 2);
  EXPECT_THAT(bad_n.err, HasSubstr("-n: bad value \"0\""));

  CommandResult bad_format = Run({"patients", "--format", "xml"});
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_THAT(bad_format.err, HasSubstr("--format: bad value \"xml\""));

  CommandResult no_reason = Run({"retract", "P1", "edss", "2024-01-10"});
  EXPECT_EQ(no_reason.exit_code, 2);
  EXPECT_THAT(no_reason.err, HasSubstr("--reason"));
  // ...and nothing was retracted.
  EXPECT_THAT(Csv({"trajectory", "P1", "edss"}), HasSubstr("2024-01-10"));
}

TEST_F(CliTest, TrajectoryInEveryFormat) {
  ImportStandard();
  EXPECT_EQ(WithoutRecordedAt(Csv({"trajectory", "P1", "edss"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "P1,edss,2024-01-10,2,score,,M0,final,1\n"
            "P1,edss,2024-07-10,2.5,score,,M6,final,1\n"
            "P1,edss,2025-01-10,3,score,,M12,final,1\n");

  // A date range: both ends inclusive.
  EXPECT_EQ(WithoutRecordedAt(
                Csv({"trajectory", "P1", "edss", "--from", "2024-07-10", "--to", "2025-01-10"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "P1,edss,2024-07-10,2.5,score,,M6,final,1\n"
            "P1,edss,2025-01-10,3,score,,M12,final,1\n");

  CommandResult table = Run({"trajectory", "P1", "edss"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[0], StartsWith("patient  measure  date        value  unit"));
  EXPECT_THAT(lines[2], StartsWith("P1       edss     2024-07-10    2.5  score"));
  // Aligned: every row's status column starts where the header's does.
  size_t status_column = lines[0].find("status");
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].find("final"), status_column) << lines[i];
  }

  CommandResult json = Run({"trajectory", "P1", "edss", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::vector<std::string> json_lines = Lines(json.out);
  ASSERT_EQ(json_lines.size(), 3u);
  std::vector<double> values;
  for (const std::string& line : json_lines) {
    std::optional<JsonObject> o = FlatJsonParser(line).Parse();
    ASSERT_TRUE(o.has_value()) << "not a JSON object: " << line;
    EXPECT_EQ((*o)["patient"].string, "P1");
    EXPECT_EQ((*o)["measure"].string, "edss");
    EXPECT_EQ((*o)["unit"].string, "score");
    EXPECT_EQ((*o)["status"].string, "final");
    EXPECT_EQ((*o)["comparator"].kind, JsonValue::kNull);
    EXPECT_EQ((*o)["version"].kind, JsonValue::kNumber);
    EXPECT_EQ((*o)["version"].number, 1);
    EXPECT_TRUE(std::regex_match((*o)["recorded_at"].string, IsoTimestamp()));
    ASSERT_EQ((*o)["value"].kind, JsonValue::kNumber) << line;
    values.push_back((*o)["value"].number);
  }
  EXPECT_THAT(values, ElementsAre(2.0, 2.5, 3.0));
  std::optional<JsonObject> first = FlatJsonParser(json_lines[0]).Parse();
  EXPECT_EQ((*first)["date"].string, "2024-01-10");
  EXPECT_EQ((*first)["visit"].string, "M0");
}

TEST_F(CliTest, CensoredValuesKeepTheirComparator) {
  ImportStandard();
  EXPECT_EQ(WithoutRecordedAt(Csv({"trajectory", "P1", "il4"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "P1,il4,2024-01-10,0.5,pg/mL,<,M0,final,1\n"
            "P1,il4,2024-07-10,1.25,pg/mL,,M6,final,1\n");
  CommandResult table = Run({"trajectory", "P1", "il4"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr(" <0.5  pg/mL  <"));

  CommandResult json = Run({"trajectory", "P1", "il4", "--format=json"});
  std::optional<JsonObject> o = FlatJsonParser(Lines(json.out).at(0)).Parse();
  ASSERT_TRUE(o.has_value()) << json.out;
  EXPECT_EQ((*o)["value"].number, 0.5);
  EXPECT_EQ((*o)["comparator"].string, "<");
}

TEST_F(CliTest, LatestAsOfAndLastN) {
  ImportStandard();
  EXPECT_EQ(WithoutRecordedAt(Csv({"latest", "P1", "edss"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "P1,edss,2025-01-10,3,score,,M12,final,1\n");
  EXPECT_EQ(WithoutRecordedAt(Csv({"latest", "P1", "edss", "--as-of", "2024-12-31", "-n", "5"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "P1,edss,2024-07-10,2.5,score,,M6,final,1\n"
            "P1,edss,2024-01-10,2,score,,M0,final,1\n");
  // Every measure of the patient, newest value of each, ordered by code.
  EXPECT_EQ(WithoutRecordedAt(Csv({"latest", "P1", "--as-of", "2024-06-30"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "P1,edss,2024-01-10,2,score,,M0,final,1\n"
            "P1,il4,2024-01-10,0.5,pg/mL,<,M0,final,1\n");
}

TEST_F(CliTest, VisitShowsEverythingOnOneDate) {
  ImportStandard();
  EXPECT_EQ(WithoutRecordedAt(Csv({"visit", "P1", "2024-07-10"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "P1,edss,2024-07-10,2.5,score,,M6,final,1\n"
            "P1,hba1c,2024-07-10,6.1,%,,M6,final,1\n"
            "P1,il4,2024-07-10,1.25,pg/mL,,M6,final,1\n");
  CommandResult bad = Run({"visit", "P1", "July"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("DATE: bad value \"July\" (expected a date YYYY-MM-DD)"));
}

TEST_F(CliTest, CorrectionKeepsBothVersionsInHistory) {
  ImportStandard();
  WriteFile(dir_.File("fix.csv"),
            "patient,measure,date,value\n"
            "P1,edss,2024-07-10,3.5\n");
  CommandResult fix = Run({"import", dir_.File("fix.csv")});
  ASSERT_EQ(fix.exit_code, 0) << fix.err;
  EXPECT_THAT(fix.err, HasSubstr("1 corrected"));

  CommandResult history = Run({"history", "P1", "edss", "2024-07-10", "--format", "json"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  std::vector<std::string> lines = Lines(history.out);
  ASSERT_EQ(lines.size(), 2u) << history.out;
  std::optional<JsonObject> v1 = FlatJsonParser(lines[0]).Parse();
  std::optional<JsonObject> v2 = FlatJsonParser(lines[1]).Parse();
  ASSERT_TRUE(v1.has_value() && v2.has_value()) << history.out;
  EXPECT_EQ((*v1)["version"].number, 1);
  EXPECT_EQ((*v1)["value"].number, 2.5);
  EXPECT_EQ((*v1)["original_value"].string, "2.5");
  EXPECT_EQ((*v1)["source"].string, dir_.File("obs.csv") + ":3");
  EXPECT_EQ((*v2)["version"].number, 2);
  EXPECT_EQ((*v2)["value"].number, 3.5);
  EXPECT_EQ((*v2)["source"].string, dir_.File("fix.csv") + ":2");
  EXPECT_NE((*v2)["status"].string, "entered-in-error");

  // The trajectory shows the corrected value only.
  EXPECT_THAT(Csv({"trajectory", "P1", "edss"}),
              AllOf(HasSubstr("P1,edss,2024-07-10,3.5,"), Not(HasSubstr(",2.5,"))));

  // The same file again changes nothing.
  CommandResult again = Run({"import", dir_.File("fix.csv")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("0 written, 1 unchanged, 0 corrected"));
}

TEST_F(CliTest, RetractLeavesTrajectoryButStaysInHistory) {
  ImportStandard();
  CommandResult retract = Run({"--user", "monitor", "retract", "P1", "edss", "2024-07-10",
                               "--reason", "transcription error"});
  ASSERT_EQ(retract.exit_code, 0) << retract.err;
  EXPECT_THAT(retract.out, IsEmpty());

  EXPECT_EQ(WithoutRecordedAt(Csv({"trajectory", "P1", "edss"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "P1,edss,2024-01-10,2,score,,M0,final,1\n"
            "P1,edss,2025-01-10,3,score,,M12,final,1\n");

  std::vector<std::string> history = Lines(Csv({"history", "P1", "edss", "2024-07-10"}));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0],
            "patient,measure,date,value,unit,comparator,visit,status,version,recorded_at,"
            "original_value,original_unit,items,source,user,reason");
  EXPECT_THAT(history[1], HasSubstr(",final,1,"));
  EXPECT_THAT(history[2],
              AllOf(HasSubstr(",entered-in-error,2,"), HasSubstr(",monitor,transcription error")));

  // Retracting what does not exist is a runtime error.
  CommandResult none = Run({"retract", "P1", "edss", "2030-01-01", "--reason", "x"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, StartsWith("cotrack: "));
}

// Without --user the OS user makes the changes: the import's and the
// retraction's (the engine looks the name up when a command writes).
TEST_F(CliTest, ACommandWithoutAUserWritesAsTheOsUser) {
  const passwd* pw = getpwuid(geteuid());
  ASSERT_NE(pw, nullptr);
  const std::string os_user = pw->pw_name;
  ImportStandard();
  CommandResult retract = Run({"retract", "P1", "edss", "2024-07-10", "--reason", "typo"});
  ASSERT_EQ(retract.exit_code, 0) << retract.err;
  std::vector<std::string> history = Lines(Csv({"history", "P1", "edss", "2024-07-10"}));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_THAT(history[1], HasSubstr("," + os_user + ","));
  EXPECT_THAT(history[2], HasSubstr("," + os_user + ",typo"));
}

TEST_F(CliTest, BadRowRejectsTheWholeFile) {
  ImportStandard();
  const std::string before = Csv({"trajectory", "P1", "edss"});
  WriteFile(dir_.File("bad.csv"),
            "patient,measure,date,value\n"
            "P1,edss,2025-07-10,4.0\n"
            "P1,edss,2026-01-10,7.3\n");
  WriteFile(dir_.File("later.csv"),
            "patient,measure,date,value\n"
            "P1,edss,2027-01-10,4.0\n");
  CommandResult r = Run({"import", dir_.File("fix_ok.csv"), dir_.File("bad.csv")});
  // A missing file is reported before anything is imported.
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("fix_ok.csv"));

  WriteFile(dir_.File("first.csv"),
            "patient,measure,date,value\n"
            "P2,edss,2024-08-01,1.5\n");
  r = Run({"import", dir_.File("first.csv"), dir_.File("bad.csv"), dir_.File("later.csv")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, IsEmpty());
  // FILE:LINE (optionally :COL), the field and the bad value.
  EXPECT_THAT(r.err, HasSubstr(dir_.File("bad.csv") + ":3"));
  EXPECT_THAT(r.err, AllOf(HasSubstr("field \"value\""), HasSubstr("7.3")));
  EXPECT_THAT(r.err, HasSubstr("imported before the failure: " + dir_.File("first.csv")));
  EXPECT_THAT(r.err, HasSubstr("not attempted: " + dir_.File("later.csv")));

  // A failed first import does not leave an empty database behind.
  const std::string fresh = dir_.File("fresh-db");
  CommandResult first_ever = RunCotrack({"--db", fresh, "import", dir_.File("bad.csv")});
  EXPECT_EQ(first_ever.exit_code, 1);
  struct stat st;
  EXPECT_NE(::stat(fresh.c_str(), &st), 0) << "failed import created " << fresh;

  // Not even the good row of bad.csv, nor anything of later.csv, was written.
  EXPECT_EQ(Csv({"trajectory", "P1", "edss"}), before);
  // The file before the failure stays imported.
  EXPECT_THAT(Csv({"trajectory", "P2", "edss"}), HasSubstr("2024-08-01"));
}

TEST_F(CliTest, RepeatedRowsFollowTheDuplicatesPolicy) {
  // Line 3 repeats line 2; line 4 gives another value on the same day.
  WriteFile(dir_.File("dup.csv"),
            "patient,measure,date,value\n"
            "P5,edss,2024-03-01,3.0\n"
            "P5,edss,2024-03-01,3.0\n"
            "P5,edss,2024-03-01,4.0\n");
  CommandResult r = Run({"import", dir_.File("dup.csv")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err,
              HasSubstr(dir_.File("dup.csv") + ":4:9: same patient, measure and date as line 2"));
  EXPECT_THAT(r.err, Not(HasSubstr(dir_.File("dup.csv") + ":3:")));

  r = Run({"import", "--duplicates", "mean", dir_.File("dup.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("1 written"),
                           HasSubstr("skipped 1: identical duplicate of an earlier row"),
                           HasSubstr("skipped 1: repeated patient, measure and date "
                                     "(--duplicates mean")));
  EXPECT_THAT(Csv({"trajectory", "P5", "edss"}), HasSubstr("3.5"));

  r = Run({"import", "--duplicates", "median", dir_.File("dup.csv")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--duplicates: duplicates policy \"median\": expected "
                               "identical-ok, error, keep-first, keep-last or mean"));
}

TEST_F(CliTest, DryRunWritesNothing) {
  ImportStandard();
  const std::string before = Csv({"trajectory", "P1", "edss"});
  WriteFile(dir_.File("new.csv"),
            "patient,measure,date,value\n"
            "P1,edss,2025-07-10,3.5\n"
            "P1,edss,2024-07-10,4.0\n"
            "P3,edss,2024-01-01,1.0\n");
  CommandResult r = Run({"import", "--dry-run", dir_.File("new.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("2 written, 0 unchanged, 1 corrected"),
                           HasSubstr("nothing was written")));
  EXPECT_EQ(Csv({"trajectory", "P1", "edss"}), before);
  EXPECT_THAT(Csv({"patients"}), Not(HasSubstr("P3")));

  // A dry run against a database that does not exist does not create it.
  const std::string missing = dir_.File("never");
  CommandResult fresh = RunCotrack({"--db", missing, "import", "--dry-run", dir_.File("new.csv")});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_THAT(fresh.err, HasSubstr("3 written"));
  struct stat st;
  EXPECT_NE(::stat(missing.c_str(), &st), 0) << "dry run created " << missing;
}

TEST_F(CliTest, UnknownPatientAndMissingDatabase) {
  CommandResult no_db = Run({"trajectory", "P1", "edss"});
  EXPECT_EQ(no_db.exit_code, 1);
  EXPECT_THAT(no_db.err, AllOf(StartsWith("cotrack: "), HasSubstr(db_)));

  ImportStandard();
  for (std::vector<std::string> query : {std::vector<std::string>{"trajectory", "P9", "edss"},
                                         {"latest", "P9"},
                                         {"visit", "P9", "2024-01-10"},
                                         {"history", "P9", "edss", "2024-01-10"}}) {
    CommandResult r = Run(query);
    EXPECT_EQ(r.exit_code, 1) << query[0];
    EXPECT_THAT(r.out, IsEmpty()) << query[0];
    EXPECT_THAT(r.err, AllOf(StartsWith("cotrack: "), HasSubstr("\"P9\""))) << query[0];
  }
  CommandResult measure = Run({"trajectory", "P1", "nosuch"});
  EXPECT_EQ(measure.exit_code, 1);
  EXPECT_THAT(measure.err, HasSubstr("nosuch"));
}

TEST_F(CliTest, EnvironmentChoosesTheDatabase) {
  WriteFile(dir_.File("obs.csv"), kObservations);
  const std::string env_db = dir_.File("from-env");
  CommandResult import = RunCotrack({"import", dir_.File("obs.csv")}, {"COTRACK_DB=" + env_db});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  // The data went where $COTRACK_DB said...
  CommandResult direct = RunCotrack({"--db", env_db, "latest", "P2", "edss", "--format", "csv"});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_THAT(direct.out, HasSubstr("P2,edss,2024-02-01,1,"));
  // ...and --db wins over it.
  CommandResult flag = RunCotrack({"--db", db_, "patients"}, {"COTRACK_DB=" + env_db});
  EXPECT_EQ(flag.exit_code, 1);
  EXPECT_THAT(flag.err, HasSubstr(db_));
  // Global flags may also follow the command.
  CommandResult after = RunCotrack({"patients", "--format=csv", "--db", env_db});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_THAT(after.out, HasSubstr("\nP1,"));
}

TEST_F(CliTest, PatientsAndQuotingInCsvAndJson) {
  WriteFile(dir_.File("patients.csv"),
            "patient,arm,index_date,diagnosis\n"
            "\"P \"\"7\"\", b\",aHSCT,2023-05-01,\"RRMS, \\ highly active\"\n"
            "P8,control,,SPMS\n"
            "P9,,,\"two\nlines, Z\u00fcrich\"\n");
  CommandResult import = Run({"import", dir_.File("patients.csv")});
  ASSERT_EQ(import.exit_code, 0) << import.err;

  std::vector<std::string> csv = Lines(Csv({"patients"}));
  ASSERT_EQ(csv.size(), 5u);  // the quoted line break spans two lines
  EXPECT_EQ(csv[0], "patient,arm,index_date,treatment_dates,version,recorded_at,diagnosis");
  EXPECT_THAT(csv[1], StartsWith("\"P \"\"7\"\", b\",aHSCT,2023-05-01,,1,"));
  EXPECT_THAT(csv[1], ::testing::EndsWith(",\"RRMS, \\ highly active\""));
  EXPECT_THAT(csv[2], StartsWith("P8,control,,,1,"));
  EXPECT_THAT(csv[3], StartsWith("P9,,,,1,"));
  EXPECT_THAT(csv[3], ::testing::EndsWith(",\"two"));
  EXPECT_EQ(csv[4], "lines, Z\u00fcrich\"");

  // In a table every record stays on one line, the line break shown as \n.
  CommandResult table = Run({"patients"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> rows = Lines(table.out);
  ASSERT_EQ(rows.size(), 4u) << table.out;
  EXPECT_THAT(rows[3], ::testing::EndsWith("two\\nlines, Z\u00fcrich"));

  CommandResult json = Run({"patients", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::vector<std::string> lines = Lines(json.out);
  ASSERT_EQ(lines.size(), 3u);
  std::optional<JsonObject> p9 = FlatJsonParser(lines[2]).Parse();
  ASSERT_TRUE(p9.has_value()) << lines[2];
  EXPECT_EQ((*p9)["diagnosis"].string, "two\nlines, Z\u00fcrich");
  EXPECT_EQ((*p9)["arm"].kind, JsonValue::kNull);
  std::optional<JsonObject> p7 = FlatJsonParser(lines[0]).Parse();
  ASSERT_TRUE(p7.has_value()) << lines[0];
  EXPECT_EQ((*p7)["patient"].string, "P \"7\", b");
  EXPECT_EQ((*p7)["diagnosis"].string, "RRMS, \\ highly active");
  std::optional<JsonObject> p8 = FlatJsonParser(lines[1]).Parse();
  ASSERT_TRUE(p8.has_value()) << lines[1];
  EXPECT_EQ((*p8)["index_date"].kind, JsonValue::kNull);
}

TEST_F(CliTest, DoubleDashEndsTheFlags) {
  WriteFile(dir_.File("odd.csv"),
            "patient,measure,date,value\n"
            "-x7,edss,2024-01-10,4.5\n"
            "-x7,edss,2024-06-10,5.0\n");
  CommandResult import = Run({"import", dir_.File("odd.csv")});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  CommandResult as_flag = Run({"trajectory", "-x7", "edss"});
  EXPECT_EQ(as_flag.exit_code, 2);
  EXPECT_THAT(as_flag.err, HasSubstr("unknown flag \"-x7\""));
  EXPECT_EQ(WithoutRecordedAt(Csv({"latest", "-n2", "--", "-x7", "edss"})),
            "patient,measure,date,value,unit,comparator,visit,status,version\n"
            "-x7,edss,2024-06-10,5,score,,,final,1\n"
            "-x7,edss,2024-01-10,4.5,score,,,final,1\n");
}

TEST_F(CliTest, UserMeasuresPersistAndImport) {
  CommandResult add =
      Run({"measure", "add", "--code", "sdmt", "--name", "Symbol Digit Modalities Test", "--unit",
           "score", "--min", "0", "--max", "110", "--integer", "--direction", "higher-is-better",
           "--threshold", "4"});
  ASSERT_EQ(add.exit_code, 0) << add.err;

  CommandResult bad = Run({"measure", "add", "--code", "x", "--name", "X", "--unit", "u", "--min",
                           "0", "--max", "ten"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--max: bad value \"ten\" (expected a number)"));

  std::vector<std::string> measures = Lines(Csv({"measures"}));
  EXPECT_THAT(measures, ::testing::Contains(StartsWith("edss,")));
  EXPECT_THAT(measures, ::testing::Contains("sdmt,Symbol Digit Modalities Test,score,0,110,,true,"
                                            "higher-is-better,4,,,false,false"));

  CommandResult show = Run({"measure", "show", "sdmt", "--format", "json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  std::optional<JsonObject> o = FlatJsonParser(Lines(show.out).at(0)).Parse();
  ASSERT_TRUE(o.has_value()) << show.out;
  EXPECT_EQ((*o)["max"].number, 110);
  EXPECT_TRUE((*o)["integer"].boolean);

  WriteFile(dir_.File("sdmt.csv"),
            "patient,measure,date,value\n"
            "P1,sdmt,2024-01-10,52\n"
            "P1,sdmt,2024-07-10,52.5\n");
  CommandResult rejected = Run({"import", dir_.File("sdmt.csv")});
  EXPECT_EQ(rejected.exit_code, 1);
  EXPECT_THAT(rejected.err, HasSubstr(dir_.File("sdmt.csv") + ":3"));
}

// Issue 15 item 7 with the real binary and real files: a measure's LOINC
// code maps an HL7 feed without a mapping file, an edit the stored values
// break is refused naming them, an accepted one is a new version in the
// history; an unknown wide-CSV column is named once; a bad REDCap cell is
// rejected alone.
TEST_F(CliTest, MeasuresUsersCanActOn) {
  const std::string samples = SharedData("hl7v2_samples/");
  CommandResult add = Run({"measure", "add", "--code", "lead", "--name", "Lead, blood", "--unit",
                           "ug/dL", "--min", "0", "--max", "1000", "--loinc", "10368-9",
                           "--convert", "umol/L=20.72*x", "--unit-synonym", "mcg/dL"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  CommandResult feed = Run({"import", samples + "cerner_lead.hl7", "--hl7-patient-id-authority",
                            "33D1234567", "--hl7-patient-id-type", "MR"});
  ASSERT_EQ(feed.exit_code, 0) << feed.err;
  EXPECT_THAT(feed.err, HasSubstr("1 rows read: 1 written"));

  CommandResult narrow = Run({"measure", "edit", "lead", "--max", "1"});
  EXPECT_EQ(narrow.exit_code, 1);
  EXPECT_THAT(narrow.err,
              AllOf(HasSubstr("measure lead not changed: 1 of its 1 stored value fails the new "
                              "definition"),
                    HasSubstr("(expected a value from 0 to 1 ug/dL)")));
  CommandResult edit =
      Run({"measure", "edit", "lead", "--max", "500", "--reason", "the lab's reporting range"});
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  CommandResult shown = Run({"measure", "show", "lead", "--history", "--format", "csv"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  std::vector<std::string> history = Lines(shown.out);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_THAT(history[0], StartsWith("version,code,name,unit,min,max,"));
  EXPECT_THAT(history[1], StartsWith("1,lead,\"Lead, blood\",ug/dL,0,1000,"));
  EXPECT_THAT(history[2], StartsWith("2,lead,\"Lead, blood\",ug/dL,0,500,"));
  EXPECT_THAT(history[2], HasSubstr("10368-9"));
  CommandResult audit = Run({"audit"});
  EXPECT_THAT(audit.out, HasSubstr("edited measure lead: max 1000 -> 500"));
  CommandResult check = Run({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  CommandResult wide = Run({"import", SharedData("msprog_toydata/MSprog_toydata_visits.csv")});
  EXPECT_EQ(wide.exit_code, 1);
  const std::string fix =
      "register it with `cotrack measure add` or skip it with `--ignore-columns`";
  EXPECT_THAT(wide.err, HasSubstr("header: column \"visit_day\": no measure \"visit_day\" in "
                                  "this database; " +
                                  fix + " (--ignore-columns visit_day)"));
  size_t said = 0;
  for (size_t p = wide.err.find(fix); p != std::string::npos; p = wide.err.find(fix, p + 1)) {
    ++said;
  }
  EXPECT_EQ(said, 1u) << wide.err;

  for (const char* m : {"height m 3", "weight kg 100", "bmi kg/m2 100"}) {
    std::istringstream words(m);
    std::string code, unit, max;
    words >> code >> unit >> max;
    ASSERT_EQ(Run({"measure", "add", "--code", code, "--name", code, "--unit", unit, "--min", "0",
                   "--max", max})
                  .exit_code,
              0);
  }
  WriteFile(dir_.File("map.csv"),
            "kind,name,value,unit,decimal\nfield,height,height,m\nfield,weight,weight,kg,comma\n"
            "field,bmi,bmi,kg/m2\ndate,*,2020-01-01\n");
  CommandResult redcap =
      Run({"import", SharedData("redcap_redcapr/decimal-comma_data.csv"), "--mapping",
           dir_.File("map.csv"), "--on-error", "skip", "--reject-file", dir_.File("rejects.csv")});
  ASSERT_EQ(redcap.exit_code, 0) << redcap.err;
  EXPECT_THAT(redcap.err,
              HasSubstr("4 rows read: 7 written, 0 unchanged, 0 corrected, 4 rejected"));
  EXPECT_THAT(ReadFile(dir_.File("rejects.csv")),
              HasSubstr("REDCap field \"\"height\"\" (column 3, measure height): bad value "
                        "\"\"1,54\"\""));
}

// HL7 v2 lab feeds: the sample files as they are, a mapping for their code,
// the patient chosen by its assigning authority, a correction.
TEST_F(CliTest, Hl7LabResultsWithMappingAndPatientAuthority) {
  CommandResult help = Run({"import", "--help"});
  EXPECT_THAT(help.out, AllOf(HasSubstr("hl7 "), HasSubstr("--hl7-patient-id-authority NAME")));

  const std::string samples = SharedData("hl7v2_samples/");
  // No measure for lead in the catalog: every OBX is counted and skipped.
  CommandResult plain = Run({"import", samples + "hl7-v2.5.1-oru-r01-1.hl7"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.err, AllOf(HasSubstr("(hl7): 13 rows read: 0 written"), HasSubstr("13 skipped"),
                               HasSubstr("skipped 1: value type DT, code 65222-2"),
                               HasSubstr("skipped 1: unmapped code 30525-0")));

  CommandResult add = Run({"measure", "add", "--code", "lead", "--name", "Lead, blood", "--unit",
                           "ug/dL", "--min", "0", "--max", "1000"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  WriteFile(dir_.File("map.csv"),
            "system,code,measure,unit\nhttp://loinc.org,10368-9,lead,ug/dL\n");
  CommandResult bad_flag =
      Run({"import", samples + "cerner_lead.hl7", "--hl7-patient-id-field", "PID-9"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_THAT(bad_flag.err, HasSubstr("--hl7-patient-id-field: bad value \"PID-9\""));
  CommandResult wrong = Run({"import", samples + "cerner_lead.hl7", "--mapping",
                             dir_.File("map.csv"), "--hl7-patient-id-authority", "MPI"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err,
              HasSubstr(samples + "cerner_lead.hl7:7: message 1, OBX 1: PID on line 3: "
                                  "field \"PID-3\": no identifier of assigning authority "
                                  "\"MPI\""));
  CommandResult cerner =
      Run({"import", samples + "cerner_lead.hl7", "--mapping", dir_.File("map.csv"),
           "--hl7-patient-id-authority", "33D1234567", "--hl7-patient-id-type", "MR"});
  ASSERT_EQ(cerner.exit_code, 0) << cerner.err;
  EXPECT_THAT(cerner.err, HasSubstr("1 rows read: 1 written"));
  CommandResult nist = Run({"import", samples + "ORU_R01_2.5.1_SampleTestCase1.hl7",
                            samples + "ORU_R01_2.5.1_SampleTestCase3.hl7", "--format", "hl7",
                            "--mapping", dir_.File("map.csv")});
  ASSERT_EQ(nist.exit_code, 0) << nist.err;
  EXPECT_THAT(nist.err, AllOf(HasSubstr("1 written, 0 unchanged, 0 corrected"),
                              HasSubstr("0 written, 0 unchanged, 1 corrected")));
  // Both versions, each with the file and line of its OBX.
  const std::string history = Csv({"history", "9817566735", "lead", "2008-08-15T10:30:00"});
  EXPECT_THAT(history,
              AllOf(HasSubstr("9817566735,lead,2008-08-15T10:30:00,50,ug/dL,,,final,1,"),
                    HasSubstr(",50,,," + samples + "ORU_R01_2.5.1_SampleTestCase1.hl7:6,"),
                    HasSubstr("9817566735,lead,2008-08-15T10:30:00,25,ug/dL,,,amended,2,"),
                    HasSubstr(",25,,," + samples + "ORU_R01_2.5.1_SampleTestCase3.hl7:6,")));
  EXPECT_THAT(Csv({"trajectory", "9339683996", "lead"}),
              HasSubstr("9339683996,lead,2010-11-04T16:40:00,50,ug/dL,"));
  EXPECT_THAT(Csv({"trajectory", "9817566735", "lead"}),
              HasSubstr("9817566735,lead,2008-08-15T10:30:00,25,ug/dL,"));
}

TEST_F(CliTest, CommandsWorkWhileAnotherProcessHoldsTheDatabase) {
  ImportStandard();
  absl::StatusOr<std::unique_ptr<Database>> holder = Database::Open(db_);
  ASSERT_OK(holder);
  WriteFile(dir_.File("more.csv"),
            "patient,measure,date,value\n"
            "P1,edss,2026-01-10,3.5\n");
  CommandResult r = Run({"import", dir_.File("more.csv")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The holder sees the import at once; so does the next command.
  ASSERT_OK_AND_ASSIGN(auto t, (*holder)->Trajectory("P1", "edss"));
  EXPECT_EQ(t.back().time, *ParseCivilTime("2026-01-10"));
  CommandResult read = Run({"trajectory", "P1", "edss", "--format=csv"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_THAT(read.out, HasSubstr("2026-01-10"));
  for (const char* command : {"check", "dump", "export"}) {
    CommandResult m = Run({command});
    EXPECT_EQ(m.exit_code, 0) << command << ": " << m.err;
  }
}

}  // namespace
}  // namespace cotrack::testing
