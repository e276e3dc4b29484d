// The flags `cotrack` itself takes, before or after the command (--db,
// --user, --key-file). One table says how each is spelled, what help shows
// for it and what it defaults to; parsing, `--help` and the context handed to
// commands all read it, so adding a global flag is adding one entry.
#ifndef COTRACK_TOOLS_GLOBAL_FLAGS_H_
#define COTRACK_TOOLS_GLOBAL_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cotrack::tools {

// What every command receives after the global flags are parsed.
struct GlobalContext {
  std::string db_path;   // --db, else $COTRACK_DB, else ./cotrack-data
  std::string user;      // --user, else empty: the OS user
  std::string key_file;  // --key-file: key of an encrypted database, else empty
};

struct GlobalFlag {
  const char* name;        // without dashes: "db"
  const char* value_name;  // as help shows the value: "DIR"
  // What help says after the flag; each '\n' starts a further, indented line.
  const char* help;
  // Named in the one-line synopsis of `cotrack --help` too (the everyday ones).
  bool in_synopsis;
  std::string GlobalContext::*field;  // where the value goes
  std::string (*default_value)();     // the value when the flag is not given
};

// Every global flag, in the order help lists them.
const std::vector<GlobalFlag>& GlobalFlags();

// The global flags a command line gave, by name (without dashes).
using GivenGlobalFlags = std::map<std::string, std::string>;

// Takes every global flag (`--db DIR` or `--db=DIR`) out of `words`, wherever
// it stands before a `--`, and leaves the other words in order. A separate
// value must not start with "--". InvalidArgument, naming the flag, for a
// missing value ("--db needs a value"), an empty one ("--db: empty value")
// or a flag given twice ("--db given more than once"); `words` is then
// unspecified.
absl::StatusOr<GivenGlobalFlags> ExtractGlobalFlags(std::vector<std::string>& words);

// True when `word` is a global flag, alone ("--db", its value the next word:
// `*separate_value` is set true) or with its value ("--db=DIR": false).
bool IsGlobalFlag(absl::string_view word, bool* separate_value);

// The context commands run with: the given values, each default for the rest.
GlobalContext ResolveGlobalContext(const GivenGlobalFlags& given);

// The synopsis' global flags: "[--db DIR] [--user NAME]".
std::string GlobalSynopsis();

// One option line of help, aligned with the global flags' lines:
// "  --version     print the version\n".
std::string OptionHelpLine(absl::string_view flag, absl::string_view help);

// The "Global options" block that ends `cotrack --help` and each command's help.
std::string GlobalOptionsHelp();

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_GLOBAL_FLAGS_H_
