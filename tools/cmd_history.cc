// `cotrack history PATIENT MEASURE DATE`
#include "command.h"
#include "flags.h"
#include "observation_query.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "history";

struct HistoryRequest {
  std::string patient;
  std::string measure;
  CivilTime date;
  OutputFormat format = OutputFormat::kTable;
};

absl::StatusOr<HistoryRequest> ParseHistoryRequest(const ParsedArgs& args) {
  HistoryRequest request;
  request.patient = args.positionals()[0];
  request.measure = args.positionals()[1];
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  request.format = *format;
  absl::StatusOr<CivilTime> date = ParseDateArg("DATE", args.positionals()[2]);
  if (!date.ok()) return date.status();
  request.date = *date;
  return request;
}

int Run(const GlobalContext& ctx, const HistoryRequest& request) {
  ObservationQuery query;
  query.patient = request.patient;
  // "Never recorded" most often means a mistyped patient.
  query.nothing_found = NothingFound::kNotFound;
  query.columns = ObservationColumns::kHistory;
  query.format = request.format;
  return RunObservationQuery(ctx, query, [&](Database& db) {
    return db.History(request.patient, request.measure, request.date);
  });
}

const Command kHistoryCommand =
    MakeCommand({kName,
                 "Every version of one observation, with who, when and why",
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
                 Arity::Exactly(3, "PATIENT MEASURE DATE"),
                 {{"format"}}},
                ParseHistoryRequest, Run);
COTRACK_REGISTER_COMMAND(kHistoryCommand);

}  // namespace
}  // namespace cotrack::tools
