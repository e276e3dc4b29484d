// ParseReportOptions (cotrack/report.h), ParsePlotOptions and PlotSvg
// (cotrack/chart.h): the options of `cotrack report` and `cotrack plot`,
// shared by the command line and the C ABI.
#include "absl/strings/str_split.h"
#include "cotrack/chart.h"
#include "cotrack/named_options.h"
#include "cotrack/report.h"

namespace cotrack {
namespace {

// The summary options plus `own`: every name checked against both, then
// the summary ones parsed by ParseSummaryOptions (grouped by arm by default).
absl::StatusOr<OptionReader> ReadWithSummary(const NamedOptions& named,
                                             const std::vector<std::string>& own,
                                             SummaryOptions* summary) {
  std::vector<std::string> known = SummaryOptionNames();
  known.insert(known.end(), own.begin(), own.end());
  absl::StatusOr<OptionReader> read = OptionReader::Read(named, known);
  if (!read.ok()) return read.status();
  absl::StatusOr<SummaryOptions> parsed =
      ParseSummaryOptions(SelectOptions(named, SummaryOptionNames()), "arm");
  if (!parsed.ok()) return parsed.status();
  *summary = *std::move(parsed);
  return read;
}

}  // namespace

absl::StatusOr<ReportOptions> ParseReportOptions(const NamedOptions& named) {
  ReportOptions o;
  absl::StatusOr<OptionReader> args =
      ReadWithSummary(named, {"measure", "title", "per-patient"}, &o.summary);
  if (!args.ok()) return args.status();
  if (auto v = args->Get("measure")) {
    o.measures = absl::StrSplit(*v, ',', absl::SkipEmpty());
    if (o.measures.empty()) return absl::InvalidArgumentError("--measure: expected CODE[,CODE...]");
  }
  if (auto t = args->Get("title")) o.title = *t;
  absl::StatusOr<bool> per_patient = args->Flag("per-patient");
  if (!per_patient.ok()) return per_patient.status();
  o.per_patient = *per_patient;
  o.progression.rule = o.summary.change.edss_rule;
  return o;
}

absl::StatusOr<PlotOptions> ParsePlotOptions(const NamedOptions& named) {
  PlotOptions o;
  absl::StatusOr<OptionReader> args = ReadWithSummary(named, {"patient", "title"}, &o.summary);
  if (!args.ok()) return args.status();
  if (auto v = args->Get("patient")) {
    o.patients = absl::StrSplit(*v, ',', absl::SkipEmpty());
    if (o.patients.empty()) return absl::InvalidArgumentError("--patient: expected ID[,ID...]");
  }
  o.title = args->Get("title");
  return o;
}

absl::StatusOr<std::string> PlotSvg(Database& db, absl::string_view measure,
                                    const PlotOptions& options) {
  absl::StatusOr<ChartSpec> chart = CohortChart(db, measure, options.summary, options.patients);
  if (!chart.ok()) return chart.status();
  if (options.title) chart->title = *options.title;
  return RenderSvgChart(*chart);
}

}  // namespace cotrack
