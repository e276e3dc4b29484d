// Confirmed EDSS worsening and improvement over one patient's course
// (confirmed disability worsening, CDW), and the relapse onset dates that the
// detection needs. Definitions: DESIGN.md "Follow-up analytics"; the
// algorithm and its defaults follow msprog (Montobbio 2024), so results can be
// checked against it.
//
// A rise is only counted once a later visit confirms it, because EDSS moves
// with relapses and examiners; every choice the literature disagrees on
// (threshold rule, confirmation window, fixed or roving reference, relapse
// handling) is an explicit option, and every result carries the options that
// produced it so that tools print them next to the events.
//
// DetectEdssProgression is a pure function of plain values; only
// RelapseDatesFromMeasure reads a Database and ReadRelapseCsv a file. Day
// arithmetic is on civil days (CivilTime::day()).
#ifndef COTRACK_PROGRESSION_H_
#define COTRACK_PROGRESSION_H_

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/baseline.h"
#include "cotrack/change.h"
#include "cotrack/civil_time.h"
#include "cotrack/named_options.h"
#include "cotrack/result_table.h"
#include "cotrack/types.h"

namespace cotrack {

class Database;

// Which reference the scan compares with (msprog's `baseline`).
enum class BaselineScheme {
  kFixed,       // the first valid visit of the course, for good (default)
  kRoving,      // moves after every confirmed event (CDW or CDI)
  kRovingImpr,  // moves after every confirmed improvement only
  kRovingWors,  // moves after every confirmed worsening only
};
// "fixed", "roving", "roving_impr", "roving_wors".
const char* BaselineSchemeName(BaselineScheme s);

enum class ProgressionEventKind { kWorsening, kImprovement };
const char* ProgressionEventKindName(ProgressionEventKind k);  // "worsening", "improvement"

// Which events are reported (msprog's `event`).
enum class ProgressionEventSelection {
  kFirstCdw,  // the first confirmed worsening (msprog's default)
  kFirstCdi,  // the first confirmed improvement
  kMultiple,  // every confirmed event, in date order
  kFirstPira,
  kFirstRaw,
  kFirst,  // the very first confirmed event, CDW or CDI
};
// "firstCDW", "firstCDI", "multiple", "firstPIRA", "firstRAW", "first".
const char* ProgressionEventSelectionName(ProgressionEventSelection e);

// After a confirmed event, where the search (and a roving baseline) goes on.
enum class ProceedFrom { kFirstConf, kEvent };  // "firstconf", "event"
const char* ProceedFromName(ProceedFrom p);

// Which confirmed changes below the threshold move a roving baseline.
enum class SubThresholdRebaseline { kNone, kChange, kImprovement, kWorsening };
const char* SubThresholdRebaselineName(SubThresholdRebaseline s);  // msprog's names

// Whether a local minimum or maximum may be a baseline ("none", "strict", "all").
enum class SkipLocalExtrema { kNone, kStrict, kAll };
const char* SkipLocalExtremaName(SkipLocalExtrema s);

// A worsening split by relapse timing (msprog's CDW_type); kNone for CDI.
enum class CdwType { kNone, kUndefined, kRaw, kPira };
const char* CdwTypeName(CdwType t);  // "", "undefined", "RAW", "PIRA"

// Days from the last relapse onset before a visit and to the next one after
// it (msprog's two-element relapse_to_* vectors; one value = {value, 0}).
struct RelapseDistance {
  double last = 0;
  double next = 0;
};

// Relapse-free intervals that make a CDW a PIRA (msprog's relapse_indep;
// relapse_indep_from_bounds(p0, p1, e0, e1, c0, c1, prec_type)): no relapse
// onset from p0 days before to p1 days after the preceding visit, from e0
// before to e1 after the event and from c0 before to c1 after a confirmation
// visit. An unset bound merges the interval with the neighbouring one
// (msprog's NULL); an interval of zero length is ignored. Default: Mueller
// 2023, 0,0,90,30,90,30.
struct RelapseIndependence {
  enum class Preceding { kBaseline, kLast, kLastDelta };
  std::optional<double> p0 = 0, p1 = 0, e0 = 90, e1 = 30, c0 = 90, c1 = 30;
  Preceding preceding = Preceding::kBaseline;  // "baseline", "last", "last_delta"
};

// The smallest meaningful change from a reference value (msprog's delta_fun)
// and the direction of worsening.
struct StepRule {
  enum class Kind {
    kEdss,      // EdssWorseningThreshold / EdssImprovementThreshold of `rule`
    kAbsolute,  // `amount` in the measure's unit
    kRelative,  // `amount` percent of the reference, at most `cap`
  };
  Kind kind = Kind::kEdss;
  double amount = 0;
  double cap = std::numeric_limits<double>::infinity();
  bool higher_is_worse = true;
};
// The step rule msprog uses for `outcome`: "edss" (the EDSS steps),
// "sdmt" (20 % of the reference, at most 4 points; lower is worse), "nhpt"
// and "t25fw" (20 %, higher is worse). InvalidArgument for other names.
absl::StatusOr<StepRule> OutcomeStepRule(absl::string_view outcome);
// "edss:RULE", "absolute:N", "relative:P[:CAP]", with ",lower-is-worse" when so.
std::string DescribeStepRule(const StepRule& step, EdssRule rule);

struct ProgressionOptions {
  EdssRule rule = EdssRule::kThreeTier;  // used when step.kind is kEdss
  StepRule step;                         // default: the EDSS steps
  std::string outcome = "edss";          // msprog's outcome, for the settings line
  ProgressionEventSelection event = ProgressionEventSelection::kFirstCdw;
  // Classify worsening as RAW/PIRA/undefined (msprog's RAW_PIRA); always on
  // for firstPIRA/firstRAW, off for firstCDI.
  bool raw_pira = false;
  // A confirmation visit lies between confirm_days - tolerance_before_days and
  // confirm_days + tolerance_after_days after the event (inclusive); the
  // first such visit is THE confirmation visit (msprog's rule). Defaults are
  // msprog's: 84 days (12 weeks), -7 / +730.5 days.
  int64_t confirm_days = 84;
  // Further confirmation periods: an event confirmed at any period counts
  // (msprog's conf_days = c(84, 168)). Each has the same tolerance.
  std::vector<int64_t> extra_confirm_days;
  double tolerance_before_days = 7;
  double tolerance_after_days = 730.5;
  BaselineScheme baseline = BaselineScheme::kFixed;
  ProceedFrom proceed_from = ProceedFrom::kFirstConf;
  SubThresholdRebaseline sub_threshold_rebl = SubThresholdRebaseline::kNone;
  bool relapse_rebl = false;  // re-baseline after every relapse
  bool bl_geq = false;        // with relapse_rebl: a new reference is never lower
  SkipLocalExtrema skip_local_extrema = SkipLocalExtrema::kNone;
  // A change must hold at every visit for this many days (inf: to the end of
  // follow-up); a change held to the last visit always counts.
  double require_sust_days = 0;
  // Every visit from the event up to the confirmation visit must hold the
  // change (msprog's check_intermediate). When false only the confirmation
  // visit must.
  bool require_intermediate = true;
  // A worsening at the last visit (no confirmation possible) counts when
  // impute_last_visit is 1, or when it is N > 1 and the visit is at most N
  // days after the first one. 0 (default) never. msprog's probabilities
  // 0 < p < 1 draw random numbers and are refused.
  double impute_last_visit = 0;
  // Distances from relapse onsets (days): a visit closer than `last` after a
  // relapse or `next` before one is not a baseline / event / confirmation.
  RelapseDistance relapse_to_bl{30, 0};
  RelapseDistance relapse_to_event{0, 0};
  RelapseDistance relapse_to_conf{30, 0};
  // A CDW at most `last` days after / `next` days before a relapse is RAW.
  RelapseDistance relapse_assoc{90, 0};
  RelapseIndependence relapse_indep;
  // A change counts when it reaches the step minus this slack, so that in
  // decimal terms exact steps (6.5 -> 5.2 is 20 %) count although binary
  // floating point makes them a hair short. 0 compares exactly as msprog
  // does (its results on such values are floating-point artefacts).
  double threshold_slack = kChangeEpsilon;
  // When the patient has an index date, the course starts at the baseline
  // (FindBaseline with `baseline_options`); earlier visits are ignored. With
  // no index date, or when false, it starts at the first visit (msprog).
  bool from_index_date = true;
  BaselineOptions baseline_options;
};

// Every confirmation period, in the order given (confirm_days first).
std::vector<int64_t> ConfirmPeriods(const ProgressionOptions& options);

// Parses options spelled as `cotrack progression` flags without "--" (the
// CLI and the C ABI both call it): event, raw-pira, baseline, proceed-from,
// sub-threshold-rebl, relapse-rebl, bl-geq, skip-local-extrema, confirm
// ("12w", "84d", "84", or several: "12w,24w"), tolerance ("B,A" or "T", A may
// be inf), require-sust-days (N or inf), no-intermediate, relapse-to-bl,
// relapse-to-event, relapse-to-conf, relapse-assoc (each "LAST" or
// "LAST,NEXT"), relapse-indep ("p0,p1,e0,e1,c0,c1", "null" for an unset bound,
// optionally ",baseline|last|last_delta"), threshold-slack (>= 0),
// impute-last-visit (0, 1 or N days;
// a flag alone = 1), outcome (edss|sdmt|nhpt|t25fw|custom), delta
// ("absolute:N", "relative:P" or "relative:P:CAP"), worsening
// (increase|decrease), rule, from-first-visit, and the older spellings
// unconfirmed-last (= impute-last-visit 1) and relapse-window DAYS (=
// relapse-to-bl and relapse-to-conf DAYS). Flags without a value take "".
// Later pairs override earlier ones. Names this parser does not know are
// returned in `*unknown` when it is not null, and refused otherwise.
// InvalidArgument "--NAME: bad value \"V\" (expected ...)" for the first bad
// pair, or as ValidateProgressionOptions for a bad combination.
absl::Status ParseProgressionOptions(const std::vector<std::pair<std::string, std::string>>& pairs,
                                     ProgressionOptions* options,
                                     std::vector<std::pair<std::string, std::string>>* unknown);

// Checks the options (confirm_days > 0, tolerances and windows >= 0,
// tolerance_before < confirm_days). InvalidArgument naming the field.
absl::Status ValidateProgressionOptions(const ProgressionOptions& options);

// One confirmation period's earliest confirmation visit.
struct ProgressionConfirmation {
  int64_t period_days = 0;
  bool confirmed = false;  // a visit of this period's window confirmed the event
  CivilTime date;
  double value = 0;
  bool pira_confirmed = false;  // ... and was relapse-free as PIRA requires
  CivilTime pira_date;
  double pira_value = 0;
};

struct ProgressionEvent {
  std::string patient;
  ProgressionEventKind kind = ProgressionEventKind::kWorsening;
  CdwType type = CdwType::kNone;  // for worsening: undefined, RAW or PIRA
  int nevent = 0;                 // 1-based number among the reported events
  CivilTime date;                 // the visit where the change first appeared
  double value = 0;
  CivilTime baseline_date;  // the reference in force at the event
  double baseline_value = 0;
  // The last visit before the event that differs from it by the step (and
  // from the confirmation), msprog's last_delta.
  CivilTime last_delta_date;
  double last_delta_value = 0;
  CivilTime confirmed_date;  // the first confirmation visit
  double confirmed_value = 0;
  std::vector<ProgressionConfirmation> confirmations;  // one per period
  bool confirmed = true;                               // false only for an imputed last visit
  bool relapse_associated = false;                     // within relapse_assoc of a relapse
  double threshold = 0;            // the change the rule required from baseline_value
  int64_t time_to_event_days = 0;  // from the course's first visit
  int64_t baseline_to_event_days = 0;
  int64_t sustained_days = 0;      // from the event to the last visit holding it
  bool sustained_to_last = false;  // held up to the last visit
};

// A relapse: onset, and end when known (msprog's renddate_col).
struct Relapse {
  CivilTime onset;
  std::optional<CivilTime> end;
};

struct ProgressionResult {
  std::string patient;
  std::vector<ProgressionEvent> events;  // chronological, as selected by options.event
  // Whether the course could start: false when the patient has an index
  // date but no value on or before it (reported, no events).
  bool analysed = true;
  // How the course started: "index-date baseline", "first visit (no index
  // date)", "first visit", or "no baseline on or before the index date".
  std::string start;
  int64_t visits_used = 0;                  // distinct visit days considered
  int64_t follow_up_days = 0;               // first to last visit used (msprog's total_fu)
  int cdw = 0, cdi = 0, raw = 0, pira = 0;  // counts of the reported events
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
// InvalidArgument for bad options (as ValidateProgressionOptions).
absl::StatusOr<ProgressionResult> DetectEdssProgression(const Patient& patient,
                                                        const std::vector<Observation>& trajectory,
                                                        const std::vector<CivilTime>& relapses,
                                                        const ProgressionOptions& options = {});

// The same with relapse end dates. When any relapse has an end date, every
// relapse must have one (InvalidArgument otherwise) and, as in msprog, the
// nonzero "last" bounds of relapse_to_bl/event/conf and relapse_assoc become
// each relapse's own duration (onset to end).
absl::StatusOr<ProgressionResult> DetectProgression(const Patient& patient,
                                                    const std::vector<Observation>& trajectory,
                                                    const std::vector<Relapse>& relapses,
                                                    const ProgressionOptions& options = {});

// One line listing every option, e.g. "rule=threetier confirm=84d
// tolerance=-7d/+730.5d baseline=fixed intermediate=required ...".
std::string DescribeProgressionOptions(const ProgressionOptions& options);

// msprog's event_sequence of `result` (--counts): its events in order, as
// "CDI", "RAW", "PIRA" or "CDW", joined by ", " ("" when none).
std::string ProgressionEventSequence(const ProgressionResult& result);

// What `cotrack progression` prints on stderr after its table, a line each
// (without the "cotrack: " prefix): the patients analysed and the `events`
// shown with the settings line `parameters`, then the patients with no value
// on or before their index date (not analysed), when there are any.
std::vector<std::string> ProgressionNotes(const std::vector<ProgressionResult>& results,
                                          int64_t events, const std::string& parameters);

// Relapse onset dates by patient id, the `relapses` of DetectEdssProgression.
using RelapseDates = std::map<std::string, std::vector<CivilTime>>;
// Relapses with optional end dates by patient id.
using RelapseEpisodes = std::map<std::string, std::vector<Relapse>>;

// Reads relapse onset dates from a CSV file whose header names a patient
// column ("patient" or "id") and a "date" column; other columns are ignored
// (msprog's relapse file is id,date,visit_day). NotFound when the file cannot
// be opened; InvalidArgument "FILE:LINE:COL: field ..." for a header without
// those columns or for bad rows (listed in file order; no dates are returned
// then, because a relapse left out would silently change the events).
absl::StatusOr<RelapseDates> ReadRelapseCsv(const std::string& path);
// The same with end dates from an optional column "end_date" (or "enddate",
// "end"): when the column exists every row needs an end on or after its
// onset (InvalidArgument "FILE:LINE:COL: ..." otherwise).
absl::StatusOr<RelapseEpisodes> ReadRelapseEpisodesCsv(const std::string& path);

// Every current observation of `measure` (e.g. a user measure "relapse")
// read as a relapse onset on its date, in one pass (Database::ForEachSeries).
// NotFound for an unknown measure; errors reading the database are returned
// as they come.
absl::StatusOr<RelapseDates> RelapseDatesFromMeasure(Database& db, absl::string_view measure);
// The same with end dates: for the built-in measure "relapse" (imported from
// a relapse CSV, docs/IMPORT_FORMATS.md) each value is the relapse's duration
// in days, so end = onset + value; a value stored as ">=0" (end not known)
// and every value of a user measure give the onset only. Patients without a
// current relapse are left out. Errors as RelapseDatesFromMeasure.
absl::StatusOr<RelapseEpisodes> RelapseEpisodesFromMeasure(Database& db, absl::string_view measure);

// The relapses progression and survival use: `file_relapses` when
// `relapses_file` is set (read by the caller with ReadRelapseEpisodesCsv,
// which lives in the import layer), plus those of `relapse_measure` ("" =
// the measure "relapse" when no file is given; "none" = no measure).
// `*source` (when not null) names where they came from for the settings
// line: "none", the file, "measure X" or both; the built-in measure holding
// no relapse still says "none". Errors as RelapseEpisodesFromMeasure.
absl::StatusOr<RelapseEpisodes> CollectRelapses(Database& db,
                                                const std::optional<std::string>& relapses_file,
                                                RelapseEpisodes file_relapses,
                                                const std::string& relapse_measure,
                                                std::string* source);

// `cotrack progression` as a whole: its options, its run over one patient
// or everyone, and its result table. The command line and
// cotrack_progression (cotrack/c.h) both go through these, so they take the
// same options and return the same rows.
struct ProgressionQuery {
  std::string measure = "edss";  // user measures need a delta (ParseProgressionQuery)
  ProgressionOptions options;
  std::optional<std::string> relapses_file;  // a relapse CSV (ReadRelapseEpisodesCsv)
  std::string relapse_measure;               // "" = CollectRelapses' default rule
  bool first_only = false;                   // each patient's first event shown only
  bool counts = false;                       // per-patient counts instead of events
  // The older spellings event=worsening|improvement: every event
  // (multiple), those of one kind shown.
  std::optional<ProgressionEventKind> only;
};

// Parses the command's options (NamedOptions: flags without "--", as the C
// ABI's option names and Python's keyword arguments): measure (default
// edss), relapses, relapse-measure, first, counts, event with its older
// spellings worsening, improvement and all (= multiple), and every option
// ParseProgressionOptions takes. The measure picks msprog's outcome (edss,
// sdmt, nhpt, t25fw) unless `outcome` is given; any other measure needs
// `delta`. InvalidArgument: a user measure without delta ("--measure X: the
// step rule of a user measure must be given: ..."), then the options as
// ParseProgressionOptions reports them (an unknown name included).
absl::StatusOr<ProgressionQuery> ParseProgressionQuery(const NamedOptions& options);

// ParseProgressionQuery's first check: a measure other than edss, sdmt,
// nhpt and t25fw needs a delta (its step rule). InvalidArgument otherwise.
absl::Status CheckProgressionStepRule(const std::string& measure, bool delta_given);

// The results of one run, in patient order.
struct ProgressionRun {
  std::vector<ProgressionResult> results;
  // Where relapse onsets came from (CollectRelapses' source), for the
  // settings line.
  std::string relapse_source;
};

// Runs `query` over `patient` alone (nullopt: everyone with the measure).
// `file_relapses` are those of query.relapses_file, read by the caller
// (ReadRelapseEpisodesCsv lives in the import layer). NotFound for an unknown
// patient or measure; errors of CollectRelapses and DetectProgression, and
// errors reading the database, as they come.
absl::StatusOr<ProgressionRun> RunProgression(Database& db, const ProgressionQuery& query,
                                              const std::optional<std::string>& patient,
                                              RelapseEpisodes file_relapses);

// The settings line of a run: DescribeProgressionOptions, the measure and
// the relapse source ("... measure=edss relapses=none").
std::string ProgressionParameters(const ProgressionQuery& query, const ProgressionRun& run);

// The table of `cotrack progression --format csv` (the "parameters" column
// last), with ProgressionNotes as its notes. Events: patient, nevent, event
// (CDW or CDI), type, date, value, baseline_date, baseline_value,
// last_delta_date, last_delta_value, confirmed_date, confirmed_value (empty
// and NaN for an event imputed at the last visit), then for each
// confirmation period P confP_date, confP_value, PIRA_confP_date,
// PIRA_confP_value, then time2event, bl2event, sust_days, sust_last,
// confirmed, relapse_associated, threshold. With counts, a row per patient:
// patient, event_sequence, CDW, CDI, RAW, PIRA, total_fu.
ResultTable ProgressionTable(const ProgressionQuery& query, const ProgressionRun& run);

}  // namespace cotrack

#endif  // COTRACK_PROGRESSION_H_
