// `cotrack plot MEASURE [--patient ID[,ID...]] [--out FILE.svg] [summary flags]`
#include <optional>
#include <string>
#include <vector>

#include "analytics_flags.h"
#include "command.h"
#include "cotrack/chart.h"
#include "cotrack/summary.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "plot";

struct PlotRequest {
  std::string measure;
  PlotOptions options;
  std::string out = "-";
};

// The options are the engine's (ParsePlotOptions), shared with the C ABI;
// --out is where this command writes.
absl::StatusOr<PlotRequest> ParsePlotRequest(const ParsedArgs& args) {
  PlotRequest request;
  request.measure = args.positionals()[0];
  absl::StatusOr<PlotOptions> options = ParsePlotOptions(args.Named({"out"}));
  if (!options.ok()) return options.status();
  request.options = *std::move(options);
  request.out = args.Get("out").value_or("-");
  return request;
}

absl::StatusOr<std::string> Execute(Database& db, const PlotRequest& request) {
  return PlotSvg(db, request.measure, request.options);
}

int Run(const GlobalContext& ctx, const PlotRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kRead, [&](Database& db) { return Execute(db, request); },
      [&](const std::string& svg) {
        absl::Status written = WriteDocument(request.out, svg, "chart");
        return written.ok() ? 0 : RuntimeError(written);
      });
}

const Command kPlotCommand =
    MakeCommand({kName, "Draw one measure's trajectories and medians as an SVG chart",
                 R"(Usage: cotrack plot MEASURE [--patient ID[,ID...]] [--out FILE.svg] [--title T]
         [--at LIST] [--window DAYS] [--by KEY] [...]

Draws every patient's values of MEASURE against months since their index
date (one thin line each, coloured by group) and the median per group at the
timepoints (thick lines). Patients without an index date are left out and
counted in the chart's note.

Options:
  --patient IDS     draw only these patients' lines (the medians stay the
                    whole cohort's)
  --out FILE        write the SVG to FILE (default: standard output)
  --title T         the chart's title
)" COTRACK_SUMMARY_FLAGS_HELP R"(
--by defaults to arm here (none for one group).
)",
                 Arity::Exactly(1, "MEASURE"), SummaryFlagSpecs({{"patient"}, {"out"}, {"title"}})},
                ParsePlotRequest, Run);
COTRACK_REGISTER_COMMAND(kPlotCommand);

}  // namespace
}  // namespace cotrack::tools
