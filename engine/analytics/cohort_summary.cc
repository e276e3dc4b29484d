#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "change_rule.h"
#include "cotrack/baseline.h"
#include "cotrack/change.h"
#include "cotrack/database.h"
#include "cotrack/status_macros.h"
#include "cotrack/summary.h"
#include "cotrack/text.h"
#include "cotrack/timepoint.h"
#include "decimal.h"
#include "selection.h"

namespace cotrack {
namespace {

constexpr char kNoGroup[] = "(none)";

// The number a value contributes under `rule`, or nullopt when excluded.
std::optional<double> UsableValue(const SeriesValue& obs, CensoredRule rule) {
  switch (obs.comparator) {
    case Comparator::kNone:
      return obs.value;
    case Comparator::kLess:
    case Comparator::kLessEqual:
      if (rule == CensoredRule::kExclude) return std::nullopt;
      return rule == CensoredRule::kHalfLimit ? obs.value / 2 : obs.value;
    case Comparator::kGreater:
    case Comparator::kGreaterEqual:
      if (rule == CensoredRule::kExclude) return std::nullopt;
      return obs.value;
  }
  return std::nullopt;
}

// PatientGroup for a lean patient whose attribute is group_by's, by
// reference: no string is built per patient.
const std::string& LeanGroup(const SeriesPatient& p, const std::string& group_by) {
  static const std::string* const kAll = new std::string("all");
  static const std::string* const kNone = new std::string(kNoGroup);
  if (group_by.empty()) return *kAll;
  if (group_by == "arm") return p.arm.empty() ? *kNone : p.arm;
  if (!p.attribute.has_value() || p.attribute->empty()) return *kNone;
  return *p.attribute;
}

std::optional<double> Percent(int64_t part, int64_t whole) {
  if (whole == 0) return std::nullopt;
  return decimal::Clean(100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace

std::string PatientGroup(const Patient& p, const std::string& group_by) {
  if (group_by.empty()) return "all";
  if (group_by == "arm") return p.arm.empty() ? kNoGroup : p.arm;
  auto it = p.attributes.find(group_by);
  if (it == p.attributes.end() || it->second.empty()) return kNoGroup;
  return it->second;
}

const char* CensoredRuleName(CensoredRule r) {
  switch (r) {
    case CensoredRule::kExclude:
      return "exclude";
    case CensoredRule::kHalfLimit:
      return "half-limit";
    case CensoredRule::kLimit:
      return "limit";
  }
  return "unknown";
}

absl::StatusOr<CensoredRule> ParseCensoredRule(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "exclude") return CensoredRule::kExclude;
  if (t == "half-limit" || t == "half") return CensoredRule::kHalfLimit;
  if (t == "limit") return CensoredRule::kLimit;
  return absl::InvalidArgumentError(absl::StrCat("censored-value rule \"", text,
                                                 "\" is unknown (expected exclude, half-limit "
                                                 "or limit)"));
}

std::string DescribeSummaryOptions(const SummaryOptions& o) {
  std::vector<std::string> labels;
  for (const Timepoint& tp : o.timepoints) labels.push_back(tp.label);
  return absl::StrCat("at=", absl::StrJoin(labels, ","), " window=", o.timepoint.window_days,
                      "d lookback=",
                      o.timepoint.baseline.lookback_days.has_value()
                          ? absl::StrCat(*o.timepoint.baseline.lookback_days, "d")
                          : std::string("any"),
                      " by=", o.group_by.empty() ? std::string("none") : o.group_by,
                      " censored=", CensoredRuleName(o.censored),
                      " edss-rule=", EdssRuleName(o.change.edss_rule), " quartiles=type7");
}

std::vector<std::string> SummaryNotes(const CohortSummary& summary) {
  std::vector<std::string> notes = {
      absl::StrCat(summary.patients, " patient(s) with ", summary.measure, " values")};
  if (std::string note = NotAnalysedNote(summary); !note.empty()) notes.push_back(std::move(note));
  return notes;
}

std::string NotAnalysedNote(const CohortSummary& summary) {
  // Sorted: the builder lists patients in the order the data gave them.
  CohortSummary s = summary;
  for (auto* list : {&s.no_index_date, &s.no_baseline, &s.no_timepoint_value}) {
    std::sort(list->begin(), list->end());
  }
  std::vector<std::string> parts;
  if (!s.no_index_date.empty()) {
    parts.push_back(absl::StrCat(
        "no index date: ", NamesForMessage(s.no_index_date),
        " (set index dates with `cotrack import FILE --index-date first-visit` or a patients "
        "file patient,index_date)"));
  }
  const absl::flat_hash_set<std::string> nothing(s.no_timepoint_value.begin(),
                                                 s.no_timepoint_value.end());
  std::vector<std::string> no_baseline;
  for (const std::string& p : s.no_baseline) {
    if (!nothing.contains(p)) no_baseline.push_back(p);
  }
  if (!no_baseline.empty()) {
    const std::optional<int64_t>& lookback = s.options.timepoint.baseline.lookback_days;
    parts.push_back(absl::StrCat(
        "no baseline value on or before the index date",
        lookback ? absl::StrCat(" (within ", *lookback, " days)") : std::string(),
        ", so no change: ", NamesForMessage(no_baseline),
        lookback ? " (record a baseline visit, or allow an earlier one with a longer --lookback)"
                 : " (record a baseline visit on or before the index date, or correct the index "
                   "date with a patients file patient,index_date)"));
  }
  if (!s.no_timepoint_value.empty()) {
    parts.push_back(absl::StrCat("no value within ", s.options.timepoint.window_days,
                                 " days of any timepoint: ", NamesForMessage(s.no_timepoint_value),
                                 " (widen --window or choose --at times nearer the visits)"));
  }
  if (parts.empty()) return "";
  return absl::StrCat("not analysed: ", absl::StrJoin(parts, "; "));
}

CohortSummaryBuilder::CohortSummaryBuilder(MeasureDefinition measure, SummaryOptions options)
    : measure_(std::move(measure)), options_(std::move(options)) {}

void CohortSummaryBuilder::Add(const Patient& patient, const std::vector<Observation>& trajectory) {
  lean_.clear();
  for (const Observation& o : trajectory) {
    // Never a value: FindBaseline and ValueAtTimepoint skip them.
    if (o.status == ObservationStatus::kEnteredInError) continue;
    lean_.push_back(SeriesValue{o.time, o.value, o.comparator});
  }
  AddValues(patient.id, PatientGroup(patient, options_.group_by), patient.index_date, lean_);
}

void CohortSummaryBuilder::Add(const SeriesPatient& patient,
                               const std::vector<SeriesValue>& values) {
  AddValues(patient.id, LeanGroup(patient, options_.group_by), patient.index_date, values);
}

void CohortSummaryBuilder::AddValues(const std::string& id, const std::string& group,
                                     const std::optional<CivilTime>& index_date,
                                     const std::vector<SeriesValue>& values) {
  ++patients_;
  std::vector<Cell>& cells = groups_[group];
  cells.resize(options_.timepoints.size());
  for (Cell& cell : cells) ++cell.patients;

  if (!index_date.has_value()) {
    no_index_date_.push_back(id);
    for (Cell& cell : cells) ++cell.missing;
    return;
  }
  // The selection rules of FindBaseline and ValueAtTimepoint, on indices:
  // nothing is copied per timepoint.
  const int64_t index_day = index_date->day();
  const auto seconds = [&](size_t i) { return values[i].time.seconds; };
  const auto never = [](size_t) { return false; };
  // Scanned values come in time order; the check keeps any other caller's
  // order correct, at one comparison per value.
  const bool sorted = std::is_sorted(
      values.begin(), values.end(),
      [](const SeriesValue& a, const SeriesValue& b) { return a.time.seconds < b.time.seconds; });
  const size_t bl = sorted ? selection::BaselineSorted(values.size(), seconds, index_day,
                                                       options_.timepoint.baseline)
                           : selection::Baseline(values.size(), seconds, never, index_day,
                                                 options_.timepoint.baseline);
  std::optional<double> bl_value;
  if (bl != selection::kNone) {
    bl_value = UsableValue(values[bl], options_.censored);
  } else {
    no_baseline_.push_back(id);
  }
  // ComputeChange's classification without its Change record: the
  // thresholds depend on the baseline only, so once per patient.
  change_rule::Thresholds rule;
  if (bl_value.has_value()) rule = change_rule::For(measure_, *bl_value, options_.change);

  bool any_value = false;
  for (size_t i = 0; i < options_.timepoints.size(); ++i) {
    Cell& cell = cells[i];
    const Timepoint& tp = options_.timepoints[i];
    size_t at = bl;
    if (tp.unit != TimepointUnit::kBaseline) {
      const int64_t target = TimepointTargetDay(tp, index_day);
      const int64_t window = options_.timepoint.window_days;
      at = sorted ? selection::NearestSorted(values.size(), seconds, target, window)
                  : selection::Nearest(values.size(), seconds, never, target, window);
    }
    if (at == selection::kNone) {
      ++cell.missing;
      continue;
    }
    any_value = true;
    const SeriesValue& value = values[at];
    if (value.comparator != Comparator::kNone) ++cell.censored;
    const std::optional<double> v = UsableValue(value, options_.censored);
    if (!v.has_value()) continue;
    cell.values.push_back(*v);
    if (!bl_value.has_value()) continue;
    // As ComputeChange: the difference in decimal (decimal.h).
    const double absolute = decimal::Difference(*v, *bl_value);
    cell.changes.push_back(absolute);
    switch (change_rule::Classify(rule, absolute)) {
      case ChangeClass::kImproved:
        ++cell.improved;
        break;
      case ChangeClass::kStable:
        ++cell.stable;
        break;
      case ChangeClass::kWorsened:
        ++cell.worsened;
        break;
      case ChangeClass::kUnclassified:
        break;
    }
  }
  if (!any_value && !options_.timepoints.empty()) no_timepoint_value_.push_back(id);
}

void CohortSummaryBuilder::Merge(CohortSummaryBuilder&& other) {
  patients_ += other.patients_;
  for (auto& [group, other_cells] : other.groups_) {
    auto [it, inserted] = groups_.try_emplace(group);
    if (inserted) {
      it->second = std::move(other_cells);
      continue;
    }
    std::vector<Cell>& cells = it->second;
    for (size_t i = 0; i < cells.size() && i < other_cells.size(); ++i) {
      Cell& to = cells[i];
      Cell& from = other_cells[i];
      to.patients += from.patients;
      to.missing += from.missing;
      to.censored += from.censored;
      to.improved += from.improved;
      to.stable += from.stable;
      to.worsened += from.worsened;
      to.values.insert(to.values.end(), from.values.begin(), from.values.end());
      to.changes.insert(to.changes.end(), from.changes.begin(), from.changes.end());
    }
  }
  auto append = [](std::vector<std::string>& to, std::vector<std::string>& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  };
  append(no_index_date_, other.no_index_date_);
  append(no_baseline_, other.no_baseline_);
  append(no_timepoint_value_, other.no_timepoint_value_);
  other = CohortSummaryBuilder(measure_, options_);
}

CohortSummary CohortSummaryBuilder::Finish() const {
  CohortSummary out;
  out.measure = measure_.code;
  out.unit = measure_.unit;
  out.options = options_;
  out.patients = patients_;
  out.no_index_date = no_index_date_;
  out.no_baseline = no_baseline_;
  out.no_timepoint_value = no_timepoint_value_;
  for (size_t i = 0; i < options_.timepoints.size(); ++i) {
    for (const auto& [group, cells] : groups_) {  // std::map: by group name
      const Cell& cell = cells[i];
      SummaryRow row;
      row.measure = measure_.code;
      row.group = group;
      row.timepoint = options_.timepoints[i].label;
      row.patients = cell.patients;
      row.missing = cell.missing;
      row.censored = cell.censored;
      row.stats = Describe(cell.values);
      const Descriptive ch = Describe(cell.changes);
      row.change_n = ch.n;
      row.change_median = ch.median;
      row.change_mean = ch.mean;
      row.improved = cell.improved;
      row.stable = cell.stable;
      row.worsened = cell.worsened;
      const int64_t classified = cell.improved + cell.stable + cell.worsened;
      row.improved_pct = Percent(cell.improved, classified);
      row.stable_pct = Percent(cell.stable, classified);
      row.worsened_pct = Percent(cell.worsened, classified);
      out.rows.push_back(std::move(row));
    }
  }
  return out;
}

absl::Status ValidateGroupBy(Database& db, absl::string_view group_by) {
  if (group_by.empty() || group_by == "arm") return absl::OkStatus();
  absl::StatusOr<std::vector<Patient>> patients = db.ListPatients();
  if (!patients.ok()) return patients.status();
  std::set<std::string> known;
  for (const Patient& p : *patients) {
    for (const auto& [key, value] : p.attributes) {
      if (key == group_by) return absl::OkStatus();
      known.insert(key);
    }
  }
  std::string expected = "\"arm\"";
  if (!known.empty()) {
    absl::StrAppend(&expected, " or a patient attribute: ",
                    absl::StrJoin(known, ", ", [](std::string* out, const std::string& k) {
                      absl::StrAppend(out, "\"", k, "\"");
                    }));
  } else {
    absl::StrAppend(&expected, "; no patient has attributes");
  }
  return absl::InvalidArgumentError(absl::StrCat("group_by \"", group_by,
                                                 "\": no patient has this attribute (expected ",
                                                 expected, "; or \"\" for one group)"));
}

absl::StatusOr<CohortSummary> SummarizeCohort(Database& db, absl::string_view measure,
                                              const SummaryOptions& options, int threads) {
  if (options.timepoints.empty()) {
    return absl::InvalidArgumentError("no timepoints given (expected e.g. --at 0,3m,6m,12m)");
  }
  if (options.timepoint.window_days < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("window: bad value ", options.timepoint.window_days, " (expected >= 0 days)"));
  }
  if (threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads: bad value ", threads, " (expected >= 0; 0 for the machine's)"));
  }
  if (threads == 0) {
    threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  }
  absl::StatusOr<MeasureDefinition> def = db.GetMeasure(measure);
  if (!def.ok()) return def.status();
  // One builder and one flag per part: a part touches only its own.
  std::vector<CohortSummaryBuilder> builders(threads, CohortSummaryBuilder(*def, options));
  std::vector<char> group_seen(threads, 0);
  const bool by_attribute = !options.group_by.empty() && options.group_by != "arm";
  Reader::SeriesScanOptions scan;
  scan.parts = threads;
  if (by_attribute) scan.attribute = options.group_by;
  absl::Status s = db.ScanSeries(
      measure, scan, [&](int part, const SeriesPatient& p, const std::vector<SeriesValue>& values) {
        group_seen[part] |= p.attribute.has_value();
        builders[part].Add(p, values);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  // Parts are consecutive ranges of the scan: merged in order they are the
  // single pass (the order of values decides floating-point sums).
  for (int part = 1; part < threads; ++part) builders[0].Merge(std::move(builders[part]));
  // The group_by attribute is checked on the patients the scan meets; only
  // when none of them has it are all patients read, to tell a typo from an
  // attribute that only patients without values of this measure have.
  const bool seen =
      !by_attribute || std::find(group_seen.begin(), group_seen.end(), 1) != group_seen.end();
  if (!seen) COTRACK_RETURN_IF_ERROR(ValidateGroupBy(db, options.group_by));
  return builders[0].Finish();
}

}  // namespace cotrack
