// The command framework (tools/command.h): arity and flags as data, and the
// parse / run steps MakeCommand ties together.
#include "command.h"

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;

TEST(ArityTest, ExactlyNamesWhatIsExpected) {
  Arity arity = Arity::Exactly(2, "PATIENT MEASURE");
  EXPECT_TRUE(arity.Check({"P1", "edss"}).ok());
  EXPECT_THAT(arity.Check({"P1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("expected PATIENT MEASURE")));
  EXPECT_THAT(arity.Check({"P1", "edss", "x"}),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("expected PATIENT MEASURE")));
}

TEST(ArityTest, BetweenAndAtLeast) {
  Arity optional = Arity::Between(1, 2, "PATIENT [MEASURE]");
  EXPECT_FALSE(optional.Check({}).ok());
  EXPECT_TRUE(optional.Check({"P1"}).ok());
  EXPECT_TRUE(optional.Check({"P1", "edss"}).ok());
  EXPECT_THAT(optional.Check({"a", "b", "c"}),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("expected PATIENT [MEASURE]")));
  Arity files = Arity::AtLeast(1, "at least one FILE");
  EXPECT_THAT(files.Check({}),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("expected at least one FILE")));
  EXPECT_TRUE(files.Check(std::vector<std::string>(1000, "f.csv")).ok());
}

TEST(ArityTest, NoneSaysSoOrNamesTheFirstExtraArgumentWithAHint) {
  EXPECT_TRUE(Arity::None().Check({}).ok());
  EXPECT_THAT(Arity::None().Check({"x"}),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("expected no arguments")));
  EXPECT_THAT(Arity::None("patients takes none").Check({"x", "y"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("unexpected argument \"x\" (patients takes none)")));
}

TEST(ArityTest, AHintNamesTheFirstArgumentPastTheLimit) {
  Arity arity = Arity::Between(0, 1, "at most one PATIENT");
  arity.unexpected_hint = "one at a time";
  EXPECT_THAT(arity.Check({"P1", "P2", "P3"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("unexpected argument \"P2\" (one at a time)")));
}

CommandSpec Spec() {
  return {"demo",
          "a demo",
          "Usage: cotrack demo NAME [--count N] [--loud]\n",
          Arity::Exactly(1, "NAME"),
          {{"count"}, {"loud", FlagSpec::kBool}}};
}

TEST(ParseCommandArgsTest, ChecksFlagsBeforeArity) {
  EXPECT_THAT(ParseCommandArgs(Spec(), {"--cuont", "2"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("unknown flag \"--cuont\" (did you mean --count?)")));
  EXPECT_THAT(ParseCommandArgs(Spec(), {"--count", "2"}),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("expected NAME")));
  absl::StatusOr<ParsedArgs> parsed = ParseCommandArgs(Spec(), {"--loud", "x", "--count=2"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positionals(), ElementsAre("x"));
  EXPECT_EQ(parsed->Get("count"), "2");
}

struct DemoRequest {
  std::string name;
  int64_t count = 1;
  bool loud = false;
};

absl::StatusOr<DemoRequest> ParseDemo(const ParsedArgs& args) {
  DemoRequest request;
  request.name = args.positionals()[0];
  if (auto text = args.Get("count")) {
    absl::StatusOr<int64_t> n = ParseIntArg("--count", *text, 1, 9);
    if (!n.ok()) return n.status();
    request.count = *n;
  }
  request.loud = args.Has("loud");
  return request;
}

DemoRequest last_run;

int RunDemo(const GlobalContext&, const DemoRequest& request) {
  last_run = request;
  return 0;
}

TEST(MakeCommandTest, RunsTheParsedRequest) {
  Command demo = MakeCommand(Spec(), ParseDemo, RunDemo);
  EXPECT_STREQ(demo.name, "demo");
  EXPECT_EQ(demo.flags.size(), 2u);
  EXPECT_EQ(RunCommand(demo, GlobalContext(), {"bob", "--count", "3", "--loud"}), 0);
  EXPECT_EQ(last_run.name, "bob");
  EXPECT_EQ(last_run.count, 3);
  EXPECT_TRUE(last_run.loud);
}

TEST(MakeCommandTest, UsageErrorsOfEveryStepExitTwoAndNameTheCommand) {
  Command demo = MakeCommand(Spec(), ParseDemo, RunDemo);
  last_run = DemoRequest();
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"bob", "--count", "0"}, "--count: bad value \"0\" (expected an integer from 1 to 9)"},
           {{}, "expected NAME"},
           {{"bob", "--loud=yes"}, "--loud takes no value (got \"yes\")"},
       }) {
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(RunCommand(demo, GlobalContext(), args), 2);
    EXPECT_EQ(::testing::internal::GetCapturedStderr(),
              absl::StrCat("cotrack: ", message, "\nTry 'cotrack demo --help'.\n"));
  }
  EXPECT_EQ(last_run.name, "") << "a usage error ran the command";
}

absl::StatusOr<DemoRequest> ParseDemoInContext(const ParsedArgs& args, const GlobalContext& ctx) {
  DemoRequest request;
  request.name = absl::StrCat(args.positionals()[0], "@", ctx.user);
  return request;
}

TEST(MakeCommandTest, AParseStepMayReadTheGlobalContext) {
  Command demo = MakeCommand(Spec(), ParseDemoInContext, RunDemo);
  GlobalContext ctx;
  ctx.user = "ann";
  EXPECT_EQ(RunCommand(demo, ctx, {"bob"}), 0);
  EXPECT_EQ(last_run.name, "bob@ann");
}

TEST(RunOnDatabaseTest, OpensExecutesAndPrints) {
  ::cotrack::testing::TempDir dir;
  GlobalContext ctx;
  ctx.db_path = dir.File("db");
  ctx.user = "tester";
  int printed = 0;
  EXPECT_EQ(RunOnDatabase(
                ctx, OpenMode::kCreate, [](Database& db) { return db.ListPatients(); },
                [&](const std::vector<Patient>& patients) {
                  printed = 1 + static_cast<int>(patients.size());
                  return 7;
                }),
            7);
  EXPECT_EQ(printed, 1);
}

TEST(RunOnDatabaseTest, AFailureToOpenOrExecuteIsARuntimeErrorAndPrintsNothing) {
  ::cotrack::testing::TempDir dir;
  GlobalContext ctx;
  ctx.db_path = dir.File("none");
  bool printed = false;
  auto print = [&](const std::vector<Patient>&) {
    printed = true;
    return 0;
  };
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunOnDatabase(
                ctx, OpenMode::kRead, [](Database& db) { return db.ListPatients(); }, print),
            1);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              ::testing::StartsWith("cotrack: no database at"));

  ctx.db_path = dir.File("db");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunOnDatabase(
                ctx, OpenMode::kCreate,
                [](Database&) -> absl::StatusOr<std::vector<Patient>> {
                  return absl::DataLossError("damaged");
                },
                print),
            1);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "cotrack: damaged\n");
  EXPECT_FALSE(printed);
}

// ---- The registry: every command's description is consistent ----

// The flags a usage text mentions: words "--name" and "-n" that start after
// a space, "[", "(" or "`". "See also:" lines name other commands' flags.
std::set<std::string> FlagsMentioned(absl::string_view usage) {
  const size_t see_also = usage.find("See also:");
  if (see_also != absl::string_view::npos) usage = usage.substr(0, see_also);
  auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  };
  std::set<std::string> flags;
  for (size_t i = 0; i < usage.size(); ++i) {
    const bool starts_word =
        i == 0 || absl::string_view(" \n[(`").find(usage[i - 1]) != absl::string_view::npos;
    if (usage[i] != '-' || !starts_word) continue;
    const size_t dashes = i + 1 < usage.size() && usage[i + 1] == '-' ? 2 : 1;
    size_t end = i + dashes;
    while (end < usage.size() && is_name_char(usage[end])) ++end;
    const absl::string_view name = usage.substr(i + dashes, end - i - dashes);
    const bool long_flag = dashes == 2 && name.size() > 1;
    const bool letter_flag =
        dashes == 1 && name.size() == 1 && std::isalpha(static_cast<unsigned char>(name[0]));
    if (long_flag || letter_flag) flags.insert(std::string(usage.substr(i, end - i)));
    i = end;
  }
  return flags;
}

TEST(RegistryTest, HoldsEveryCommandOnce) {
  std::vector<std::string> names;
  for (const Command& c : RegisteredCommands()) names.push_back(c.name);
  EXPECT_THAT(names,
              ElementsAre("audit", "backup", "backup verify", "check", "dump", "export", "history",
                          "import", "latest", "load", "measure add", "measure edit", "measure show",
                          "measures", "patients", "plot", "progression", "report", "restore",
                          "retract", "summary", "survival", "timezone", "trajectory", "visit"));
  EXPECT_EQ(FindCommand("nosuch"), nullptr);
  ASSERT_NE(FindCommand("measure add"), nullptr);
  EXPECT_STREQ(FindCommand("measure add")->name, "measure add");
}

TEST(RegistryTest, EveryUsageStartsWithItsSynopsisAndEveryCommandRuns) {
  for (const Command& c : RegisteredCommands()) {
    EXPECT_THAT(c.usage, ::testing::StartsWith(absl::StrCat("Usage: cotrack ", c.name))) << c.name;
    EXPECT_NE(std::string(c.summary), "") << c.name;
    EXPECT_TRUE(static_cast<bool>(c.run)) << c.name;
  }
}

// --help and the parser read one description: a flag the parser accepts is
// documented, and a flag the help shows is accepted.
TEST(RegistryTest, HelpAndParserAgreeOnEveryFlag) {
  std::set<std::string> global = {"--help"};
  for (const GlobalFlag& flag : GlobalFlags()) global.insert(absl::StrCat("--", flag.name));
  for (const Command& c : RegisteredCommands()) {
    const std::set<std::string> mentioned = FlagsMentioned(c.usage);
    std::set<std::string> accepted;
    for (const FlagSpec& spec : c.flags) accepted.insert(FlagDisplayName(spec.name));
    for (const std::string& flag : accepted) {
      // --key-file is the global flag too; commands that list it document it.
      EXPECT_TRUE(mentioned.count(flag) > 0)
          << c.name << " accepts " << flag << " but its help does not say so";
    }
    for (const std::string& flag : mentioned) {
      EXPECT_TRUE(accepted.count(flag) > 0 || global.count(flag) > 0)
          << c.name << "'s help shows " << flag << " but the command does not accept it";
    }
  }
}

TEST(RegistryTest, FlagNamesAreUniqueWithinACommand) {
  for (const Command& c : RegisteredCommands()) {
    std::set<std::string> names;
    for (const FlagSpec& spec : c.flags) {
      EXPECT_TRUE(names.insert(spec.name).second) << c.name << ": " << spec.name;
    }
  }
}

}  // namespace
}  // namespace cotrack::tools
