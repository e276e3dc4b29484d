// `cotrack report [--out FILE.html] [--measure CODE[,CODE...]] [--per-patient]
//  [summary flags]`
#include <string>

#include "analytics_flags.h"
#include "command.h"
#include "cotrack/report.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "report";

struct ReportRequest {
  ReportOptions options;
  std::string out = "report.html";
};

// The options are the engine's (ParseReportOptions), shared with the C ABI;
// --out is where this command writes.
absl::StatusOr<ReportRequest> ParseReportRequest(const ParsedArgs& args) {
  ReportRequest request;
  absl::StatusOr<ReportOptions> options = ParseReportOptions(args.Named({"out"}));
  if (!options.ok()) return options.status();
  request.options = *std::move(options);
  request.out = args.Get("out").value_or("report.html");
  return request;
}

int Run(const GlobalContext& ctx, const ReportRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kRead, [&](Database& db) { return BuildHtmlReport(db, request.options); },
      [&](const std::string& html) {
        absl::Status written = WriteDocument(request.out, html, "report");
        return written.ok() ? 0 : RuntimeError(written);
      });
}

const Command kReportCommand = MakeCommand(
    {kName, "Write a self-contained HTML report: cohort tables and charts per measure",
     R"(Usage: cotrack report [--out FILE.html] [--measure CODE[,CODE...]] [--per-patient]
         [--title T] [--at LIST] [--window DAYS] [--by KEY] [...]

Writes one HTML file with no external resources (it opens offline and prints
well): per measure, the parameters used, the cohort table (as cotrack summary
prints it) and a chart of every patient's trajectory against months since
the index date with the median per group.

Options:
  --out FILE        where to write (default report.html; - for stdout)
  --measure CODES   only these measures (default: every measure with values)
  --per-patient     also one small chart per patient
  --title T         the page title
)" COTRACK_SUMMARY_FLAGS_HELP R"(
--by defaults to arm here (none for one group).
)",
     Arity::None("use --measure CODE to choose measures"),
     SummaryFlagSpecs({{"out"}, {"measure"}, {"title"}, {"per-patient", FlagSpec::kBool}})},
    ParseReportRequest, Run);
COTRACK_REGISTER_COMMAND(kReportCommand);

}  // namespace
}  // namespace cotrack::tools
