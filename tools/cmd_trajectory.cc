// `cotrack trajectory PATIENT MEASURE [--from D] [--to D]`
#include <iostream>

#include "command.h"
#include "derived_column.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "trajectory";

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(args, {{"from"}, {"to"}, {"format"}, {"derived", FlagSpec::kBool}});
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  if (parsed->positionals().size() != 2) {
    return UsageError(kName, "expected PATIENT MEASURE");
  }
  const std::string& patient = parsed->positionals()[0];
  const std::string& measure = parsed->positionals()[1];
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(parsed->Get("format").value_or("table"));
  if (!format.ok()) return UsageError(kName, format.status().message());
  TimeRange range;
  if (auto from = parsed->Get("from")) {
    absl::StatusOr<CivilTime> t = ParseDateArg("--from", *from);
    if (!t.ok()) return UsageError(kName, t.status().message());
    range.from = *t;
  }
  if (auto to = parsed->Get("to")) {
    absl::StatusOr<CivilTime> t = ParseDateArg("--to", *to);
    if (!t.ok()) return UsageError(kName, t.status().message());
    range.to = *t;
  }
  if (range.from && range.to && range.from->seconds > range.to->seconds) {
    return UsageError(kName, "--from is after --to");
  }

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, OpenMode::kRead);
  if (!db.ok()) return RuntimeError(db.status());
  absl::StatusOr<std::vector<Observation>> values = (*db)->Trajectory(patient, measure, range);
  if (!values.ok()) return RuntimeError(values.status());
  if (values->empty()) {
    if (absl::Status known = CheckPatientExists(**db, patient); !known.ok()) {
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

const Command kTrajectoryCommand = LegacyCommand(
    kName, "Values of one measure for one patient over time",
    R"(Usage: cotrack trajectory PATIENT MEASURE [--from DATE] [--to DATE] [--format FMT] [--derived]

Prints the current values of MEASURE (a code such as edss, hba1c) for PATIENT,
oldest first. Retracted (entered-in-error) values are left out; corrected
values show their latest version.

Options:
  --from DATE     only values on or after DATE (YYYY-MM-DD or YYYY-MM-DDThh:mm)
  --to DATE       only values on or before DATE (a date includes the whole day)
  --format FMT    table (default), csv or json (one object per line)
  --derived       add a "derived" column: AIS severity band, FIS/MFIS subscales,
                  HbA1c in both units and eAG, C-peptide in both units

Columns: patient, measure, date, value, unit, comparator, visit, status,
version, recorded_at. A censored value such as <0.5 keeps its number in value
and its comparator in comparator; the table shows it as <0.5.
)",
    Run);
COTRACK_REGISTER_COMMAND(kTrajectoryCommand);

}  // namespace
}  // namespace cotrack::tools
