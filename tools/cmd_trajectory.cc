// `cotrack trajectory PATIENT MEASURE [--from D] [--to D]`
#include "cmd_trajectory.h"

#include "command.h"
#include "observation_query.h"

namespace cotrack::tools {

absl::StatusOr<TrajectoryRequest> ParseTrajectoryRequest(const ParsedArgs& args) {
  TrajectoryRequest request;
  request.patient = args.positionals()[0];
  request.measure = args.positionals()[1];
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  request.format = *format;
  if (auto from = args.Get("from")) {
    absl::StatusOr<CivilTime> t = ParseDateArg("--from", *from);
    if (!t.ok()) return t.status();
    request.range.from = *t;
  }
  if (auto to = args.Get("to")) {
    absl::StatusOr<CivilTime> t = ParseDateArg("--to", *to);
    if (!t.ok()) return t.status();
    request.range.to = *t;
  }
  const TimeRange& range = request.range;
  if (range.from && range.to && range.from->seconds > range.to->seconds) {
    return absl::InvalidArgumentError("--from is after --to");
  }
  request.derived = args.Has("derived");
  return request;
}

namespace {

constexpr char kName[] = "trajectory";

int Run(const GlobalContext& ctx, const TrajectoryRequest& request) {
  ObservationQuery query;
  query.patient = request.patient;
  query.derived = request.derived;
  query.format = request.format;
  return RunObservationQuery(ctx, query, [&](Database& db) {
    return db.Trajectory(request.patient, request.measure, request.range);
  });
}

const Command kTrajectoryCommand = MakeCommand(
    {kName,
     "Values of one measure for one patient over time",
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
     Arity::Exactly(2, "PATIENT MEASURE"),
     {{"from"}, {"to"}, {"format"}, {"derived", FlagSpec::kBool}}},
    ParseTrajectoryRequest, Run);
COTRACK_REGISTER_COMMAND(kTrajectoryCommand);

}  // namespace
}  // namespace cotrack::tools
