// `cotrack visit PATIENT DATE`
#include "command.h"
#include "flags.h"
#include "observation_query.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "visit";

struct VisitRequest {
  std::string patient;
  CivilTime date;
  OutputFormat format = OutputFormat::kTable;
  bool derived = false;
};

absl::StatusOr<VisitRequest> ParseVisitRequest(const ParsedArgs& args) {
  VisitRequest request;
  request.patient = args.positionals()[0];
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  request.format = *format;
  absl::StatusOr<CivilTime> date = ParseDateArg("DATE", args.positionals()[1]);
  if (!date.ok()) return date.status();
  request.date = *date;
  request.derived = args.Has("derived");
  return request;
}

int Run(const GlobalContext& ctx, const VisitRequest& request) {
  ObservationQuery query;
  query.patient = request.patient;
  query.derived = request.derived;
  query.format = request.format;
  return RunObservationQuery(ctx, query,
                             [&](Database& db) { return db.Visit(request.patient, request.date); });
}

const Command kVisitCommand =
    MakeCommand({kName,
                 "Everything recorded for a patient on one date",
                 R"(Usage: cotrack visit PATIENT DATE [--format FMT] [--derived]

Prints every current value recorded for PATIENT on the civil day DATE
(YYYY-MM-DD; values with a time of day on that day included), ordered by
measure code then time. Retracted values are left out.

Options:
  --format FMT    table (default), csv or json (one object per line)
  --derived       add a "derived" column: AIS severity band, FIS/MFIS subscales,
                  HbA1c in both units and eAG, C-peptide in both units
)",
                 Arity::Exactly(2, "PATIENT DATE"),
                 {{"format"}, {"derived", FlagSpec::kBool}}},
                ParseVisitRequest, Run);
COTRACK_REGISTER_COMMAND(kVisitCommand);

}  // namespace
}  // namespace cotrack::tools
