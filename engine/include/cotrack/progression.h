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
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/baseline.h"
#include "cotrack/change.h"
#include "cotrack/civil_time.h"
#include "cotrack/types.h"

namespace cotrack {

class Database;

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
// InvalidArgument for bad options (as ValidateProgressionOptions).
absl::StatusOr<ProgressionResult> DetectEdssProgression(const Patient& patient,
                                                        const std::vector<Observation>& trajectory,
                                                        const std::vector<CivilTime>& relapses,
                                                        const ProgressionOptions& options = {});

// One line listing every option, e.g. "rule=threetier confirm=84d
// tolerance=-7d/+730.5d baseline=fixed intermediate=required ...".
std::string DescribeProgressionOptions(const ProgressionOptions& options);

// Relapse onset dates by patient id, the `relapses` of DetectEdssProgression.
using RelapseDates = std::map<std::string, std::vector<CivilTime>>;

// Reads relapse onset dates from a CSV file whose header names a patient
// column ("patient" or "id") and a "date" column; other columns are ignored
// (msprog's relapse file is id,date,visit_day). NotFound when the file cannot
// be opened; InvalidArgument "FILE:LINE:COL: field ..." for a header without
// those columns or for bad rows (listed in file order; no dates are returned
// then, because a relapse left out would silently change the events).
absl::StatusOr<RelapseDates> ReadRelapseCsv(const std::string& path);

// Every current observation of `measure` (e.g. a user measure "relapse")
// read as a relapse onset on its date, in one pass (Database::ForEachSeries).
// NotFound for an unknown measure; errors reading the database are returned
// as they come.
absl::StatusOr<RelapseDates> RelapseDatesFromMeasure(Database& db, absl::string_view measure);

}  // namespace cotrack

#endif  // COTRACK_PROGRESSION_H_
