// `cotrack history PATIENT MEASURE DATE`
#include <iostream>

#include "command.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "history";

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, {{"format"}});
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  const std::vector<std::string>& pos = parsed->positionals();
  if (pos.size() != 3) return UsageError(kName, "expected PATIENT MEASURE DATE");
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(parsed->Get("format").value_or("table"));
  if (!format.ok()) return UsageError(kName, format.status().message());
  absl::StatusOr<CivilTime> date = ParseDateArg("DATE", pos[2]);
  if (!date.ok()) return UsageError(kName, date.status().message());

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, OpenMode::kRead);
  if (!db.ok()) return RuntimeError(db.status());
  absl::StatusOr<std::vector<Observation>> versions = (*db)->History(pos[0], pos[1], *date);
  if (!versions.ok()) {
    // "Never recorded" most often means a mistyped patient: say which.
    if (absl::IsNotFound(versions.status())) {
      if (absl::Status known = CheckPatientExists(**db, pos[0]); !known.ok()) {
        return RuntimeError(known);
      }
    }
    return RuntimeError(versions.status());
  }
  WriteTable(ObservationTable(*versions, ObservationColumns::kHistory), *format, std::cout);
  return 0;
}

const Command kHistoryCommand =
    LegacyCommand(kName, "Every version of one observation, with who, when and why",
                  R"(Usage: cotrack history PATIENT MEASURE DATE [--format FMT]

Prints every stored version of the observation identified by PATIENT,
MEASURE and DATE (YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss when it was recorded
with a time of day), oldest first, including corrected and entered-in-error
versions.

Options:
  --format FMT    table (default), csv or json (one object per line)

Columns: those of trajectory, plus original_value and original_unit (as
entered), items (item scores, ;-separated), source (file:line, or cli/api),
user and reason.
)",
                  Run);
COTRACK_REGISTER_COMMAND(kHistoryCommand);

}  // namespace
}  // namespace cotrack::tools
