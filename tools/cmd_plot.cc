// `cotrack plot MEASURE [--patient ID[,ID...]] [--out FILE.svg] [summary flags]`
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
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
  SummaryOptions options;
  std::vector<std::string> patients;  // --patient: whose lines to draw; all when empty
  std::optional<std::string> title;
  std::string out = "-";
};

absl::StatusOr<PlotRequest> ParsePlotRequest(const ParsedArgs& args) {
  PlotRequest request;
  request.measure = args.positionals()[0];
  if (absl::Status s = ParseSummaryFlags(args, "arm", &request.options); !s.ok()) return s;
  if (auto v = args.Get("patient")) {
    request.patients = absl::StrSplit(*v, ',', absl::SkipEmpty());
    if (request.patients.empty()) {
      return absl::InvalidArgumentError("--patient: expected ID[,ID...]");
    }
  }
  request.title = args.Get("title");
  request.out = args.Get("out").value_or("-");
  return request;
}

absl::StatusOr<std::string> Execute(Database& db, const PlotRequest& request) {
  absl::StatusOr<ChartSpec> chart =
      CohortChart(db, request.measure, request.options, request.patients);
  if (!chart.ok()) return chart.status();
  if (request.title) chart->title = *request.title;
  return RenderSvgChart(*chart);
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
