// Time to event: the Kaplan–Meier estimate by group, its median with a 95 %
// confidence interval, and the log-rank test between groups; and the step
// from one patient's progression result to a (time, event) pair. This is
// `cotrack survival`, cotrack_survival in the C ABI and the curves of the
// report and `cotrack plot --survival`.
//
// The estimator follows R's survival package (survfit with conf.type =
// "log-log", survdiff with rho = 0) so every number can be checked there;
// tests/engine/analytics/survival_data/km_expected.R regenerates the values
// the tests compare with. KaplanMeier and LogRank are pure functions of
// (time, event, group) tuples; TimeToFirstEvent of one patient's values;
// only AnalyzeSurvival reads a Database.
#ifndef COTRACK_SURVIVAL_H_
#define COTRACK_SURVIVAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cotrack/chart.h"
#include "cotrack/civil_time.h"
#include "cotrack/progression.h"
#include "cotrack/result_table.h"
#include "cotrack/types.h"

namespace cotrack {

class Database;

// One subject: followed for `time` (>= 0, finite; days in cotrack's use),
// ending in the event (`event` true) or censored then (false).
struct SurvivalSubject {
  double time = 0;
  bool event = false;
  std::string group;  // "" is a group like any other
};

// One distinct time of a group (an event or censoring time), as R's
// summary(survfit(...), censored = TRUE) prints it.
struct KaplanMeierStep {
  double time = 0;
  int64_t n_risk = 0;    // subjects with time >= this time
  int64_t n_event = 0;   // events at this time
  int64_t n_censor = 0;  // censored at this time (counted at risk here)
  double survival = 1;   // the estimate just after this time
  // Greenwood standard error of `survival` (S * sqrt(sum d / (n (n - d))));
  // NaN when survival is 0.
  double std_err = 0;
  // Pointwise 95 % interval on the log(-log S) scale; both 1 while survival
  // is 1 and NaN once it is 0 (as R).
  double lower = 1, upper = 1;
};

struct KaplanMeierCurve {
  std::string group;
  int64_t n = 0;                       // subjects
  int64_t events = 0;                  // events
  std::vector<KaplanMeierStep> steps;  // by time
  // The median survival time and its 95 % interval: the first time the
  // estimate (the lower band, the upper band) is at or below 0.5; when it is
  // exactly 0.5 there and drops later, the midpoint between that time and
  // the drop (R's print(survfit) table). Unset when it never gets there
  // (often the upper limit: the upper band stays above 0.5).
  std::optional<double> median, median_lower, median_upper;
};

// The estimate per group, curves ordered by group name. InvalidArgument
// naming the subject (index) for a negative, NaN or infinite time. An empty
// input gives no curves.
absl::StatusOr<std::vector<KaplanMeierCurve>> KaplanMeier(
    const std::vector<SurvivalSubject>& subjects);

// The curve read at time `t` (R's summary(fit, times = t)): the last step at
// or before t (survival 1 before the first), n_risk = subjects with time >=
// t, n_event = events up to t. nullopt when t is negative or after the last
// time of the curve (the estimate is not defined there).
std::optional<KaplanMeierStep> KaplanMeierAt(const KaplanMeierCurve& curve, double t);

struct LogRankResult {
  double chisq = 0;
  int64_t df = 0;  // groups with an expected count > 0, minus one
  // Upper tail of the chi-square distribution; unset when df is 0 (one group,
  // or no events): there is nothing to compare.
  std::optional<double> p;
  struct Group {
    std::string name;
    int64_t n = 0;
    double observed = 0, expected = 0;
  };
  std::vector<Group> groups;  // by name
};

// The log-rank test (Mantel–Haenszel; R's survdiff with rho = 0) of equal
// survival across the groups of `subjects`. InvalidArgument as KaplanMeier.
absl::StatusOr<LogRankResult> LogRank(const std::vector<SurvivalSubject>& subjects);

// P(X > x) for X chi-square with `df` > 0 degrees of freedom (the
// regularized upper incomplete gamma function Q(df/2, x/2)); 1 for x <= 0.
double ChiSquareUpperTail(double x, double df);

// ---- From progression events to time to event. ----

// Which events end the time to event: the first event of one of these
// kinds. Default: worsening (confirmed disability worsening, msprog's
// firstCDW).
struct SurvivalEventFilter {
  std::vector<ProgressionEventKind> kinds = {ProgressionEventKind::kWorsening};
};

// One patient's time to event.
struct TimeToEvent {
  std::string patient;
  std::string group;
  CivilTime origin;  // the start of the course: its first visit used
  CivilTime end;     // the event date, or the last visit (censored)
  double days = 0;   // end - origin in civil days
  bool event = false;
};

// The time from the start of the course DetectEdssProgression analysed (the
// index-date baseline, or the first visit: `result.start` says which) to the
// first event in `result.events` the filter wants, else censored at the
// patient's last valid visit of the measure in `trajectory` (the one
// DetectEdssProgression was given). nullopt when the course could not start
// (result.analysed false, or no valid visit).
std::optional<TimeToEvent> TimeToFirstEvent(const Patient& patient,
                                            const std::vector<Observation>& trajectory,
                                            const ProgressionResult& result,
                                            const SurvivalEventFilter& filter,
                                            const std::string& group);

// ---- Charts. ----

// Step curves of the estimate, one per curve, against months since the start
// of the course (days / kDaysPerMonth), with a tick at each censoring time
// and the survival axis from 0 to 1: `cotrack survival --plot` and the
// report's time-to-event chart (RenderSvgChart draws it).
ChartSpec BuildSurvivalChart(const std::vector<KaplanMeierCurve>& curves, const std::string& title);

// ---- The whole analysis, for the C ABI (cotrack_survival) and tools. ----

struct SurvivalOptions {
  ProgressionOptions progression;
  SurvivalEventFilter filter;
  // "" (or "none") = one group "all"; "arm"; or a patient attribute, as
  // SummaryOptions::group_by (ValidateGroupBy checks it).
  std::string group_by;
  std::vector<double> at_days;               // survival read at these times (days)
  std::optional<std::string> relapses_file;  // relapse onsets, ReadRelapseCsv
  // Relapse onsets as values of this measure; "" = "relapse" when that
  // measure is registered and no file is given; "none" = not read.
  std::string relapse_measure;
  // "plot": where the caller writes SurvivalChartSvg (the analysis itself
  // writes nothing).
  std::optional<std::string> plot;
};

// Parses options given as (name, value) pairs, the names spelled as the CLI
// flags of `cotrack survival` without "--" ("by", "at", "event", "rule",
// "confirm", "tolerance", "baseline", "no-intermediate", "unconfirmed-last",
// "from-first-visit", "relapse-window", "relapses", "relapse-measure",
// "group-by" as an alias of "by"); a flag without a value has value "".
// "format" and "measure" (edss only) are accepted and ignored / checked.
// InvalidArgument naming the option, the bad value and what was expected,
// or an unknown option name with the known ones.
absl::StatusOr<SurvivalOptions> ParseSurvivalOptions(
    const std::vector<std::pair<std::string, std::string>>& options);

// "12w" -> 84 days, "365d" or "365" -> 365, "1y" -> 365.25, "6m" -> 182.625
// (mean calendar lengths: the axis is in days, not dates). InvalidArgument
// "--at: bad value ..." otherwise.
absl::StatusOr<std::vector<double>> ParseSurvivalTimes(const std::string& list);

// One line with the survival settings and the progression options, e.g.
// "event=worsening by=arm at=365d,730d origin=course start censor=last
// visit; rule=threetier confirm=84d ..." for the settings line of every
// output.
std::string DescribeSurvivalOptions(const SurvivalOptions& options,
                                    const std::string& relapse_source);

struct SurvivalAnalysis {
  std::vector<TimeToEvent> subjects;     // by patient id
  std::vector<KaplanMeierCurve> curves;  // by group
  LogRankResult log_rank;
  std::vector<std::string> not_analysed;  // no course start (see TimeToFirstEvent)
  std::string relapse_source;             // "none", a file, "measure relapse"
  std::string settings;                   // DescribeSurvivalOptions
};

// Reads every patient's EDSS course and relapse onsets from `db`, runs
// DetectProgression with `options.progression`, and estimates the curves and
// the test. With options.relapses_file set, `file_relapses` are that file's
// relapses with their end dates, read by the caller (ReadRelapseEpisodesCsv
// lives in the import layer, above this one). Errors:
// ValidateGroupBy's, RelapseDatesFromMeasure's (NotFound for a missing
// measure), DetectProgression's (InvalidArgument when only some relapses of
// a patient have end dates), reading the database.
absl::StatusOr<SurvivalAnalysis> AnalyzeSurvival(Database& db, const SurvivalOptions& options,
                                                 const RelapseEpisodes& file_relapses = {});

// The Kaplan-Meier step curves of `analysis` as an SVG document, titled by
// the event analysed (`cotrack survival --plot`).
std::string SurvivalChartSvg(const SurvivalAnalysis& analysis, const SurvivalOptions& options);

// What `cotrack survival` prints on stderr after its tables, a line each
// (without the "cotrack: " prefix): patients, events and settings, then the
// patients not analysed, when there are any.
std::vector<std::string> SurvivalNotes(const SurvivalAnalysis& analysis);

// The table of `cotrack survival --format csv` (and cotrack_survival), with
// SurvivalNotes as its notes: a row per group (by name) and a last row whose
// group is "log-rank" (n and events over all groups). Columns: group, n,
// events, median, lower, upper (days; no value where the curve or its band
// never reaches 0.5), for each options.at_days time T (labelled "%gd")
// survival_T, survival_lower_T, survival_upper_T (no value beyond the
// follow-up, and in the test's row) and at_risk_T (0 beyond the follow-up, no
// value in the test's row), then chisq, df, p (the test's row only) and
// parameters (the settings line).
ResultTable SurvivalTable(const SurvivalOptions& options, const SurvivalAnalysis& analysis);

}  // namespace cotrack

#endif  // COTRACK_SURVIVAL_H_
