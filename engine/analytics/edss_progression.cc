#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cotrack/baseline.h"
#include "cotrack/change.h"
#include "cotrack/progression.h"

namespace cotrack {
namespace {

struct Visit {
  CivilTime time;
  int64_t day = 0;
  double value = 0;
  bool relapse_excluded = false;  // not usable as reference or confirmation
};

// One value per civil day (the last of the day, as msprog keeps the last),
// oldest first; retracted and censored values left out.
std::vector<Visit> CollapseVisits(const std::vector<Observation>& trajectory) {
  std::vector<const Observation*> obs;
  for (const Observation& o : trajectory) {
    if (o.status == ObservationStatus::kEnteredInError) continue;
    if (o.comparator != Comparator::kNone) continue;
    obs.push_back(&o);
  }
  std::stable_sort(obs.begin(), obs.end(), [](const Observation* a, const Observation* b) {
    return a->time.seconds < b->time.seconds;
  });
  std::vector<Visit> visits;
  for (const Observation* o : obs) {
    Visit v{o->time, o->time.day(), o->value, false};
    if (!visits.empty() && visits.back().day == v.day) {
      visits.back() = v;
    } else {
      visits.push_back(v);
    }
  }
  return visits;
}

std::string FormatDays(double d) {
  return std::isinf(d) ? std::string("inf") : absl::StrFormat("%gd", d);
}

}  // namespace

const char* BaselineSchemeName(BaselineScheme s) {
  return s == BaselineScheme::kRoving ? "roving" : "fixed";
}

const char* ProgressionEventKindName(ProgressionEventKind k) {
  return k == ProgressionEventKind::kImprovement ? "improvement" : "worsening";
}

absl::Status ValidateProgressionOptions(const ProgressionOptions& o) {
  if (o.confirm_days <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("confirmation interval: bad value ", o.confirm_days,
                     " days (expected a positive number of days, e.g. 12w = 84)"));
  }
  if (!(o.tolerance_before_days >= 0) || !(o.tolerance_after_days >= 0) ||
      std::isnan(o.tolerance_before_days) || std::isnan(o.tolerance_after_days)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tolerance: bad value ", FormatDays(o.tolerance_before_days), ",",
                     FormatDays(o.tolerance_after_days),
                     " (expected two non-negative day counts BEFORE,AFTER, e.g. 7,730.5)"));
  }
  if (o.tolerance_before_days >= static_cast<double>(o.confirm_days)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tolerance before (", FormatDays(o.tolerance_before_days),
        ") must be shorter than the confirmation interval (", o.confirm_days, " days)"));
  }
  if (o.relapse_window_days < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("relapse window: bad value ", o.relapse_window_days, " (expected >= 0 days)"));
  }
  if (o.relapse_associated_days < 0) {
    return absl::InvalidArgumentError(absl::StrCat("relapse association window: bad value ",
                                                   o.relapse_associated_days,
                                                   " (expected >= 0 days)"));
  }
  return absl::OkStatus();
}

std::string DescribeProgressionOptions(const ProgressionOptions& o) {
  return absl::StrCat("rule=", EdssRuleName(o.rule), " confirm=", o.confirm_days, "d tolerance=-",
                      FormatDays(o.tolerance_before_days), "/+", FormatDays(o.tolerance_after_days),
                      " baseline=", BaselineSchemeName(o.baseline),
                      " intermediate=", o.require_intermediate ? "required" : "not-required",
                      " unconfirmed-last=", o.count_unconfirmed_last ? "counted" : "ignored",
                      " relapse-window=", o.relapse_window_days,
                      "d relapse-associated=", o.relapse_associated_days,
                      "d start=", o.from_index_date ? "index-date" : "first-visit",
                      o.baseline_options.lookback_days.has_value()
                          ? absl::StrCat(" lookback=", *o.baseline_options.lookback_days, "d")
                          : std::string());
}

absl::StatusOr<ProgressionResult> DetectEdssProgression(const Patient& patient,
                                                        const std::vector<Observation>& trajectory,
                                                        const std::vector<CivilTime>& relapses,
                                                        const ProgressionOptions& options) {
  absl::Status valid = ValidateProgressionOptions(options);
  if (!valid.ok()) return valid;

  ProgressionResult result;
  result.patient = patient.id;
  result.options = options;

  std::vector<Visit> visits = CollapseVisits(trajectory);

  // Where the course starts.
  size_t first = 0;
  if (options.from_index_date && patient.index_date.has_value()) {
    BaselineResult bl = FindBaseline(patient, trajectory, options.baseline_options);
    if (bl.status != BaselineStatus::kFound || bl.observation->comparator != Comparator::kNone) {
      result.start = "no baseline on or before the index date";
      result.analysed = false;
      return result;
    }
    const int64_t bl_day = bl.observation->time.day();
    while (first < visits.size() && visits[first].day < bl_day) ++first;
    result.start = "index-date baseline";
  } else {
    result.start = options.from_index_date ? "first visit (no index date)" : "first visit";
  }
  visits.erase(visits.begin(), visits.begin() + static_cast<std::ptrdiff_t>(first));
  result.visits_used = static_cast<int64_t>(visits.size());

  std::vector<int64_t> relapse_days;
  for (const CivilTime& r : relapses) relapse_days.push_back(r.day());
  for (Visit& v : visits) {
    for (int64_t r : relapse_days) {
      if (v.day - r >= 0 && v.day - r < options.relapse_window_days) v.relapse_excluded = true;
    }
  }

  const size_t n = visits.size();
  auto worse = [&](size_t x, size_t ref) {
    return visits[x].value - visits[ref].value >=
           EdssWorseningThreshold(options.rule, visits[ref].value) - kChangeEpsilon;
  };
  auto better = [&](size_t x, size_t ref) {
    return visits[ref].value - visits[x].value >=
           EdssImprovementThreshold(options.rule, visits[ref].value) - kChangeEpsilon;
  };
  // Whether the change of kind `is_change` from `ref` holds from the event
  // to confirmation visit `conf` (inclusive).
  auto holds = [&](auto is_change, size_t event, size_t conf, size_t ref) {
    if (!options.require_intermediate) return is_change(conf, ref);
    for (size_t x = event + 1; x <= conf; ++x) {
      if (!is_change(x, ref)) return false;
    }
    return true;
  };
  auto relapse_associated = [&](int64_t day) {
    for (int64_t r : relapse_days) {
      if (day - r >= 0 && day - r <= options.relapse_associated_days) return true;
    }
    return false;
  };
  const double window_lo =
      static_cast<double>(options.confirm_days) - options.tolerance_before_days;
  const double window_hi = static_cast<double>(options.confirm_days) + options.tolerance_after_days;

  size_t ref = 0;
  size_t search = 1;
  while (true) {
    // A reference right after a relapse moves to the next visit (msprog).
    while (ref < n && visits[ref].relapse_excluded) ++ref;
    if (ref + 1 >= n) break;
    if (search <= ref) search = ref + 1;

    size_t change = n;
    for (size_t x = search; x < n; ++x) {
      if (worse(x, ref) || better(x, ref)) {
        change = x;
        break;
      }
    }
    if (change == n) break;

    size_t conf = n;
    for (size_t x = change + 1; x < n; ++x) {
      const double d = static_cast<double>(visits[x].day - visits[change].day);
      if (d >= window_lo && d <= window_hi && !visits[x].relapse_excluded) {
        conf = x;
        break;
      }
    }

    ProgressionEvent ev;
    ev.patient = patient.id;
    ev.date = visits[change].time;
    ev.value = visits[change].value;
    ev.baseline_date = visits[ref].time;
    ev.baseline_value = visits[ref].value;
    ev.relapse_associated = relapse_associated(visits[change].day);

    const bool is_better = better(change, ref);
    if (is_better && conf < n && holds(better, change, conf, ref)) {
      ev.kind = ProgressionEventKind::kImprovement;
      ev.threshold = EdssImprovementThreshold(options.rule, visits[ref].value);
      ev.confirmed_date = visits[conf].time;
      ev.confirmed_value = visits[conf].value;
      result.events.push_back(ev);
      if (options.baseline == BaselineScheme::kRoving) ref = conf;
      search = conf + 1;
    } else if (!is_better && conf < n && holds(worse, change, conf, ref)) {
      ev.kind = ProgressionEventKind::kWorsening;
      ev.threshold = EdssWorseningThreshold(options.rule, visits[ref].value);
      ev.confirmed_date = visits[conf].time;
      ev.confirmed_value = visits[conf].value;
      result.events.push_back(ev);
      if (options.baseline == BaselineScheme::kRoving) ref = conf;
      search = conf + 1;
    } else if (options.count_unconfirmed_last && change == n - 1 && !is_better) {
      // Only rises: an unconfirmed fall at the last visit is never imputed.
      ev.kind = ProgressionEventKind::kWorsening;
      ev.threshold = EdssWorseningThreshold(options.rule, visits[ref].value);
      ev.confirmed = false;
      ev.confirmed_date = ev.date;
      ev.confirmed_value = ev.value;
      result.events.push_back(ev);
      break;
    } else {
      search = change + 1;
    }
  }
  return result;
}

}  // namespace cotrack
