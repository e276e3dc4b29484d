#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/baseline.h"
#include "cotrack/change.h"
#include "cotrack/database.h"
#include "cotrack/status_macros.h"
#include "cotrack/summary.h"
#include "cotrack/text.h"
#include "cotrack/timepoint.h"
#include "decimal.h"

namespace cotrack {
namespace {

constexpr char kNoGroup[] = "(none)";

// The number a value contributes under `rule`, or nullopt when excluded.
std::optional<double> UsableValue(const Observation& obs, CensoredRule rule) {
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
  ++patients_;
  std::vector<Cell>& cells = groups_[PatientGroup(patient, options_.group_by)];
  cells.resize(options_.timepoints.size());
  for (Cell& cell : cells) ++cell.patients;

  if (!patient.index_date.has_value()) {
    no_index_date_.push_back(patient.id);
    for (Cell& cell : cells) ++cell.missing;
    return;
  }
  const BaselineResult bl = FindBaseline(patient, trajectory, options_.timepoint.baseline);
  std::optional<double> bl_value;
  if (bl.status == BaselineStatus::kFound) {
    bl_value = UsableValue(*bl.observation, options_.censored);
  } else {
    no_baseline_.push_back(patient.id);
  }

  bool any_value = false;
  for (size_t i = 0; i < options_.timepoints.size(); ++i) {
    Cell& cell = cells[i];
    const TimepointValue tv =
        ValueAtTimepoint(patient, trajectory, options_.timepoints[i], options_.timepoint);
    if (tv.status != TimepointStatus::kFound) {
      ++cell.missing;
      continue;
    }
    any_value = true;
    if (tv.observation->comparator != Comparator::kNone) ++cell.censored;
    const std::optional<double> v = UsableValue(*tv.observation, options_.censored);
    if (!v.has_value()) continue;
    cell.values.push_back(*v);
    if (!bl_value.has_value()) continue;
    const Change c = ComputeChange(measure_, *bl_value, *v, options_.change);
    cell.changes.push_back(c.absolute);
    switch (c.classification) {
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
  if (!any_value && !options_.timepoints.empty()) no_timepoint_value_.push_back(patient.id);
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
                                              const SummaryOptions& options) {
  if (options.timepoints.empty()) {
    return absl::InvalidArgumentError("no timepoints given (expected e.g. --at 0,3m,6m,12m)");
  }
  if (options.timepoint.window_days < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("window: bad value ", options.timepoint.window_days, " (expected >= 0 days)"));
  }
  absl::StatusOr<MeasureDefinition> def = db.GetMeasure(measure);
  if (!def.ok()) return def.status();
  CohortSummaryBuilder builder(*std::move(def), options);
  // The group_by attribute is checked on the patients the scan meets; only
  // when none of them has it are all patients read, to tell a typo from an
  // attribute that only patients without values of this measure have.
  bool group_seen = options.group_by.empty() || options.group_by == "arm";
  absl::Status s =
      db.ForEachSeries(measure, [&](const Patient& p, const std::vector<Observation>& trajectory) {
        group_seen = group_seen || p.attributes.count(options.group_by) > 0;
        builder.Add(p, trajectory);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  if (!group_seen) COTRACK_RETURN_IF_ERROR(ValidateGroupBy(db, options.group_by));
  return builder.Finish();
}

}  // namespace cotrack
