// The command line's argument parser and shared plumbing (tools/flags.h):
// every accepted form, every usage error and its exact wording, since users
// read these messages and the e2e tests only sample them.
#include "flags.h"

#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "support/test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<FlagSpec> kSpecs = {
    {"from"}, {"to"}, {"format"}, {"derived", FlagSpec::kBool}, {"n"}, {"v", FlagSpec::kBool}};

ParsedArgs MustParse(const std::vector<std::string>& args,
                     const std::vector<FlagSpec>& specs = kSpecs) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, specs);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : ParsedArgs();
}

std::string ParseError(const std::vector<std::string>& args,
                       const std::vector<FlagSpec>& specs = kSpecs) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, specs);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << parsed.status();
  return std::string(parsed.status().message());
}

// ---- ParseArgs: accepted forms ----

TEST(ParseArgsTest, ValueFlagsTakeTheNextWordOrAnInlineValue) {
  ParsedArgs parsed = MustParse({"--from", "2024-01-01", "--to=2024-12-31"});
  EXPECT_EQ(parsed.Get("from"), "2024-01-01");
  EXPECT_EQ(parsed.Get("to"), "2024-12-31");
  EXPECT_TRUE(parsed.Has("from"));
  EXPECT_FALSE(parsed.Has("format"));
  EXPECT_EQ(parsed.Get("format"), std::nullopt);
  EXPECT_THAT(parsed.positionals(), IsEmpty());
}

TEST(ParseArgsTest, AnInlineValueMayBeEmptyOrHoldEqualsSigns) {
  ParsedArgs parsed = MustParse({"--from=", "--to=a=b"});
  EXPECT_EQ(parsed.Get("from"), "");
  EXPECT_TRUE(parsed.Has("from"));
  EXPECT_EQ(parsed.Get("to"), "a=b");
}

TEST(ParseArgsTest, BooleansAreSetWithAnEmptyValue) {
  ParsedArgs parsed = MustParse({"--derived", "-v"});
  EXPECT_TRUE(parsed.Has("derived"));
  EXPECT_EQ(parsed.Get("derived"), "");
  EXPECT_TRUE(parsed.Has("v"));
}

TEST(ParseArgsTest, OneLetterValueFlagsTakeASeparateOrAttachedValue) {
  EXPECT_EQ(MustParse({"-n", "3"}).Get("n"), "3");
  EXPECT_EQ(MustParse({"-n3"}).Get("n"), "3");
  EXPECT_EQ(MustParse({"-n-3"}).Get("n"), "-3");
}

TEST(ParseArgsTest, PositionalsMayStandAnywhereInOrder) {
  ParsedArgs parsed = MustParse({"P1", "--derived", "edss", "--from", "2024-01-01", "x"});
  EXPECT_THAT(parsed.positionals(), ElementsAre("P1", "edss", "x"));
}

TEST(ParseArgsTest, AfterDoubleDashEveryWordIsPositional) {
  ParsedArgs parsed = MustParse({"a", "--", "--from", "-n", "--", "--nosuch"});
  EXPECT_THAT(parsed.positionals(), ElementsAre("a", "--from", "-n", "--", "--nosuch"));
  EXPECT_FALSE(parsed.Has("from"));
}

TEST(ParseArgsTest, NegativeNumbersAndLoneDashesArePositionals) {
  ParsedArgs parsed = MustParse({"-5", "-0.5", "-.5", "-"});
  EXPECT_THAT(parsed.positionals(), ElementsAre("-5", "-0.5", "-.5", "-"));
}

TEST(ParseArgsTest, AValueFlagTakesANegativeNumberAsItsValue) {
  EXPECT_EQ(MustParse({"--from", "-5"}).Get("from"), "-5");
  EXPECT_EQ(MustParse({"-n", "-1"}).Get("n"), "-1");
}

TEST(ParseArgsTest, HelpIsAlwaysAccepted) {
  EXPECT_TRUE(MustParse({"--help"}).Has("help"));
  EXPECT_TRUE(MustParse({"-h"}).Has("help"));
  EXPECT_TRUE(MustParse({"--help"}, {}).Has("help"));
}

// ---- ParseArgs: usage errors ----

TEST(ParseArgsTest, AnUnknownFlagIsNamedWithASuggestionWhenOneIsClose) {
  EXPECT_EQ(ParseError({"--form", "x"}), "unknown flag \"--form\" (did you mean --from?)");
  EXPECT_EQ(ParseError({"--formt=csv"}), "unknown flag \"--formt\" (did you mean --format?)");
  EXPECT_EQ(ParseError({"--derive"}), "unknown flag \"--derive\" (did you mean --derived?)");
  EXPECT_EQ(ParseError({"--patient", "P1"}), "unknown flag \"--patient\"");
  EXPECT_EQ(ParseError({"-x"}), "unknown flag \"-x\"");
}

TEST(ParseArgsTest, AOneLetterNameNeverSuggestsAnotherLetter) {
  // A suggestion must be closer than the name is long: "-m" is not "-n".
  EXPECT_EQ(ParseError({"-m", "1"}), "unknown flag \"-m\"");
}

TEST(ParseArgsTest, LongNamesNeedTwoDashesAndLettersOne) {
  EXPECT_EQ(ParseError({"-from", "x"}), "unknown flag \"-from\" (did you mean --from?)");
  EXPECT_EQ(ParseError({"--n", "3"}), "unknown flag \"--n\" (did you mean -n?)");
  // A boolean letter cannot carry an attached value.
  EXPECT_EQ(ParseError({"-vx"}), "unknown flag \"-vx\"");
}

TEST(ParseArgsTest, AMissingValueIsNamed) {
  EXPECT_EQ(ParseError({"--from"}), "--from needs a value");
  EXPECT_EQ(ParseError({"-n"}), "-n needs a value");
  // A following flag is not a value: write --from=--x to mean it.
  EXPECT_EQ(ParseError({"--from", "--to", "x"}), "--from needs a value");
  EXPECT_EQ(MustParse({"--from=--x"}).Get("from"), "--x");
}

TEST(ParseArgsTest, ABooleanTakesNoValue) {
  EXPECT_EQ(ParseError({"--derived=yes"}), "--derived takes no value (got \"yes\")");
  EXPECT_EQ(ParseError({"--derived="}), "--derived takes no value (got \"\")");
}

TEST(ParseArgsTest, AValueFlagGivenTwiceIsAnError) {
  EXPECT_EQ(ParseError({"--from", "a", "--from=b"}), "--from given more than once");
  EXPECT_EQ(ParseError({"-n1", "-n", "2"}), "-n given more than once");
  // A boolean may be repeated.
  EXPECT_TRUE(MustParse({"--derived", "--derived"}).Has("derived"));
}

TEST(ParseArgsTest, TheFirstErrorWins) {
  EXPECT_EQ(ParseError({"--nosuch", "--from"}), "unknown flag \"--nosuch\"");
}

TEST(FlagDisplayNameTest, LettersTakeOneDashAndNamesTwo) {
  EXPECT_EQ(FlagDisplayName("n"), "-n");
  EXPECT_EQ(FlagDisplayName("from"), "--from");
  EXPECT_EQ(FlagDisplayName("dry-run"), "--dry-run");
}

// ---- Values ----

TEST(ParseDateArgTest, AcceptsDatesAndDateTimes) {
  absl::StatusOr<CivilTime> date = ParseDateArg("--from", "2024-03-05");
  ASSERT_TRUE(date.ok()) << date.status();
  EXPECT_EQ(FormatCivilTime(*date), "2024-03-05");
  absl::StatusOr<CivilTime> time = ParseDateArg("--from", "2024-03-05T10:15");
  ASSERT_TRUE(time.ok()) << time.status();
  EXPECT_EQ(FormatCivilTime(*time), "2024-03-05T10:15:00");
}

TEST(ParseDateArgTest, NamesTheFlagTheValueAndTheExpectedForm) {
  EXPECT_THAT(ParseDateArg("--from", "2024-13-01"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("--from: bad value \"2024-13-01\" (expected a date YYYY-MM-DD)")));
  EXPECT_THAT(ParseDateArg("DATE", ""), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 Eq("DATE: bad value \"\" (expected a date "
                                                    "YYYY-MM-DD)")));
}

TEST(ParseNumberArgTest, AcceptsDecimalNumbers) {
  for (const auto& [text, value] : std::vector<std::pair<std::string, double>>{
           {"1.5", 1.5}, {"-2", -2}, {"+3", 3}, {"1e3", 1000}, {"0", 0}, {".5", 0.5}}) {
    absl::StatusOr<double> v = ParseNumberArg("--min", text);
    ASSERT_TRUE(v.ok()) << text << ": " << v.status();
    EXPECT_EQ(*v, value) << text;
  }
}

TEST(ParseNumberArgTest, RejectsGarbageAndNonFiniteValues) {
  for (const char* text : {"", "x", "1.5x", " 1", "1 ", "inf", "nan", "1e999", "++1", "0x10"}) {
    EXPECT_THAT(ParseNumberArg("--min", text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         Eq(absl::StrCat("--min: bad value \"", text, "\" (expected a number)"))))
        << text;
  }
}

TEST(ParseIntArgTest, AcceptsIntegersWithinTheRange) {
  EXPECT_EQ(*ParseIntArg("-n", "1", 1, 10), 1);
  EXPECT_EQ(*ParseIntArg("-n", "10", 1, 10), 10);
  EXPECT_EQ(*ParseIntArg("--x", "-3", -5, 5), -3);
}

TEST(ParseIntArgTest, RejectsValuesOutsideTheRangeAndNonIntegers) {
  for (const char* text : {"0", "11", "1.0", "", "x", "+1", "99999999999999999999"}) {
    EXPECT_THAT(ParseIntArg("-n", text, 1, 10),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         Eq(absl::StrCat("-n: bad value \"", text,
                                         "\" (expected an integer from 1 to 10)"))))
        << text;
  }
}

// ---- Plumbing ----

TEST(UsageErrorTest, PrintsTheMessageAndTheHelpCommandAndReturnsTwo) {
  ::testing::internal::CaptureStderr();
  int status = UsageError("measure add", "--code is required");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "cotrack: --code is required\nTry 'cotrack measure add --help'.\n");
  EXPECT_EQ(status, 2);
}

TEST(RuntimeErrorTest, PrintsTheMessageAndReturnsOne) {
  ::testing::internal::CaptureStderr();
  int status = RuntimeError(absl::NotFoundError("no database at \"x\"\n  second line"));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "cotrack: no database at \"x\"\n  second line\n");
  EXPECT_EQ(status, 1);
}

TEST(RuntimeErrorTest, AStatusWithoutAMessageStillSaysSomething) {
  ::testing::internal::CaptureStderr();
  RuntimeError(absl::InternalError(""));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "cotrack: INTERNAL: \n");
}

GlobalContext ContextFor(const std::string& path) {
  GlobalContext ctx;
  ctx.db_path = path;
  ctx.user = "tester";
  return ctx;
}

TEST(OpenDatabaseTest, ReadingOrWritingAMissingDatabaseSaysHowToGetOne) {
  TempDir dir;
  for (OpenMode mode : {OpenMode::kRead, OpenMode::kPointRead, OpenMode::kWrite}) {
    EXPECT_THAT(OpenDatabase(ContextFor(dir.File("none")), mode),
                StatusIs(absl::StatusCode::kNotFound,
                         Eq("no database at \"" + dir.File("none") +
                            "\" (import data first, or choose one with --db DIR or "
                            "$COTRACK_DB)")));
  }
  struct stat st;
  EXPECT_NE(::stat(dir.File("none").c_str(), &st), 0) << "a failed open created the directory";
}

TEST(OpenDatabaseTest, CreateModeCreatesThenOtherModesOpen) {
  TempDir dir;
  const GlobalContext ctx = ContextFor(dir.File("db"));
  ASSERT_TRUE(OpenDatabase(ctx, OpenMode::kCreate).ok());
  EXPECT_TRUE(OpenDatabase(ctx, OpenMode::kWrite).ok());
  EXPECT_TRUE(OpenDatabase(ctx, OpenMode::kRead).ok());
}

TEST(OpenDatabaseTest, ReadModesOpenReadOnly) {
  TempDir dir;
  const GlobalContext ctx = ContextFor(dir.File("db"));
  ASSERT_TRUE(OpenDatabase(ctx, OpenMode::kCreate).ok());
  for (OpenMode mode : {OpenMode::kRead, OpenMode::kPointRead}) {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, mode);
    ASSERT_TRUE(db.ok()) << db.status();
    Patient p;
    p.id = "P1";
    EXPECT_FALSE((*db)->PutPatient(p).ok());
  }
}

TEST(CheckPatientExistsTest, TellsAnUnknownPatientFromAKnownOne) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> db =
      OpenDatabase(ContextFor(dir.File("db")), OpenMode::kCreate);
  ASSERT_TRUE(db.ok()) << db.status();
  Patient p;
  p.id = "P1";
  ASSERT_TRUE((*db)->PutPatient(p).ok());
  EXPECT_TRUE(CheckPatientExists(**db, "P1").ok());
  EXPECT_THAT(CheckPatientExists(**db, "P2"),
              StatusIs(absl::StatusCode::kNotFound,
                       Eq("unknown patient \"P2\" (see 'cotrack patients' for the registered "
                          "ones)")));
}

TEST(CliProvenanceTest, NamesTheCommandLineTheUserAndTheReason) {
  GlobalContext ctx = ContextFor("unused");
  Provenance p = CliProvenance(ctx, "typo");
  EXPECT_EQ(p.source, "cli");
  EXPECT_EQ(p.user, "tester");
  EXPECT_EQ(p.reason, "typo");
  EXPECT_EQ(p.line, 0);
  EXPECT_THAT(CliProvenance(ctx).reason, IsEmpty());
}

}  // namespace
}  // namespace cotrack::tools
