// `cotrack report [--out FILE.html] [--measure CODE[,CODE...]] [--per-patient]
//  [summary flags]`
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

constexpr char kName[] = "report";

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  std::vector<FlagSpec> specs = SummaryFlagSpecs();
  specs.push_back({"out"});
  specs.push_back({"measure"});
  specs.push_back({"title"});
  specs.push_back({"per-patient", FlagSpec::kBool});
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, specs);
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  if (!parsed->positionals().empty()) {
    return UsageError(kName, absl::StrCat("unexpected argument \"", parsed->positionals()[0],
                                          "\" (use --measure CODE to choose measures)"));
  }
  ReportOptions o;
  if (absl::Status s = ParseSummaryFlags(*parsed, "arm", &o.summary); !s.ok()) {
    return UsageError(kName, s.message());
  }
  if (auto v = parsed->Get("measure")) {
    o.measures = absl::StrSplit(*v, ',', absl::SkipEmpty());
    if (o.measures.empty()) return UsageError(kName, "--measure: expected CODE[,CODE...]");
  }
  if (auto t = parsed->Get("title")) o.title = *t;
  o.per_patient = parsed->Has("per-patient");
  o.progression.rule = o.summary.change.edss_rule;
  const std::string out = parsed->Get("out").value_or("report.html");

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, OpenMode::kRead);
  if (!db.ok()) return RuntimeError(db.status());
  absl::StatusOr<std::string> html = BuildHtmlReport(**db, o);
  if (!html.ok()) return RuntimeError(html.status());
  if (out == "-") {
    std::cout << *html;
    return 0;
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << *html;
  f.close();
  if (!f) {
    return RuntimeError(absl::UnavailableError(absl::StrCat(out, ": cannot write the report")));
  }
  std::cerr << "cotrack: wrote " << out << " (" << html->size() << " bytes)\n";
  return 0;
}

const Command kReportCommand = LegacyCommand(
    kName, "Write a self-contained HTML report: cohort tables and charts per measure",
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
    Run);
COTRACK_REGISTER_COMMAND(kReportCommand);

}  // namespace
}  // namespace cotrack::tools
