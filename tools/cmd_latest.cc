// `cotrack latest PATIENT [MEASURE] [--as-of D] [-n N]`
#include <iostream>

#include "command.h"
#include "derived_column.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "latest";

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(args, {{"as-of"}, {"n"}, {"format"}, {"derived", FlagSpec::kBool}});
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  const std::vector<std::string>& pos = parsed->positionals();
  if (pos.empty() || pos.size() > 2) return UsageError(kName, "expected PATIENT [MEASURE]");
  const std::string& patient = pos[0];
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(parsed->Get("format").value_or("table"));
  if (!format.ok()) return UsageError(kName, format.status().message());
  std::optional<CivilTime> as_of;
  if (auto text = parsed->Get("as-of")) {
    absl::StatusOr<CivilTime> t = ParseDateArg("--as-of", *text);
    if (!t.ok()) return UsageError(kName, t.status().message());
    as_of = *t;
  }
  int n = 1;
  if (auto text = parsed->Get("n")) {
    absl::StatusOr<int64_t> v = ParseIntArg("-n", *text, 1, 1000000);
    if (!v.ok()) return UsageError(kName, v.status().message());
    n = static_cast<int>(*v);
  }

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, OpenMode::kRead);
  if (!db.ok()) return RuntimeError(db.status());
  std::vector<Observation> rows;
  if (pos.size() == 2) {
    absl::StatusOr<std::vector<Observation>> values = (*db)->Latest(patient, pos[1], as_of, n);
    if (!values.ok()) return RuntimeError(values.status());
    rows = std::move(*values);
  } else {
    absl::StatusOr<std::vector<Observation>> latest = (*db)->LatestAll(patient, as_of);
    if (!latest.ok()) return RuntimeError(latest.status());
    if (n == 1) {
      rows = std::move(*latest);
    } else {
      // LatestAll names the measures the patient has; ask each for its last n.
      for (const Observation& newest : *latest) {
        absl::StatusOr<std::vector<Observation>> values =
            (*db)->Latest(patient, newest.measure, as_of, n);
        if (!values.ok()) return RuntimeError(values.status());
        rows.insert(rows.end(), values->begin(), values->end());
      }
    }
  }
  if (rows.empty()) {
    if (absl::Status known = CheckPatientExists(**db, patient); !known.ok()) {
      return RuntimeError(known);
    }
  }
  Table table = ObservationTable(rows, ObservationColumns::kCurrent);
  if (parsed->Has("derived")) {
    if (absl::Status s = AddDerivedColumn(**db, rows, &table); !s.ok()) return RuntimeError(s);
  }
  WriteTable(table, *format, std::cout);
  return 0;
}

const Command kLatestCommand = LegacyCommand(
    kName, "The most recent value(s) of a patient, as of a date",
    R"(Usage: cotrack latest PATIENT [MEASURE] [--as-of DATE] [-n N] [--format FMT] [--derived]

Prints the newest current value of MEASURE for PATIENT, or of every measure
the patient has when MEASURE is left out (ordered by measure code). Retracted
values never count.

Options:
  --as-of DATE    only values on or before DATE (a date includes the whole day)
  -n N            the last N values per measure, newest first (default 1)
  --format FMT    table (default), csv or json (one object per line)
  --derived       add a "derived" column: AIS severity band, FIS/MFIS subscales,
                  HbA1c in both units and eAG, C-peptide in both units
)",
    Run);
COTRACK_REGISTER_COMMAND(kLatestCommand);

}  // namespace
}  // namespace cotrack::tools
