// `cotrack survival [--by arm|ATTRIBUTE] [--at 365d,730d] [--event E]
//  [every option of cotrack progression] [--format FMT]`
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cmd_progression.h"
#include "command.h"
#include "cotrack/chart.h"
#include "cotrack/survival.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "survival";

struct SurvivalRequest {
  OutputFormat format = OutputFormat::kTable;
  SurvivalOptions options;
};

// Every flag of the command, in the order they are passed to the engine's
// parser: the survival options and every option of `cotrack progression`.
const std::vector<FlagSpec>& SurvivalFlags() {
  static const std::vector<FlagSpec> flags =
      WithProgressionOptionFlags({{"by"}, {"group-by"}, {"at"}, {"plot"}, {"measure"}, {"format"}});
  return flags;
}

// Every option through the engine's ParseSurvivalOptions, which
// cotrack_survival and Database.survival use too (and which hands
// progression's options to ParseProgressionOptions, as cotrack progression
// does): the same names, values and messages everywhere.
absl::StatusOr<SurvivalRequest> ParseSurvivalRequest(const ParsedArgs& args) {
  if (args.Has("by") && args.Has("group-by")) {
    return absl::InvalidArgumentError("--by and --group-by are the same option: give one");
  }
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const FlagSpec& f : SurvivalFlags()) {
    if (!args.Has(f.name)) continue;
    pairs.emplace_back(f.name, f.kind == FlagSpec::kBool ? "" : args.Get(f.name).value_or(""));
  }
  absl::StatusOr<SurvivalOptions> options = ParseSurvivalOptions(pairs);
  if (!options.ok()) return options.status();
  SurvivalRequest request;
  request.format = *format;
  request.options = *std::move(options);
  return request;
}

std::string DaysLabel(double d) { return absl::StrFormat("%gd", d); }

// Null in csv/json; NR ("not reached") in the table, as papers print it.
Cell Days(const std::optional<double>& v) {
  if (!v) return Cell().WithTableText("NR");
  return Cell::Number(*v);
}

Cell Prob(double v, bool table) {
  Cell c = Cell::Number(v);
  if (table) c.WithTableText(std::isnan(v) ? "NA" : absl::StrFormat("%.3f", v));
  return c;
}

// The times of the at-risk table: --at, or every year of follow-up.
std::vector<double> RiskTimes(const SurvivalRequest& request, const SurvivalAnalysis& a) {
  if (!request.options.at_days.empty()) {
    std::vector<double> t = {0};
    for (double d : request.options.at_days) {
      if (d > 0) t.push_back(d);
    }
    return t;
  }
  double max = 0;
  for (const TimeToEvent& s : a.subjects) max = std::max(max, s.days);
  std::vector<double> t;
  for (double d = 0; d <= max; d += 365) t.push_back(d);
  return t;
}

int64_t AtRisk(const KaplanMeierCurve& c, double t) {
  for (const KaplanMeierStep& s : c.steps) {
    if (s.time >= t) return s.n_risk;
  }
  return 0;
}

int Print(const SurvivalRequest& request, const SurvivalAnalysis& a) {
  if (request.options.plot) {
    absl::Status written =
        WriteDocument(*request.options.plot, SurvivalChartSvg(a, request.options), "chart");
    if (!written.ok()) return RuntimeError(written);
  }
  const bool table_format = request.format == OutputFormat::kTable;
  const std::vector<double>& at = request.options.at_days;
  Table groups;
  groups.columns = {"group", "n", "events", "median", "lower", "upper"};
  for (double d : at) {
    const std::string l = DaysLabel(d);
    for (const char* c : {"survival_", "survival_lower_", "survival_upper_", "at_risk_"}) {
      groups.columns.push_back(absl::StrCat(c, l));
    }
  }
  if (!table_format) groups.columns.push_back("parameters");
  for (const KaplanMeierCurve& c : a.curves) {
    std::vector<Cell> row = {Cell::String(c.group), Cell::Integer(c.n),   Cell::Integer(c.events),
                             Days(c.median),        Days(c.median_lower), Days(c.median_upper)};
    for (double d : at) {
      std::optional<KaplanMeierStep> s = KaplanMeierAt(c, d);
      if (!s) {
        row.insert(row.end(), {Cell(), Cell(), Cell(), Cell::Integer(0)});
        continue;
      }
      row.push_back(Prob(s->survival, table_format));
      row.push_back(Prob(s->lower, table_format));
      row.push_back(Prob(s->upper, table_format));
      row.push_back(Cell::Integer(s->n_risk));
    }
    if (!table_format) row.push_back(Cell::String(a.settings));
    groups.rows.push_back(std::move(row));
  }
  const LogRankResult& lr = a.log_rank;
  Table test;
  test.columns = {"test", "chisq", "df", "p"};
  if (!table_format) test.columns.push_back("parameters");
  std::vector<Cell> test_row = {Cell::String("log-rank"), Cell::Number(lr.chisq),
                                Cell::Integer(lr.df), lr.p ? Cell::Number(*lr.p) : Cell()};
  if (!table_format) test_row.push_back(Cell::String(a.settings));
  test.rows.push_back(std::move(test_row));

  if (request.format == OutputFormat::kJson) {
    WriteTable(groups, request.format, std::cout);
    WriteTable(test, request.format, std::cout);
  } else if (request.format == OutputFormat::kCsv) {
    // One csv, as cotrack_survival's table: the group rows, then the test
    // as a row of its own (group "log-rank").
    WriteTable(FromResultTable(SurvivalTable(request.options, a)), request.format, std::cout);
  } else {
    std::cout << "# " << a.settings << "\n";
    std::cout << "# time to event in days from the start of each patient's course; median with "
                 "95% CI\n";
    Table t = groups;
    for (auto& row : t.rows) row.resize(6);
    t.columns.resize(6);
    WriteTable(t, request.format, std::cout);
    if (!at.empty()) {
      std::cout << "\n# survival (95% CI) at\n";
      Table s;
      s.columns = {"group"};
      for (double d : at) s.columns.push_back(DaysLabel(d));
      for (const KaplanMeierCurve& c : a.curves) {
        std::vector<Cell> row = {Cell::String(c.group)};
        for (double d : at) {
          std::optional<KaplanMeierStep> st = KaplanMeierAt(c, d);
          row.push_back(st ? Cell::String(absl::StrFormat(
                                 "%.3f (%s-%s)", st->survival,
                                 std::isnan(st->lower) ? std::string("NA")
                                                       : absl::StrFormat("%.3f", st->lower),
                                 std::isnan(st->upper) ? std::string("NA")
                                                       : absl::StrFormat("%.3f", st->upper)))
                           : Cell::String("(beyond follow-up)"));
        }
        s.rows.push_back(std::move(row));
      }
      WriteTable(s, request.format, std::cout);
    }
    std::cout << "\n# number at risk\n";
    Table r;
    r.columns = {"group"};
    const std::vector<double> times = RiskTimes(request, a);
    for (double d : times) r.columns.push_back(DaysLabel(d));
    for (const KaplanMeierCurve& c : a.curves) {
      std::vector<Cell> row = {Cell::String(c.group)};
      for (double d : times) row.push_back(Cell::Integer(AtRisk(c, d)));
      r.rows.push_back(std::move(row));
    }
    WriteTable(r, request.format, std::cout);
    std::cout << "\n# log-rank test: ";
    if (lr.p) {
      std::cout << absl::StrFormat("chisq=%.3f df=%d p=%.4g", lr.chisq, lr.df, *lr.p) << "\n";
    } else {
      std::cout << "not computed (one group, or no events)\n";
    }
  }
  for (const std::string& note : SurvivalNotes(a)) std::cerr << "cotrack: " << note << "\n";
  return 0;
}

int Run(const GlobalContext& ctx, const SurvivalRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kRead,
      [&](Database& db) -> absl::StatusOr<SurvivalAnalysis> {
        RelapseEpisodes file_relapses;
        if (request.options.relapses_file) {
          absl::StatusOr<RelapseEpisodes> r =
              ReadRelapseEpisodesCsv(*request.options.relapses_file);
          if (!r.ok()) return r.status();
          file_relapses = *std::move(r);
        }
        return AnalyzeSurvival(db, request.options, file_relapses);
      },
      [&](const SurvivalAnalysis& a) { return Print(request, a); });
}

const Command kSurvivalCommand =
    MakeCommand({kName, "Kaplan-Meier time to the first confirmed EDSS event, by arm or attribute",
                 R"(Usage: cotrack survival [--by arm|ATTRIBUTE | --group-by ATTRIBUTE]
         [--at 365d,730d] [--plot FILE.svg] [--format FMT] [--measure edss]
         [--event firstCDW|firstCDI|firstPIRA|firstRAW|first|multiple]
         [--raw-pira] [--baseline fixed|roving|roving_impr|roving_wors]
         [--proceed-from firstconf|event] [--sub-threshold-rebl MODE]
         [--relapse-rebl] [--bl-geq] [--skip-local-extrema MODE]
         [--confirm 12w[,24w]] [--tolerance B,A] [--require-sust-days N]
         [--no-intermediate] [--relapse-to-bl D] [--relapse-to-event D]
         [--relapse-to-conf D] [--relapse-assoc D] [--relapse-indep LIST]
         [--impute-last-visit N] [--outcome O] [--delta RULE]
         [--worsening increase|decrease] [--threshold-slack S] [--rule RULE]
         [--unconfirmed-last] [--from-first-visit] [--relapses FILE]
         [--relapse-measure CODE] [--relapse-window DAYS]

Time from the start of each patient's EDSS course (the index-date baseline,
or the first visit when the patient has no index date or with
--from-first-visit) to the first confirmed event that `cotrack progression`
finds with the same options; patients without one are censored at their
last EDSS visit. Kaplan-Meier estimate per group, the median with a 95%
confidence interval (Greenwood variance, log-log transform: R survival's
survfit(conf.type = "log-log")), survival at the --at times, the number at
risk, and the log-rank test between groups (R's survdiff).

Options:
  --by KEY           group by arm, or by any patient attribute; none (the
                     default) for one group "all"; patients without it form
                     (none); an attribute no patient has is an error
  --group-by KEY     the same as --by
  --at LIST          survival at these times after the start: Nd days, Nw
                     weeks, Nm months (365.25/12 days), Ny years (365.25
                     days); also the columns of the at-risk table (default:
                     every 365 days)
  --event E          which first event ends the time: firstCDW (default,
                     confirmed disability worsening), firstCDI, firstPIRA,
                     firstRAW, first (CDW or CDI); multiple = the first of
                     any kind; worsening, improvement, all: older spellings
  --plot FILE.svg    also write the Kaplan-Meier step curves (a tick at
                     each censoring) as a standalone SVG chart
  every other option as in `cotrack progression --help`
  --format FMT       table (default), csv or json

json: one object per group (group, n, events, median, lower, upper in days;
survival_T, survival_lower_T, survival_upper_T, at_risk_T for each --at time
T; parameters) and one object for the test (test, chisq, df, p,
parameters). csv: the same fields, the test as a last row with group
"log-rank" (n and events over all groups). Table format prints the
settings on its first line; a median or limit the curve never reaches is NR
there and empty (null) in csv and json.
)",
                 Arity::None(), SurvivalFlags()},
                ParseSurvivalRequest, Run);
COTRACK_REGISTER_COMMAND(kSurvivalCommand);

}  // namespace
}  // namespace cotrack::tools
