// The HTML follow-up report (`cotrack report`): per measure the cohort table
// (cotrack/summary.h), the cohort chart (cotrack/chart.h) and, for EDSS,
// confirmed worsening / improvement per group (cotrack/progression.h).
//
// One self-contained page, so that it can be mailed or archived with a study
// and still shows everything when opened later: nothing depends on a server,
// a script or a file next to it. It prints the parameters of every table and
// who was left out, so a reader can tell what the numbers cover.
#ifndef COTRACK_REPORT_H_
#define COTRACK_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cotrack/progression.h"
#include "cotrack/summary.h"

namespace cotrack {

class Database;

struct ReportOptions {
  std::vector<std::string> measures;  // empty = every measure that has values
  SummaryOptions summary;             // timepoints, window, grouping, rules
  bool per_patient = false;           // also one small chart per patient
  std::string title = "Follow-up report";
  // For EDSS: confirmed worsening / improvement per group with these options
  // (relapse onsets from the measure "relapse" when it is registered).
  ProgressionOptions progression;
};

// One self-contained HTML page (inline CSS and SVG, no scripts or external
// resources): per measure the cohort table and the cohort chart (for EDSS
// also confirmed worsening/improvement per group and the time to first
// confirmed worsening: Kaplan-Meier table, log-rank test and step curves,
// cotrack/survival.h; for AIS the severity bands per timepoint), the
// parameters used (as sentences and as the settings line), and who was left
// out. Charts draw EDSS on its 0-10 grid (UseMeasureScale); per-patient
// charts mark relapse onsets (measure "relapse") and, for EDSS, each
// confirmed event.
// InvalidArgument when no timepoint is given, or when EDSS is reported and
// the progression options are bad (as ValidateProgressionOptions); NotFound
// for an unknown measure;
// errors reading the database are returned as they come.
absl::StatusOr<std::string> BuildHtmlReport(Database& db, const ReportOptions& options);

// The options of `cotrack report` but --out (NamedOptions, named_options.h):
// the summary options (ParseSummaryOptions; by defaults to "arm"), measure
// (CODE[,CODE...]), title and per-patient. Shared by the command line and
// cotrack_report (cotrack/c.h): the same options, and a bad one is
// InvalidArgument with the same message.
absl::StatusOr<ReportOptions> ParseReportOptions(const NamedOptions& options);

}  // namespace cotrack

#endif  // COTRACK_REPORT_H_
