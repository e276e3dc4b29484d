// `cotrack summary MEASURE --at 0,3m,6m,12m [--window DAYS] [--by arm]
//  [--censored exclude|half-limit|limit] [--lookback DAYS] [--rule R]`
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "analytics_flags.h"
#include "command.h"
#include "cotrack/summary.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "summary";

Cell Num(const std::optional<double>& v) {
  if (!v.has_value()) return Cell();
  Cell c = Cell::Number(*v);
  // Tables are for reading: two decimals; csv and json keep full precision.
  c.WithTableText(absl::StrFormat("%.2f", *v));
  return c;
}

struct SummaryRequest {
  std::string measure;
  OutputFormat format = OutputFormat::kTable;
  SummaryOptions options;
};

absl::StatusOr<SummaryRequest> ParseSummaryRequest(const ParsedArgs& args) {
  SummaryRequest request;
  request.measure = args.positionals()[0];
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  request.format = *format;
  if (absl::Status s = ParseSummaryFlags(args, "", &request.options); !s.ok()) return s;
  return request;
}

int Print(const SummaryRequest& request, const CohortSummary& s) {
  const std::string parameters =
      absl::StrCat("measure=", request.measure, " ", DescribeSummaryOptions(request.options));
  Table table;
  table.columns = {
      "measure",  "group",    "timepoint",    "patients",      "n",           "missing",
      "censored", "mean",     "sd",           "median",        "q1",          "q3",
      "min",      "max",      "change_n",     "change_median", "change_mean", "improved",
      "stable",   "worsened", "improved_pct", "stable_pct",    "worsened_pct"};
  if (request.format != OutputFormat::kTable) table.columns.push_back("parameters");
  for (const SummaryRow& r : s.rows) {
    std::vector<Cell> row = {
        Cell::String(r.measure),   Cell::String(r.group),     Cell::String(r.timepoint),
        Cell::Integer(r.patients), Cell::Integer(r.stats.n),  Cell::Integer(r.missing),
        Cell::Integer(r.censored), Num(r.stats.mean),         Num(r.stats.sd),
        Num(r.stats.median),       Num(r.stats.q1),           Num(r.stats.q3),
        Num(r.stats.min),          Num(r.stats.max),          Cell::Integer(r.change_n),
        Num(r.change_median),      Num(r.change_mean),        Cell::Integer(r.improved),
        Cell::Integer(r.stable),   Cell::Integer(r.worsened), Num(r.improved_pct),
        Num(r.stable_pct),         Num(r.worsened_pct)};
    if (request.format != OutputFormat::kTable) row.push_back(Cell::String(parameters));
    table.rows.push_back(std::move(row));
  }
  if (request.format == OutputFormat::kTable)
    std::cout << "# " << parameters << " unit=" << s.unit << "\n";
  WriteTable(table, request.format, std::cout);
  // One line each, however many patients: stdout stays the table.
  for (const std::string& note : SummaryNotes(s)) std::cerr << "cotrack: " << note << "\n";
  return 0;
}

int Run(const GlobalContext& ctx, const SummaryRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kRead,
      [&](Database& db) { return SummarizeCohort(db, request.measure, request.options); },
      [&](const CohortSummary& summary) { return Print(request, summary); });
}

const Command kSummaryCommand =
    MakeCommand({kName, "Cohort table of one measure at protocol timepoints, by arm or attribute",
                 R"(Usage: cotrack summary MEASURE [--at 0,3m,6m,12m] [--window DAYS] [--by KEY]
         [--censored exclude|half-limit|limit] [--lookback DAYS] [--rule RULE]
         [--format FMT]

Per timepoint and group: patients, n (values used), missing, censored, mean,
sd (sample), median, q1, q3 (type 7, linear interpolation), min, max, change
from baseline (n, median, mean) and improved / stable / worsened counts with
percentages of those classified. One pass over the data.

Options:
)" COTRACK_SUMMARY_FLAGS_HELP
                 R"(  --format FMT      table (default), csv or json (one object per line)

Classification uses the measure's direction and change threshold (see
cotrack measure show MEASURE); EDSS uses the step rule by baseline. Patients
without an index date (or a baseline, or any value near a timepoint) are
named in one line on stderr, with what fixes it; index dates are never
guessed.
)",
                 Arity::Exactly(1, "MEASURE"), SummaryFlagSpecs({{"format"}})},
                ParseSummaryRequest, Run);
COTRACK_REGISTER_COMMAND(kSummaryCommand);

}  // namespace
}  // namespace cotrack::tools
