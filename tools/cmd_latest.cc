// `cotrack latest PATIENT [MEASURE] [--as-of D] [-n N]`
#include "cmd_latest.h"

#include <vector>

#include "command.h"
#include "observation_query.h"

namespace cotrack::tools {

absl::StatusOr<LatestRequest> ParseLatestRequest(const ParsedArgs& args) {
  LatestRequest request;
  request.patient = args.positionals()[0];
  if (args.positionals().size() == 2) request.measure = args.positionals()[1];
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  request.format = *format;
  if (auto text = args.Get("as-of")) {
    absl::StatusOr<CivilTime> t = ParseDateArg("--as-of", *text);
    if (!t.ok()) return t.status();
    request.as_of = *t;
  }
  if (auto text = args.Get("n")) {
    absl::StatusOr<int64_t> v = ParseIntArg("-n", *text, 1, 1000000);
    if (!v.ok()) return v.status();
    request.n = static_cast<int>(*v);
  }
  request.derived = args.Has("derived");
  return request;
}

namespace {

constexpr char kName[] = "latest";

absl::StatusOr<std::vector<Observation>> FetchLatest(Database& db, const LatestRequest& request) {
  if (request.measure) {
    return db.Latest(request.patient, *request.measure, request.as_of, request.n);
  }
  absl::StatusOr<std::vector<Observation>> latest = db.LatestAll(request.patient, request.as_of);
  if (!latest.ok() || request.n == 1) return latest;
  // LatestAll names the measures the patient has; ask each for its last n.
  std::vector<Observation> rows;
  for (const Observation& newest : *latest) {
    absl::StatusOr<std::vector<Observation>> values =
        db.Latest(request.patient, newest.measure, request.as_of, request.n);
    if (!values.ok()) return values.status();
    rows.insert(rows.end(), values->begin(), values->end());
  }
  return rows;
}

int Run(const GlobalContext& ctx, const LatestRequest& request) {
  ObservationQuery query;
  query.patient = request.patient;
  query.derived = request.derived;
  query.format = request.format;
  return RunObservationQuery(ctx, query, [&](Database& db) { return FetchLatest(db, request); });
}

const Command kLatestCommand = MakeCommand(
    {kName,
     "The most recent value(s) of a patient, as of a date",
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
     Arity::Between(1, 2, "PATIENT [MEASURE]"),
     {{"as-of"}, {"n"}, {"format"}, {"derived", FlagSpec::kBool}}},
    ParseLatestRequest, Run);
COTRACK_REGISTER_COMMAND(kLatestCommand);

}  // namespace
}  // namespace cotrack::tools
