// Follow-up analytics over stored trajectories: baselines, protocol
// timepoints, change from baseline, confirmed EDSS worsening/improvement,
// cohort tables and derived values. Definitions: DESIGN.md "Follow-up
// analytics".
//
// The computations are pure functions of plain values (Observation, Patient,
// MeasureDefinition), so they can be tested and reused without a database;
// only SummarizeCohort, RelapseDatesFromMeasure, CohortChart and
// BuildHtmlReport read a Database (each in one pass per measure via
// ForEachSeries), and ReadRelapseCsv a file. Every result carries the options
// that produced it so that tools can print them next to the numbers.
//
// Day arithmetic is on civil days (CivilTime::day()); the time of day of an
// observation never matters for baselines, timepoints or confirmation.
#ifndef COTRACK_ANALYTICS_H_
#define COTRACK_ANALYTICS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/civil_time.h"
#include "cotrack/types.h"

namespace cotrack {

class Database;

// ---------------------------------------------------------------------------
// Baseline (engine/analytics/baseline.cc)
// ---------------------------------------------------------------------------

struct BaselineOptions {
  // Only values at most this many days before the index date count. Unset:
  // any earlier value.
  std::optional<int64_t> lookback_days;
};

enum class BaselineStatus {
  kFound,
  kNoIndexDate,  // the patient has no index date: reported, never guessed
  kNoValue,      // no valid value on or before the index date (in look-back)
};
// "found", "no-index-date", "no-value".
const char* BaselineStatusName(BaselineStatus s);

struct BaselineResult {
  BaselineStatus status = BaselineStatus::kNoValue;
  std::optional<Observation> observation;  // set when kFound
  BaselineOptions options;
};

// The baseline: the last valid (not entered-in-error) value whose civil day is
// on or before the patient's index date, within the look-back window. Any
// time of day on the index date counts as "on". `trajectory` may be in any
// order; when two values share the latest time the later one listed wins.
BaselineResult FindBaseline(const Patient& patient, const std::vector<Observation>& trajectory,
                            const BaselineOptions& options = {});

// ---------------------------------------------------------------------------
// Protocol timepoints (engine/analytics/timepoint.cc)
// ---------------------------------------------------------------------------

enum class TimepointUnit { kBaseline, kDays, kWeeks, kMonths, kYears };

// A protocol timepoint relative to the index date.
//   "0"   the baseline (FindBaseline), not the value nearest the index date;
//   "Nd"  N days after the index date (N elapsed days, i.e. study day N+1:
//         study days have no day 0, the index date is day 1);
//   "Nw"  7*N days;
//   "Nm"  N calendar months: same day-of-month, clamped to the month's last
//         day (2024-01-31 + 1m = 2024-02-29);
//   "Ny"  12*N calendar months, clamped the same way (2024-02-29 + 1y =
//         2025-02-28).
// N is a non-negative integer of at most 5 digits ("0d" is the value nearest
// the index date itself, which differs from "0").
struct Timepoint {
  std::string label;  // as written, e.g. "6m"
  TimepointUnit unit = TimepointUnit::kBaseline;
  int64_t amount = 0;
};

// Parses one timepoint as documented above. InvalidArgument naming the text
// and the accepted forms otherwise.
absl::StatusOr<Timepoint> ParseTimepoint(absl::string_view text);
// Parses a comma-separated list such as "0,3m,6m,12m"; rejects empty items
// and duplicates.
absl::StatusOr<std::vector<Timepoint>> ParseTimepointList(absl::string_view text);

// The target civil day (days since 1970-01-01) of `tp` for an index date on
// `index_day`. For kBaseline, `index_day` itself.
int64_t TimepointTargetDay(const Timepoint& tp, int64_t index_day);

// Study day of `day` for an index date on `index_day`: 1 on the index date,
// 2 the day after, -1 the day before. Never 0.
int64_t StudyDay(int64_t index_day, int64_t day);

// Days since 1970-01-01 -> proleptic Gregorian date.
void CivilDayToDate(int64_t day, int64_t* year, unsigned* month, unsigned* dayofmonth);

struct TimepointOptions {
  // An observation counts for a timepoint when its day is within this many
  // days of the target (inclusive). Must be >= 0.
  int64_t window_days = 30;
  BaselineOptions baseline;  // used for the "0" timepoint
};

enum class TimepointStatus {
  kFound,
  kNoIndexDate,  // reported, never guessed
  kNoValue,      // nothing within the window (or no baseline for "0")
};
const char* TimepointStatusName(TimepointStatus s);

struct TimepointValue {
  Timepoint timepoint;
  TimepointStatus status = TimepointStatus::kNoValue;
  std::optional<Observation> observation;
  int64_t target_day = 0;   // meaningful unless kNoIndexDate
  int64_t offset_days = 0;  // observation day - target day, when found
  TimepointOptions options;
};

// The observation nearest the timepoint's target within +-window days.
// Tie rule: when two observations are equally near (one before, one after
// the target, or two on the same day), the EARLIER one wins, because it is
// the one that was known first and is never influenced by what happened
// after the target. Entered-in-error values are skipped. For "0" this is
// FindBaseline.
TimepointValue ValueAtTimepoint(const Patient& patient, const std::vector<Observation>& trajectory,
                                const Timepoint& tp, const TimepointOptions& options = {});

// ---------------------------------------------------------------------------
// Change from baseline and classification (engine/analytics/change.cc)
// ---------------------------------------------------------------------------

// The published EDSS threshold rules (DESIGN.md table). Worsening thresholds
// by baseline EDSS:
//   kThreeTier  (Lublin 2014 / Kappos; default): +1.5 from 0, +1.0 from
//               1.0-5.5, +0.5 from >= 6.0
//   kTwoTier    (many trials): +1.0 up to 5.5, +0.5 from >= 6.0
//   kMsOutcomes (Kalincik 2015, MSBase): +1.5 from 0, +1.0 below 6.0, +0.5
//               from >= 6.0
//   kMsprog     (Montobbio 2024, msprog's compute_delta): +1.5 from 0, +1.0
//               up to 5.0, +0.5 from >= 5.5
// Improvement thresholds: for kMsprog the same delta as worsening (msprog is
// symmetric); for the others MSoutcomes': -1.5 from <= 1.5, -1.0 from <= 6.0,
// -0.5 above 6.0.
enum class EdssRule { kThreeTier, kTwoTier, kMsOutcomes, kMsprog };
// "threetier", "twotier", "msoutcomes", "msprog".
const char* EdssRuleName(EdssRule rule);
absl::StatusOr<EdssRule> ParseEdssRule(absl::string_view text);
// Smallest increase from `baseline` that counts as worsening under `rule`.
double EdssWorseningThreshold(EdssRule rule, double baseline);
// Smallest decrease from `baseline` that counts as improvement under `rule`.
double EdssImprovementThreshold(EdssRule rule, double baseline);

// Threshold comparisons allow this much floating-point slack, so that e.g.
// 6.8 - 6.3 counts as a change of 0.5.
constexpr double kChangeEpsilon = 1e-9;

enum class ChangeClass { kImproved, kStable, kWorsened, kUnclassified };
// "improved", "stable", "worsened", "unclassified".
const char* ChangeClassName(ChangeClass c);

struct ChangeOptions {
  EdssRule edss_rule = EdssRule::kThreeTier;  // used when the measure is edss
};

struct Change {
  double baseline = 0;
  double value = 0;
  double absolute = 0;            // value - baseline
  std::optional<double> percent;  // 100 * absolute / |baseline|; unset when baseline is 0
  ChangeClass classification = ChangeClass::kUnclassified;
  // The thresholds applied (0 when unclassified), in the measure's unit.
  double worsening_threshold = 0;
  double improvement_threshold = 0;
  std::string rule;  // "edss:threetier", "measure-threshold", or why unclassified
  ChangeOptions options;
};

// Change from `baseline` to `value` for `measure`. EDSS ("edss") is
// classified with the step rule by baseline; other measures with their
// direction and change_threshold (a change of at least the threshold in the
// worse direction is worsened, in the better direction improved, otherwise
// stable). Measures with no direction or a zero threshold are unclassified.
Change ComputeChange(const MeasureDefinition& measure, double baseline, double value,
                     const ChangeOptions& options = {});

// ---------------------------------------------------------------------------
// Confirmed EDSS worsening / improvement (engine/analytics/edss_progression.cc)
// ---------------------------------------------------------------------------

enum class BaselineScheme {
  kFixed,   // the reference stays at the first (valid) visit of the course
  kRoving,  // after each confirmed event the reference moves to the event's
            // first confirmation visit (msprog's baseline='roving')
};
const char* BaselineSchemeName(BaselineScheme s);  // "fixed", "roving"

enum class ProgressionEventKind { kWorsening, kImprovement };
const char* ProgressionEventKindName(ProgressionEventKind k);  // "worsening", "improvement"

struct ProgressionOptions {
  EdssRule rule = EdssRule::kThreeTier;
  // A confirmation visit lies between confirm_days - tolerance_before_days and
  // confirm_days + tolerance_after_days after the event (inclusive); the
  // first such visit is THE confirmation visit (msprog's rule). Defaults are
  // msprog's: 84 days (12 weeks), -7 / +730.5 days.
  int64_t confirm_days = 84;
  double tolerance_before_days = 7;
  double tolerance_after_days = 730.5;
  BaselineScheme baseline = BaselineScheme::kFixed;
  // Every visit from the event up to the confirmation visit must hold the
  // change (msprog's check_intermediate). When false only the confirmation
  // visit must.
  bool require_intermediate = true;
  // A qualifying rise at the last visit has no confirmation; by default it is
  // ignored. When true it is reported as a worsening with confirmed = false
  // (msprog's impute_last_visit=1). Falls at the last visit are never counted.
  bool count_unconfirmed_last = false;
  // Visits on a relapse day or fewer than this many days after a relapse are
  // used neither as reference nor as confirmation (msprog's relapse_to_bl and
  // relapse_to_conf). 0 disables.
  int64_t relapse_window_days = 30;
  // An event within this many days after a relapse is marked relapse-
  // associated (msprog's relapse_assoc). Detection is not affected.
  int64_t relapse_associated_days = 90;
  // When the patient has an index date, the course starts at the baseline
  // (FindBaseline with `baseline_options`); earlier visits are ignored. With
  // no index date, or when false, it starts at the first visit (msprog).
  bool from_index_date = true;
  BaselineOptions baseline_options;
};

// Checks the options (confirm_days > 0, tolerances and windows >= 0,
// tolerance_before < confirm_days). InvalidArgument naming the field.
absl::Status ValidateProgressionOptions(const ProgressionOptions& options);

struct ProgressionEvent {
  std::string patient;
  ProgressionEventKind kind = ProgressionEventKind::kWorsening;
  CivilTime date;  // the visit where the change first appeared
  double value = 0;
  CivilTime baseline_date;  // the reference in force at the event
  double baseline_value = 0;
  CivilTime confirmed_date;  // the first confirmation visit
  double confirmed_value = 0;
  bool confirmed = true;            // false only with count_unconfirmed_last
  bool relapse_associated = false;  // a relapse 0..relapse_associated_days before
  double threshold = 0;             // the change the rule required from baseline_value
};

struct ProgressionResult {
  std::string patient;
  std::vector<ProgressionEvent> events;  // chronological, both kinds
  // Whether the course could start: false when the patient has an index
  // date but no EDSS on or before it (reported, no events).
  bool analysed = true;
  // How the course started: "index-date baseline", "first visit (no index
  // date)", "first visit", or "no baseline on or before the index date".
  std::string start;
  int64_t visits_used = 0;  // distinct visit days considered
  ProgressionOptions options;
};

// Scans one patient's EDSS course in chronological order (msprog's
// sequential algorithm): from the reference, the first later visit that
// differs by at least the rule's threshold is a candidate event; it is
// confirmed when the first visit inside the confirmation window (and, with
// require_intermediate, every visit in between) still holds the change from
// the same reference. Unconfirmed candidates are skipped and the scan goes on
// from the next visit; after a confirmed event it goes on after the
// confirmation visit. Several values on one civil day: the last one counts
// (msprog). Censored values are ignored. `relapses` are relapse onset dates.
// InvalidArgument for bad options.
absl::StatusOr<ProgressionResult> DetectEdssProgression(const Patient& patient,
                                                        const std::vector<Observation>& trajectory,
                                                        const std::vector<CivilTime>& relapses,
                                                        const ProgressionOptions& options = {});

// One line listing every option, e.g. "rule=threetier confirm=84d
// tolerance=-7d/+730.5d baseline=fixed intermediate=required ...".
std::string DescribeProgressionOptions(const ProgressionOptions& options);

// Relapse onset dates by patient id (engine/analytics/relapses.cc).
using RelapseDates = std::map<std::string, std::vector<CivilTime>>;

// Reads relapse onset dates from a CSV file whose header names a patient
// column ("patient" or "id") and a "date" column; other columns are ignored
// (msprog's relapse file is id,date,visit_day). NotFound when the file cannot
// be opened; InvalidArgument "FILE:LINE:COL: field ..." for bad rows.
absl::StatusOr<RelapseDates> ReadRelapseCsv(const std::string& path);

// Every current observation of `measure` (e.g. a user measure "relapse")
// read as a relapse onset on its date, in one pass. NotFound for an unknown
// measure.
absl::StatusOr<RelapseDates> RelapseDatesFromMeasure(Database& db, absl::string_view measure);

// ---------------------------------------------------------------------------
// Cohort summary (engine/analytics/cohort_summary.cc)
// ---------------------------------------------------------------------------

// What a censored value ("<0.5") contributes to statistics.
enum class CensoredRule {
  kExclude,    // left out of every statistic, counted in `censored` (default)
  kHalfLimit,  // "<L" and "<=L" count as L/2; ">L" and ">=L" as L
  kLimit,      // the limit L itself
};
const char* CensoredRuleName(CensoredRule r);  // "exclude", "half-limit", "limit"
absl::StatusOr<CensoredRule> ParseCensoredRule(absl::string_view text);

// Quartiles: Hyndman & Fan type 7 (linear interpolation between order
// statistics, the default of R and NumPy): for sorted x[0..n-1] and p,
// h = (n-1)p, q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
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
  // patient attribute. Patients without it form the group "(none)".
  std::string group_by;
  CensoredRule censored = CensoredRule::kExclude;
  ChangeOptions change;
};

// The group a patient falls in for SummaryOptions::group_by: "all" when
// empty, the arm for "arm", else that attribute; "(none)" when unset.
std::string PatientGroup(const Patient& patient, const std::string& group_by);

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
};

// Builds a CohortSummary one patient at a time (no database needed).
class CohortSummaryBuilder {
 public:
  CohortSummaryBuilder(MeasureDefinition measure, SummaryOptions options);
  // Adds one patient's current trajectory of the measure.
  void Add(const Patient& patient, const std::vector<Observation>& trajectory);
  CohortSummary Finish() const;

 private:
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
};

// One line listing every option, e.g. "at=0,6m window=30d lookback=any
// by=arm censored=exclude edss-rule=threetier quartiles=type7".
std::string DescribeSummaryOptions(const SummaryOptions& options);

// Summarises `measure` over every patient in one pass
// (Database::ForEachSeries). NotFound for an unknown measure; InvalidArgument
// when no timepoint is given.
absl::StatusOr<CohortSummary> SummarizeCohort(Database& db, absl::string_view measure,
                                              const SummaryOptions& options);

// ---------------------------------------------------------------------------
// Charts and the HTML report (engine/analytics/svg_chart.cc, report.cc)
// ---------------------------------------------------------------------------

struct ChartSeries {
  std::string label;    // legend text; empty = not listed
  std::string tooltip;  // shown on hover (e.g. the patient id); default: label
  std::vector<std::pair<double, double>> points;  // (x, y), joined in this order
  int color = 0;            // index into a colour-blind-safe palette (Okabe-Ito)
  bool emphasized = false;  // thick line with markers (medians); else thin, light
};

struct ChartSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ChartSeries> series;
  std::optional<double> y_min, y_max;  // unset: the data's range (padded)
  int width = 760;
  int height = 420;
  std::string note;  // small print under the plot, e.g. who was left out
};

// A standalone SVG document (<svg xmlns=...>) of `spec`: white background,
// axes with round-number ticks, grid, legend; black text that prints well.
// Text is XML-escaped. An empty chart still renders (with "no data").
std::string RenderSvgChart(const ChartSpec& spec);

// Months since the index date on the x axis: days / 30.4375.
constexpr double kDaysPerMonth = 30.4375;

// The cohort chart: every patient's trajectory against months since the
// index date (thin, coloured by group) and the median per group at the
// summary's timepoints (thick). Patients without an index date are left out
// and named in the note.
ChartSpec BuildCohortChart(const MeasureDefinition& measure,
                           const std::vector<std::pair<Patient, std::vector<Observation>>>& series,
                           const CohortSummary& summary);

// BuildCohortChart over the database in one pass; `patients` restricts the
// trajectories drawn (empty = all; the medians stay the cohort's).
absl::StatusOr<ChartSpec> CohortChart(Database& db, absl::string_view measure,
                                      const SummaryOptions& options,
                                      const std::vector<std::string>& patients = {});

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
// also confirmed worsening/improvement per group, for AIS the severity
// bands per timepoint), the
// parameters used, and who was left out. NotFound for an unknown measure.
absl::StatusOr<std::string> BuildHtmlReport(Database& db, const ReportOptions& options);

// ---------------------------------------------------------------------------
// Derived values (engine/analytics/derived.cc)
// ---------------------------------------------------------------------------

// Athens Insomnia Scale severity bands (Okajima 2020): 0-5 none, 6-9 mild,
// 10-15 moderate, 16-24 severe.
enum class AisSeverity { kNone, kMild, kModerate, kSevere };
const char* AisSeverityName(AisSeverity s);  // "none", "mild", "moderate", "severe"
// InvalidArgument when `total` is not an integer in 0..24.
absl::StatusOr<AisSeverity> AisSeverityBand(double total);

// HbA1c, NGSP master equation: NGSP% = 0.09148 * IFCC + 2.152, so
// IFCC mmol/mol = (NGSP% - 2.152) / 0.09148.
double HbA1cIfccFromNgsp(double ngsp_percent);
// ADAG (Nathan 2008): eAG mg/dL = 28.7 * A1c - 46.7; mmol/L = 1.59 * A1c - 2.59.
double EstimatedAverageGlucoseMgDl(double ngsp_percent);
double EstimatedAverageGlucoseMmolL(double ngsp_percent);
// C-peptide: ng/mL * 0.3311 = nmol/L; pmol/L = nmol/L * 1000.
double CPeptideNgMlFromNmolL(double nmol_per_l);
double CPeptidePmolLFromNmolL(double nmol_per_l);

struct SubscaleScore {
  std::string name;
  std::optional<double> score;  // unset when any of its items is unanswered
  int items_answered = 0;
  int items_total = 0;
};
// Sums `items` (1-based item k at index k-1; NaN = unanswered) over each of
// the measure's subscales. InvalidArgument when the measure has subscales
// and `items` does not have item_count entries, or a subscale names an item
// out of range. Empty when the measure has no subscales or no items.
absl::StatusOr<std::vector<SubscaleScore>> ComputeSubscales(const MeasureDefinition& measure,
                                                            const std::vector<double>& items);

struct DerivedValue {
  std::string name;  // e.g. "ifcc", "eag_mgdl", "severity", "physical"
  std::optional<double> value;
  std::string unit;
  std::string text;                           // e.g. "moderate"; or the value formatted
  Comparator comparator = Comparator::kNone;  // carried over from a censored source
};
// The derived values of one observation: AIS severity band; FIS/MFIS
// subscales (when items are stored); HbA1c in IFCC units and eAG; C-peptide
// in ng/mL and pmol/L. Empty for other measures. A censored source yields
// censored derived values with the same comparator (monotone conversions).
absl::StatusOr<std::vector<DerivedValue>> DeriveValues(const MeasureDefinition& measure,
                                                       const Observation& obs);

// "ifcc=<53 mmol/mol; eag_mgdl=<154 mg/dL" -- one text cell for query
// output (empty when there are none).
std::string FormatDerivedValues(const std::vector<DerivedValue>& values);

}  // namespace cotrack

#endif  // COTRACK_ANALYTICS_H_
