// Cohort summaries: per timepoint and group, how many patients had a value,
// the descriptive statistics of those values, and their change from baseline
// (improved / stable / worsened). This is `cotrack summary` and the tables of
// the HTML report. Definitions: DESIGN.md "Follow-up analytics".
//
// Who was left out (no index date, no baseline, no value in the window,
// censored values) is counted in the result rather than dropped silently,
// and every option is carried with it (DescribeSummaryOptions), because a
// mean means little without knowing whom and what rules it covers.
//
// CohortSummaryBuilder and the statistics are pure functions of plain values;
// SummarizeCohort reads a Database in one pass (Reader::ScanSeries).
#ifndef COTRACK_SUMMARY_H_
#define COTRACK_SUMMARY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/change.h"
#include "cotrack/named_options.h"
#include "cotrack/timepoint.h"
#include "cotrack/types.h"

namespace cotrack {

class Database;

// What a censored value ("<0.5") contributes to statistics.
enum class CensoredRule {
  kExclude,    // left out of every statistic, counted in `censored` (default)
  kHalfLimit,  // "<L" and "<=L" count as L/2; ">L" and ">=L" as L
  kLimit,      // the limit L itself
};
const char* CensoredRuleName(CensoredRule r);  // "exclude", "half-limit", "limit"
// The inverse of CensoredRuleName, ignoring case ("half" is accepted for
// "half-limit"). InvalidArgument listing the accepted names otherwise.
absl::StatusOr<CensoredRule> ParseCensoredRule(absl::string_view text);

// Quartiles: Hyndman & Fan type 7 (linear interpolation between order
// statistics, the default of R and NumPy, so numbers can be checked there):
// for sorted x[0..n-1] and p, h = (n-1)p,
// q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
double Quantile(std::vector<double> values, double p);  // values non-empty

struct Descriptive {
  int64_t n = 0;
  std::optional<double> mean, sd, median, q1, q3, min, max;  // sd: sample (n-1), needs n >= 2
};
// Descriptive statistics of `values` (all unset when empty).
Descriptive Describe(const std::vector<double>& values);

struct SummaryOptions {
  std::vector<Timepoint> timepoints;  // e.g. ParseTimepointList("0,3m,6m,12m")
  TimepointOptions timepoint;
  // "" = one group "all"; "arm" = the patient's arm; anything else = that
  // patient attribute. Patients without it form the group "(none)". An
  // attribute no patient has is an error (ValidateGroupBy), not one group
  // "(none)" holding everyone: that is almost always a typo.
  std::string group_by;
  CensoredRule censored = CensoredRule::kExclude;
  ChangeOptions change;
};

// The group a patient falls in for SummaryOptions::group_by: "all" when
// empty, the arm for "arm", else that attribute; "(none)" when unset.
std::string PatientGroup(const Patient& patient, const std::string& group_by);

// OK when `group_by` is "", "arm", or an attribute at least one patient of
// `db` has. Otherwise InvalidArgument naming it and the known ones, e.g.
//   group_by "sexx": no patient has this attribute (expected "arm" or a
//   patient attribute: "sex", "site"; or "" for one group)
// Errors reading the patients are returned as they come.
absl::Status ValidateGroupBy(Database& db, absl::string_view group_by);

struct SummaryRow {
  std::string measure;
  std::string group;
  std::string timepoint;  // the label
  int64_t patients = 0;   // patients in the group (with values of the measure)
  int64_t missing = 0;    // no value at this timepoint (incl. no index date)
  int64_t censored = 0;   // censored values found at this timepoint
  Descriptive stats;      // over the values used (see CensoredRule)
  // Change from baseline over patients with a usable baseline and value.
  int64_t change_n = 0;
  std::optional<double> change_median, change_mean;
  // Classified changes; percentages are of improved + stable + worsened.
  int64_t improved = 0, stable = 0, worsened = 0;
  std::optional<double> improved_pct, stable_pct, worsened_pct;
};

struct CohortSummary {
  std::string measure;
  std::string unit;
  SummaryOptions options;
  std::vector<SummaryRow> rows;  // by timepoint (as given), then group name
  int64_t patients = 0;
  std::vector<std::string> no_index_date;  // patients skipped: no index date
  std::vector<std::string> no_baseline;    // patients with no baseline value
  // Patients with an index date but no value within the window of any
  // timepoint (they count only as missing).
  std::vector<std::string> no_timepoint_value;
};

// One line (no newline) naming the patients `summary` could not analyse,
// by reason, each with what fixes it, for `cotrack summary`'s stderr and
// the report's notes, e.g.
//   not analysed: no index date: 7, 9 (set index dates with `cotrack import
//   FILE --index-date first-visit` or a patients file patient,index_date);
//   no value within 30 days of any timepoint: 4 (widen --window or choose
//   --at times nearer the visits)
// Long lists end "… and N more" (NamesForMessage, text.h). A patient with no
// value at all is named once, under the last reason. Empty when every
// patient was analysed.
std::string NotAnalysedNote(const CohortSummary& summary);

// What `cotrack summary` prints on stderr after its table, a line each
// (without the "cotrack: " prefix): how many patients had values, then
// NotAnalysedNote when it is not empty. The C ABI's table notes.
std::vector<std::string> SummaryNotes(const CohortSummary& summary);

// Builds a CohortSummary one patient at a time (no database needed), so a
// caller that already holds the trajectories, or reads them for something
// else too (the report, the cohort chart), does not read them twice.
class CohortSummaryBuilder {
 public:
  CohortSummaryBuilder(MeasureDefinition measure, SummaryOptions options);
  // Adds one patient's current trajectory of the measure.
  void Add(const Patient& patient, const std::vector<Observation>& trajectory);
  // The same from a lean scan (Reader::ScanSeries) whose
  // SeriesScanOptions::attribute was options.group_by (when that is neither
  // "" nor "arm"): the result is what Add with the full patient gives.
  void Add(const SeriesPatient& patient, const std::vector<SeriesValue>& values);
  // Adds everything `other` (same measure and options) was given, as if its
  // patients had been added here after this builder's own, in the order it
  // got them: builders of consecutive parts of a scan, merged in part
  // order, give the summary of the whole scan, to the last bit.
  void Merge(CohortSummaryBuilder&& other);
  CohortSummary Finish() const;

 private:
  void AddValues(const std::string& id, const std::string& group,
                 const std::optional<CivilTime>& index_date,
                 const std::vector<SeriesValue>& values);

  struct Cell {
    int64_t patients = 0, missing = 0, censored = 0;
    std::vector<double> values, changes;
    int64_t improved = 0, stable = 0, worsened = 0;
  };
  MeasureDefinition measure_;
  SummaryOptions options_;
  std::map<std::string, std::vector<Cell>> groups_;  // one cell per timepoint
  int64_t patients_ = 0;
  std::vector<std::string> no_index_date_;
  std::vector<std::string> no_baseline_;
  std::vector<std::string> no_timepoint_value_;
  std::vector<SeriesValue> lean_;  // Add's conversion buffer
};

// One line listing every option, e.g. "at=0,6m window=30d lookback=any
// by=arm censored=exclude edss-rule=threetier quartiles=type7".
std::string DescribeSummaryOptions(const SummaryOptions& options);

// The options of `cotrack summary` (also report's and plot's cohort
// options), as name/value pairs (NamedOptions in named_options.h): at, window,
// lookback, by, censored, rule. Absent ones keep their defaults: at
// "0,3m,6m,12m", window 30, no look-back limit, by `default_by` ("none" = one
// group), censored exclude, rule threetier. The command line and
// cotrack_summary_table (cotrack/c.h) both parse them here: the same
// options, and a bad one is InvalidArgument with the same message, e.g.
// `--window: bad value "x" (expected an integer from 0 to 3650)`; also for
// an unknown name (listing the known ones) or a name given twice.
absl::StatusOr<SummaryOptions> ParseSummaryOptions(const NamedOptions& options,
                                                   const std::string& default_by = "");
// The names ParseSummaryOptions takes: at, window, lookback, by, censored,
// rule.
const std::vector<std::string>& SummaryOptionNames();

// Summarises `measure` over every patient in one pass over one snapshot
// (Reader::ScanSeries), in up to `threads` parts at once (0: the machine's
// hardware threads, at most 4; a small cohort is scanned in one); the result
// is the same, to the last bit, for any number of threads. InvalidArgument
// when no timepoint is given, the window is negative, threads < 0, or
// group_by names an attribute no patient has (ValidateGroupBy); NotFound for
// an unknown measure; errors reading the database are returned as they
// come.
absl::StatusOr<CohortSummary> SummarizeCohort(Database& db, absl::string_view measure,
                                              const SummaryOptions& options, int threads = 0);

}  // namespace cotrack

#endif  // COTRACK_SUMMARY_H_
