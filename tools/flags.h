// The command line's own argument parser and the plumbing every command
// shares: parsing flag values (dates, numbers), reporting usage errors, and
// opening the database. Only tools/ uses this.
//
// Accepted forms: `--name value`, `--name=value`, boolean `--name`, one-letter
// `-n value` or `-nvalue`, positionals anywhere, and `--` after which every word is a
// positional. A value flag followed by a word starting with "--" is a missing
// value (write `--reason=--x` to pass such a value on purpose).
#ifndef COTRACK_TOOLS_FLAGS_H_
#define COTRACK_TOOLS_FLAGS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/civil_time.h"
#include "cotrack/database.h"
#include "global_flags.h"

namespace cotrack::tools {

struct FlagSpec {
  enum Kind { kBool, kValue };
  std::string name;  // without dashes: "from", "dry-run", or one letter "n"
  Kind kind = kValue;
};

// The result of parsing one command's words.
class ParsedArgs {
 public:
  // True when the flag was given (for booleans: set).
  bool Has(absl::string_view name) const;
  // The value of a value flag; nullopt when not given.
  std::optional<std::string> Get(absl::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // The flags given, as the name/value pairs the engine's option parsers
  // take (cotrack::NamedOptions; a boolean flag has ""), leaving out
  // "help" and the names in `except` (the command line's own flags).
  std::vector<std::pair<std::string, std::string>> Named(
      const std::vector<std::string>& except = {}) const;

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                              const std::vector<FlagSpec>& specs);
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positionals_;
};

// Parses `args` against `specs`. `--help`/`-h` are always accepted (as the
// boolean "help"). InvalidArgument naming the flag for an unknown flag (with
// a suggestion when one is close), a missing value, a value given to a
// boolean, or a value flag given twice.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& specs);

// The flag as the user writes it: "--from", or "-n" for one-letter names.
std::string FlagDisplayName(absl::string_view name);

// ---- Values. `what` names the flag or argument in the message, e.g.
// `--from: bad value "2024-13-01" (expected a date YYYY-MM-DD)`. ----

// A date or date-time as ParseCivilTime accepts it.
absl::StatusOr<CivilTime> ParseDateArg(absl::string_view what, absl::string_view text);
// A finite decimal number ("1.5", "-2", "1e3"); no trailing garbage.
absl::StatusOr<double> ParseNumberArg(absl::string_view what, absl::string_view text);
// An integer in [min, max].
absl::StatusOr<int64_t> ParseIntArg(absl::string_view what, absl::string_view text, int64_t min,
                                    int64_t max);

// ---- Plumbing. ----

// Prints `cotrack: MESSAGE` and a pointer to `cotrack COMMAND --help` on
// stderr; returns 2, the usage-error exit status.
int UsageError(absl::string_view command, absl::string_view message);

// Prints `cotrack: MESSAGE` (each further line of a multi-line message as it
// is) on stderr; returns 1, the runtime-error exit status.
int RuntimeError(const absl::Status& status);

enum class OpenMode {
  kRead,  // read-only; the database must exist
  // kRead for a read that ends quickly whatever the database's size (one
  // patient's values, the measure catalogue): when nobody holds the
  // database it is opened read-only in this process, without taking it
  // over (Options::one_shot_read). Not for scans of every patient: a
  // process that wants to write waits for the read to end.
  kPointRead,
  kWrite,   // the database must exist
  kCreate,  // created when missing
};

// Opens the database of `ctx` (with its user for provenance). NotFound with
// a hint when the directory holds no database and mode is not kCreate.
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const GlobalContext& ctx, OpenMode mode);

// OK when `patient` is registered; otherwise NotFound saying so. Queries
// call it when they found nothing, to tell "no values" from "no patient".
absl::Status CheckPatientExists(Database& db, absl::string_view patient);

// The provenance of a change made from the command line.
Provenance CliProvenance(const GlobalContext& ctx, std::string reason = "");

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_FLAGS_H_
