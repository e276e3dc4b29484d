// `cotrack visit PATIENT DATE`
#include <iostream>

#include "command.h"
#include "derived_column.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "visit";

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, {{"format"}, {"derived", FlagSpec::kBool}});
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  const std::vector<std::string>& pos = parsed->positionals();
  if (pos.size() != 2) return UsageError(kName, "expected PATIENT DATE");
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(parsed->Get("format").value_or("table"));
  if (!format.ok()) return UsageError(kName, format.status().message());
  absl::StatusOr<CivilTime> date = ParseDateArg("DATE", pos[1]);
  if (!date.ok()) return UsageError(kName, date.status().message());

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, OpenMode::kRead);
  if (!db.ok()) return RuntimeError(db.status());
  absl::StatusOr<std::vector<Observation>> values = (*db)->Visit(pos[0], *date);
  if (!values.ok()) return RuntimeError(values.status());
  if (values->empty()) {
    if (absl::Status known = CheckPatientExists(**db, pos[0]); !known.ok()) {
      return RuntimeError(known);
    }
  }
  Table table = ObservationTable(*values, ObservationColumns::kCurrent);
  if (parsed->Has("derived")) {
    if (absl::Status s = AddDerivedColumn(**db, *values, &table); !s.ok()) return RuntimeError(s);
  }
  WriteTable(table, *format, std::cout);
  return 0;
}

const Command kVisitCommand =
    LegacyCommand(kName, "Everything recorded for a patient on one date",
                  R"(Usage: cotrack visit PATIENT DATE [--format FMT] [--derived]

Prints every current value recorded for PATIENT on the civil day DATE
(YYYY-MM-DD; values with a time of day on that day included), ordered by
measure code then time. Retracted values are left out.

Options:
  --format FMT    table (default), csv or json (one object per line)
  --derived       add a "derived" column: AIS severity band, FIS/MFIS subscales,
                  HbA1c in both units and eAG, C-peptide in both units
)",
                  Run);
COTRACK_REGISTER_COMMAND(kVisitCommand);

}  // namespace
}  // namespace cotrack::tools
