// `cotrack retract PATIENT MEASURE DATE --reason TEXT`
#include <cstdio>

#include "command.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "retract";

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, {{"reason"}, {"no-sync", FlagSpec::kBool}});
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  const std::vector<std::string>& pos = parsed->positionals();
  if (pos.size() != 3) return UsageError(kName, "expected PATIENT MEASURE DATE");
  absl::StatusOr<CivilTime> date = ParseDateArg("DATE", pos[2]);
  if (!date.ok()) return UsageError(kName, date.status().message());
  std::string reason = parsed->Get("reason").value_or("");
  // The audit trail must say why a value was withdrawn.
  if (reason.find_first_not_of(" \t") == std::string::npos) {
    return UsageError(kName, "--reason TEXT is required (why the value is entered-in-error)");
  }

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, OpenMode::kWrite);
  if (!db.ok()) return RuntimeError(db.status());
  WriteOptions options;
  options.sync = !parsed->Has("no-sync");
  absl::StatusOr<WriteSummary> done =
      (*db)->Retract(pos[0], pos[1], *date, CliProvenance(ctx, reason), options);
  if (!done.ok()) {
    if (absl::IsNotFound(done.status())) {
      if (absl::Status known = CheckPatientExists(**db, pos[0]); !known.ok()) {
        return RuntimeError(known);
      }
    }
    return RuntimeError(done.status());
  }
  std::fprintf(stderr, "retracted %s %s %s: now entered-in-error (history keeps every version)\n",
               pos[0].c_str(), pos[1].c_str(), FormatCivilTime(*date).c_str());
  return 0;
}

const Command kRetractCommand =
    LegacyCommand(kName, "Mark a value entered-in-error (nothing is deleted)",
                  R"(Usage: cotrack retract PATIENT MEASURE DATE --reason TEXT

Marks the current version of the observation (PATIENT, MEASURE, DATE) as
entered-in-error. It leaves trajectories, latest values and visits, and stays
visible in `cotrack history` with who retracted it, when and why.

Options:
  --reason TEXT   why the value is wrong (required; kept in the audit trail)
  --no-sync       do not wait for the write to reach the disk (faster; a
                  power loss may lose it)
)",
                  Run);
COTRACK_REGISTER_COMMAND(kRetractCommand);

}  // namespace
}  // namespace cotrack::tools
