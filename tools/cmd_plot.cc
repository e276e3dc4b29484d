// `cotrack plot MEASURE [--patient ID[,ID...]] [--out FILE.svg] [summary flags]`
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analytics_flags.h"
#include "command.h"
#include "cotrack/analytics.h"
#include "flags.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "plot";

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  std::vector<FlagSpec> specs = SummaryFlagSpecs();
  specs.push_back({"patient"});
  specs.push_back({"out"});
  specs.push_back({"title"});
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, specs);
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  if (parsed->positionals().size() != 1) return UsageError(kName, "expected MEASURE");
  const std::string& measure = parsed->positionals()[0];
  SummaryOptions o;
  if (absl::Status s = ParseSummaryFlags(*parsed, "arm", &o); !s.ok()) {
    return UsageError(kName, s.message());
  }
  std::vector<std::string> patients;
  if (auto v = parsed->Get("patient")) {
    patients = absl::StrSplit(*v, ',', absl::SkipEmpty());
    if (patients.empty()) return UsageError(kName, "--patient: expected ID[,ID...]");
  }

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, OpenMode::kRead);
  if (!db.ok()) return RuntimeError(db.status());
  absl::StatusOr<ChartSpec> chart = CohortChart(**db, measure, o, patients);
  if (!chart.ok()) return RuntimeError(chart.status());
  if (auto t = parsed->Get("title")) chart->title = *t;
  const std::string svg = RenderSvgChart(*chart);

  const std::string out = parsed->Get("out").value_or("-");
  if (out == "-") {
    std::cout << svg;
    return 0;
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << svg;
  f.close();
  if (!f)
    return RuntimeError(absl::UnavailableError(absl::StrCat(out, ": cannot write the chart")));
  std::cerr << "cotrack: wrote " << out << " (" << svg.size() << " bytes)\n";
  return 0;
}

const Command kPlotCommand =
    LegacyCommand(kName, "Draw one measure's trajectories and medians as an SVG chart",
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
                  Run);
COTRACK_REGISTER_COMMAND(kPlotCommand);

}  // namespace
}  // namespace cotrack::tools
