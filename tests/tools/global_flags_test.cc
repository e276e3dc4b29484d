// The global flags' table (tools/global_flags.h): parsing, defaults and the
// help text all come from it.
#include "global_flags.h"

#include <stdlib.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Pair;

GivenGlobalFlags MustExtract(std::vector<std::string>& words) {
  absl::StatusOr<GivenGlobalFlags> given = ExtractGlobalFlags(words);
  EXPECT_TRUE(given.ok()) << given.status();
  return given.ok() ? *given : GivenGlobalFlags();
}

TEST(ExtractGlobalFlagsTest, TakesEitherFormAnywhereAndKeepsTheRestInOrder) {
  std::vector<std::string> words = {"--db",       "/d", "trajectory", "--user=ann", "P1",
                                    "--key-file", "k",  "edss",       "--format",   "csv"};
  EXPECT_THAT(MustExtract(words),
              ElementsAre(Pair("db", "/d"), Pair("key-file", "k"), Pair("user", "ann")));
  EXPECT_THAT(words, ElementsAre("trajectory", "P1", "edss", "--format", "csv"));
}

TEST(ExtractGlobalFlagsTest, LeavesEverythingAfterDoubleDash) {
  std::vector<std::string> words = {"import", "--", "--db", "x"};
  EXPECT_TRUE(MustExtract(words).empty());
  EXPECT_THAT(words, ElementsAre("import", "--", "--db", "x"));
}

TEST(ExtractGlobalFlagsTest, OnlyWholeNamesMatch) {
  std::vector<std::string> words = {"--dbx", "1", "--users", "--key-files=k"};
  EXPECT_TRUE(MustExtract(words).empty());
  EXPECT_THAT(words, ElementsAre("--dbx", "1", "--users", "--key-files=k"));
}

TEST(ExtractGlobalFlagsTest, ASeparateValueMayStartWithOneDash) {
  std::vector<std::string> words = {"--user", "-x"};
  EXPECT_THAT(MustExtract(words), ElementsAre(Pair("user", "-x")));
  EXPECT_TRUE(words.empty());
}

TEST(ExtractGlobalFlagsTest, NamesTheFlagOfEachError) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"trajectory", "--db"}, "--db needs a value"},
      {{"--user", "--db", "x"}, "--user needs a value"},
      {{"--key-file="}, "--key-file: empty value"},
      {{"--db", ""}, "--db: empty value"},
      {{"--db", "a", "x", "--db=b"}, "--db given more than once"},
      {{"--user=a", "--user", "a"}, "--user given more than once"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> words = args;
    EXPECT_THAT(ExtractGlobalFlags(words),
                StatusIs(absl::StatusCode::kInvalidArgument, Eq(message)))
        << args[0];
  }
}

TEST(IsGlobalFlagTest, TellsASeparateValueFromAnInlineOne) {
  bool separate = false;
  EXPECT_TRUE(IsGlobalFlag("--db", &separate));
  EXPECT_TRUE(separate);
  EXPECT_TRUE(IsGlobalFlag("--key-file=k", &separate));
  EXPECT_FALSE(separate);
  EXPECT_TRUE(IsGlobalFlag("--user=", &separate));
  EXPECT_FALSE(separate);
  EXPECT_FALSE(IsGlobalFlag("--format", &separate));
  EXPECT_FALSE(IsGlobalFlag("-db", &separate));
  EXPECT_FALSE(IsGlobalFlag("db", &separate));
}

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ResolveGlobalContextTest, GivenValuesWin) {
  ScopedEnv db("COTRACK_DB", "/from/env");
  GlobalContext ctx = ResolveGlobalContext({{"db", "/d"}, {"user", "ann"}, {"key-file", "k"}});
  EXPECT_EQ(ctx.db_path, "/d");
  EXPECT_EQ(ctx.user, "ann");
  EXPECT_EQ(ctx.key_file, "k");
}

TEST(ResolveGlobalContextTest, TheDatabaseDefaultsToTheEnvironmentThenTheWorkingDirectory) {
  {
    ScopedEnv db("COTRACK_DB", "/from/env");
    EXPECT_EQ(ResolveGlobalContext({}).db_path, "/from/env");
  }
  {
    ScopedEnv db("COTRACK_DB", "");
    EXPECT_EQ(ResolveGlobalContext({}).db_path, "./cotrack-data");
  }
  {
    ScopedEnv db("COTRACK_DB", nullptr);
    EXPECT_EQ(ResolveGlobalContext({}).db_path, "./cotrack-data");
  }
}

// An empty user is the OS user's, resolved by the engine when a command
// writes (cli_test's ACommandWithoutAUserWritesAsTheOsUser).
TEST(ResolveGlobalContextTest, TheUserDefaultsToTheOsUserAndTheKeyToNone) {
  GlobalContext ctx = ResolveGlobalContext({});
  EXPECT_EQ(ctx.user, "");
  EXPECT_EQ(ctx.key_file, "");
}

TEST(GlobalFlagsTest, NamesAreUniqueAndEachHasHelpAndADefault) {
  std::set<std::string> names;
  for (const GlobalFlag& flag : GlobalFlags()) {
    EXPECT_TRUE(names.insert(flag.name).second) << flag.name;
    EXPECT_NE(std::string(flag.help), "") << flag.name;
    EXPECT_NE(flag.default_value, nullptr) << flag.name;
    EXPECT_NE(flag.field, nullptr) << flag.name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"db", "user", "key-file"}));
}

// The help text users read, byte for byte.
TEST(GlobalHelpTest, ListsEveryFlagAligned) {
  EXPECT_EQ(GlobalOptionsHelp(),
            "Global options (before or after the command):\n"
            "  --db DIR      the database directory (default: $COTRACK_DB, else ./cotrack-data)\n"
            "  --user NAME   who makes the changes, for provenance and the audit log\n"
            "                (default: the OS user)\n"
            "  --key-file F  the key file of an encrypted database (docs/OPERATIONS.md)\n");
  EXPECT_EQ(GlobalSynopsis(), "[--db DIR] [--user NAME]");
}

TEST(GlobalHelpTest, OtherOptionLinesShareTheColumn) {
  EXPECT_EQ(OptionHelpLine("--version", "print the version"),
            "  --version     print the version\n");
  EXPECT_EQ(OptionHelpLine("-x", "one\ntwo"),
            "  -x            one\n"
            "                two\n");
}

}  // namespace
}  // namespace cotrack::tools
