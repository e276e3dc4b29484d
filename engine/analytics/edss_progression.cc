// Confirmed disability worsening/improvement: a line-by-line port of
// msprog's MSprog() scan (Montobbio 2024, R package msprog 1.0), so that
// every option gives msprog's events. Indices are 0-based here where msprog's
// are 1-based; comments name msprog's variables where the logic is subtle.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cotrack/baseline.h"
#include "cotrack/change.h"
#include "cotrack/progression.h"

namespace cotrack {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Visit {
  CivilTime time;
  int64_t day = 0;
  double value = 0;
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
    Visit v{o->time, o->time.day(), o->value};
    if (!visits.empty() && visits.back().day == v.day) {
      visits.back() = v;
    } else {
      visits.push_back(v);
    }
  }
  return visits;
}

std::string FormatDays(double d) {
  return std::isinf(d) ? std::string("inf") : absl::StrFormat("%g", d);
}

std::string FormatBound(const std::optional<double>& d) {
  return d ? FormatDays(*d) : std::string("null");
}

const char* PrecedingName(RelapseIndependence::Preceding p) {
  switch (p) {
    case RelapseIndependence::Preceding::kBaseline:
      return "baseline";
    case RelapseIndependence::Preceding::kLast:
      return "last";
    case RelapseIndependence::Preceding::kLastDelta:
      return "last_delta";
  }
  return "baseline";
}

enum class Dir { kWors, kImpr, kChange };

}  // namespace

const char* BaselineSchemeName(BaselineScheme s) {
  switch (s) {
    case BaselineScheme::kFixed:
      return "fixed";
    case BaselineScheme::kRoving:
      return "roving";
    case BaselineScheme::kRovingImpr:
      return "roving_impr";
    case BaselineScheme::kRovingWors:
      return "roving_wors";
  }
  return "fixed";
}

const char* ProgressionEventKindName(ProgressionEventKind k) {
  return k == ProgressionEventKind::kImprovement ? "improvement" : "worsening";
}

const char* ProgressionEventSelectionName(ProgressionEventSelection e) {
  switch (e) {
    case ProgressionEventSelection::kFirstCdw:
      return "firstCDW";
    case ProgressionEventSelection::kFirstCdi:
      return "firstCDI";
    case ProgressionEventSelection::kMultiple:
      return "multiple";
    case ProgressionEventSelection::kFirstPira:
      return "firstPIRA";
    case ProgressionEventSelection::kFirstRaw:
      return "firstRAW";
    case ProgressionEventSelection::kFirst:
      return "first";
  }
  return "firstCDW";
}

const char* ProceedFromName(ProceedFrom p) {
  return p == ProceedFrom::kEvent ? "event" : "firstconf";
}

const char* SubThresholdRebaselineName(SubThresholdRebaseline s) {
  switch (s) {
    case SubThresholdRebaseline::kNone:
      return "none";
    case SubThresholdRebaseline::kChange:
      return "change";
    case SubThresholdRebaseline::kImprovement:
      return "improvement";
    case SubThresholdRebaseline::kWorsening:
      return "worsening";
  }
  return "none";
}

const char* SkipLocalExtremaName(SkipLocalExtrema s) {
  switch (s) {
    case SkipLocalExtrema::kNone:
      return "none";
    case SkipLocalExtrema::kStrict:
      return "strict";
    case SkipLocalExtrema::kAll:
      return "all";
  }
  return "none";
}

const char* CdwTypeName(CdwType t) {
  switch (t) {
    case CdwType::kNone:
      return "";
    case CdwType::kUndefined:
      return "undefined";
    case CdwType::kRaw:
      return "RAW";
    case CdwType::kPira:
      return "PIRA";
  }
  return "";
}

absl::StatusOr<StepRule> OutcomeStepRule(absl::string_view outcome) {
  StepRule s;
  if (outcome == "edss") return s;
  if (outcome == "sdmt") {
    s.kind = StepRule::Kind::kRelative;
    s.amount = 20;
    s.cap = 4;
    s.higher_is_worse = false;
    return s;
  }
  if (outcome == "nhpt" || outcome == "t25fw") {
    s.kind = StepRule::Kind::kRelative;
    s.amount = 20;
    return s;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--outcome: bad value \"", outcome,
      "\" (expected edss, sdmt, nhpt, t25fw, or custom with --delta and --worsening)"));
}

std::string DescribeStepRule(const StepRule& step, EdssRule rule) {
  std::string out;
  switch (step.kind) {
    case StepRule::Kind::kEdss:
      out = absl::StrCat("edss:", EdssRuleName(rule));
      break;
    case StepRule::Kind::kAbsolute:
      out = absl::StrCat("absolute:", FormatDays(step.amount));
      break;
    case StepRule::Kind::kRelative:
      out = absl::StrCat("relative:", FormatDays(step.amount),
                         std::isinf(step.cap) ? "" : absl::StrCat(":", FormatDays(step.cap)));
      break;
  }
  if (!step.higher_is_worse) absl::StrAppend(&out, ",lower-is-worse");
  return out;
}

std::vector<int64_t> ConfirmPeriods(const ProgressionOptions& o) {
  std::vector<int64_t> out = {o.confirm_days};
  out.insert(out.end(), o.extra_confirm_days.begin(), o.extra_confirm_days.end());
  return out;
}

absl::Status ValidateProgressionOptions(const ProgressionOptions& o) {
  for (int64_t period : ConfirmPeriods(o)) {
    if (period <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("confirmation interval: bad value ", period,
                       " days (expected a positive number of days, e.g. 12w = 84)"));
    }
    if (o.tolerance_before_days >= static_cast<double>(period)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tolerance before (", FormatDays(o.tolerance_before_days),
                       "d) must be shorter than the confirmation interval (", period, " days)"));
    }
  }
  if (!(o.tolerance_before_days >= 0) || !(o.tolerance_after_days >= 0) ||
      std::isinf(o.tolerance_before_days)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tolerance: bad value ", FormatDays(o.tolerance_before_days), ",",
                     FormatDays(o.tolerance_after_days),
                     " (expected two non-negative day counts BEFORE,AFTER, e.g. 7,730.5)"));
  }
  const std::pair<const char*, const RelapseDistance*> distances[] = {
      {"relapse-to-bl", &o.relapse_to_bl},
      {"relapse-to-event", &o.relapse_to_event},
      {"relapse-to-conf", &o.relapse_to_conf},
      {"relapse-assoc", &o.relapse_assoc}};
  for (const auto& [name, d] : distances) {
    if (!(d->last >= 0) || !(d->next >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": bad value ",
                                                     FormatDays(d->last), ",", FormatDays(d->next),
                                                     " (expected days >= 0)"));
    }
  }
  const RelapseIndependence& ri = o.relapse_indep;
  for (const std::optional<double>& b : {ri.p0, ri.p1, ri.e0, ri.e1, ri.c0, ri.c1}) {
    if (b && !(*b >= 0)) {
      return absl::InvalidArgumentError(
          "--relapse-indep: bounds must be days >= 0 or null (msprog's NULL)");
    }
  }
  if (!ri.p0 || !ri.c1) {
    return absl::InvalidArgumentError(
        "--relapse-indep: p0 and c1 cannot be null (msprog's relapse_indep_from_bounds)");
  }
  if (!(o.require_sust_days >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("--require-sust-days: bad value ",
                                                   FormatDays(o.require_sust_days),
                                                   " (expected days >= 0 or inf)"));
  }
  if (!(o.impute_last_visit == 0 || o.impute_last_visit == 1 || o.impute_last_visit > 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--impute-last-visit: bad value ", FormatDays(o.impute_last_visit),
        " (expected 0, 1, or a number of days > 1; msprog's random imputation with a "
        "probability between 0 and 1 is not supported because results must be reproducible)"));
  }
  if (!(o.threshold_slack >= 0) || std::isinf(o.threshold_slack)) {
    return absl::InvalidArgumentError(absl::StrCat("--threshold-slack: bad value ",
                                                   FormatDays(o.threshold_slack),
                                                   " (expected a small number >= 0, e.g. 0)"));
  }
  if (o.step.kind != StepRule::Kind::kEdss && !(o.step.amount > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("--delta: bad value ", FormatDays(o.step.amount),
                                                   " (expected a positive step)"));
  }
  return absl::OkStatus();
}

std::string ProgressionEventSequence(const ProgressionResult& result) {
  std::vector<std::string> sequence;
  for (const ProgressionEvent& e : result.events) {
    sequence.push_back(
        e.kind == ProgressionEventKind::kImprovement
            ? "CDI"
            : (e.type == CdwType::kRaw || e.type == CdwType::kPira ? CdwTypeName(e.type) : "CDW"));
  }
  return absl::StrJoin(sequence, ", ");
}

std::vector<std::string> ProgressionNotes(const std::vector<ProgressionResult>& results,
                                          int64_t events, const std::string& parameters) {
  std::vector<std::string> notes = {
      absl::StrCat(results.size(), " patient(s), ", events, " event(s); ", parameters)};
  std::vector<std::string> no_baseline;
  for (const ProgressionResult& r : results) {
    if (!r.analysed) no_baseline.push_back(r.patient);
  }
  if (!no_baseline.empty()) {
    notes.push_back(absl::StrCat("no value on or before the index date (not analysed): ",
                                 absl::StrJoin(no_baseline, ", ")));
  }
  return notes;
}

std::string DescribeProgressionOptions(const ProgressionOptions& o) {
  std::vector<std::string> periods;
  for (int64_t p : ConfirmPeriods(o)) periods.push_back(absl::StrCat(p, "d"));
  auto dist = [](const RelapseDistance& d) {
    return absl::StrCat(FormatDays(d.last), ",", FormatDays(d.next));
  };
  const RelapseIndependence& ri = o.relapse_indep;
  return absl::StrCat(
      "outcome=", o.outcome, " delta=", DescribeStepRule(o.step, o.rule),
      " event=", ProgressionEventSelectionName(o.event), " raw-pira=", o.raw_pira ? "yes" : "no",
      " baseline=", BaselineSchemeName(o.baseline),
      " proceed-from=", ProceedFromName(o.proceed_from),
      " sub-threshold-rebl=", SubThresholdRebaselineName(o.sub_threshold_rebl),
      " relapse-rebl=", o.relapse_rebl ? "yes" : "no", " bl-geq=", o.bl_geq ? "yes" : "no",
      " skip-local-extrema=", SkipLocalExtremaName(o.skip_local_extrema),
      " confirm=", absl::StrJoin(periods, ","), " tolerance=-", FormatDays(o.tolerance_before_days),
      "d/+", FormatDays(o.tolerance_after_days),
      "d require-sust-days=", FormatDays(o.require_sust_days),
      " intermediate=", o.require_intermediate ? "required" : "not-required",
      " impute-last-visit=", FormatDays(o.impute_last_visit),
      " relapse-to-bl=", dist(o.relapse_to_bl), " relapse-to-event=", dist(o.relapse_to_event),
      " relapse-to-conf=", dist(o.relapse_to_conf), " relapse-assoc=", dist(o.relapse_assoc),
      " relapse-indep=", FormatBound(ri.p0), ",", FormatBound(ri.p1), ",", FormatBound(ri.e0), ",",
      FormatBound(ri.e1), ",", FormatBound(ri.c0), ",", FormatBound(ri.c1), ",",
      PrecedingName(ri.preceding), " threshold-slack=", absl::StrFormat("%g", o.threshold_slack),
      " start=", o.from_index_date ? "index-date" : "first-visit",
      o.baseline_options.lookback_days.has_value()
          ? absl::StrCat(" lookback=", *o.baseline_options.lookback_days, "d")
          : std::string());
}

absl::StatusOr<ProgressionResult> DetectEdssProgression(const Patient& patient,
                                                        const std::vector<Observation>& trajectory,
                                                        const std::vector<CivilTime>& relapses,
                                                        const ProgressionOptions& options) {
  std::vector<Relapse> episodes;
  episodes.reserve(relapses.size());
  for (const CivilTime& r : relapses) episodes.push_back({r, std::nullopt});
  return DetectProgression(patient, trajectory, episodes, options);
}

absl::StatusOr<ProgressionResult> DetectProgression(const Patient& patient,
                                                    const std::vector<Observation>& trajectory,
                                                    const std::vector<Relapse>& relapses,
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
  const int n = static_cast<int>(visits.size());
  if (n == 0) return result;
  result.follow_up_days = visits.back().day - visits.front().day;

  // Options as msprog derives them (MSprog(): "if (!is.null(renddate_col))").
  bool end_dates = false;
  for (const Relapse& r : relapses) end_dates = end_dates || r.end.has_value();
  if (end_dates) {
    for (const Relapse& r : relapses) {
      if (!r.end) {
        return absl::InvalidArgumentError(absl::StrCat(
            "patient ", patient.id, ": the relapse of ", FormatCivilTime(r.onset),
            " has no end date while others have (give every relapse an end date or none)"));
      }
    }
  }
  RelapseDistance to_bl = options.relapse_to_bl, to_event = options.relapse_to_event,
                  to_conf = options.relapse_to_conf, assoc = options.relapse_assoc;
  if (end_dates) {
    to_bl.last = to_bl.last == 0 ? 0 : kInf;
    to_event.last = to_event.last == 0 ? 0 : kInf;
    to_conf.last = to_conf.last == 0 ? 0 : kInf;
    assoc.last = kInf;
  }
  const ProgressionEventSelection event = options.event;
  const BaselineScheme baseline = options.baseline;
  const bool rawpira = event == ProgressionEventSelection::kFirstCdw ||
                               event == ProgressionEventSelection::kMultiple ||
                               event == ProgressionEventSelection::kFirst
                           ? options.raw_pira
                           : event != ProgressionEventSelection::kFirstCdi;
  const bool relapse_rebl = options.relapse_rebl;
  const bool bl_geq = relapse_rebl && options.bl_geq;
  const bool check_int = options.require_intermediate;
  const bool firstconf = options.proceed_from == ProceedFrom::kFirstConf;
  const SubThresholdRebaseline stre = options.sub_threshold_rebl;
  const double sust_req = options.require_sust_days;
  double impute_p = options.impute_last_visit;
  double impute_max_fu = kInf;
  if (impute_p > 1) {
    impute_max_fu = impute_p;
    impute_p = 1;
  }

  // Relapses: onsets sorted; those before the first visit minus
  // relapse_to_bl[1] are ignored (msprog).
  std::vector<Relapse> rel_sorted = relapses;
  std::stable_sort(rel_sorted.begin(), rel_sorted.end(), [](const Relapse& a, const Relapse& b) {
    return a.onset.day() < b.onset.day();
  });
  std::vector<double> rel;  // onset days
  std::vector<double> rel_duration;
  for (const Relapse& r : rel_sorted) {
    const double onset = static_cast<double>(r.onset.day());
    if (onset >= static_cast<double>(visits[0].day) - to_bl.last) {
      rel.push_back(onset);
      rel_duration.push_back(r.end ? static_cast<double>(r.end->day() - r.onset.day()) : 0);
    }
  }
  const int nrel = static_cast<int>(rel.size());

  std::vector<double> day(n), v(n), before(n, kInf), after(n, kInf);
  for (int i = 0; i < n; ++i) {
    day[i] = static_cast<double>(visits[i].day);
    v[i] = visits[i].value;
    int which = -1;
    for (int r = 0; r < nrel; ++r) {
      const double dm = day[i] - rel[r];
      if (dm >= 0 && dm < before[i]) {
        before[i] = dm;
        which = r;
      }
      const double dp = rel[r] - day[i];
      if (dp >= 0 && dp < after[i]) after[i] = dp;
    }
    // With end dates a visit after the end of its last relapse is outside
    // that relapse's influence (msprog's outside_influence).
    if (end_dates && which >= 0 && rel_duration[which] < before[i]) before[i] = kInf;
  }

  // RAW: within relapse_assoc of a relapse; with end dates, within a
  // relapse (onset to end). msprog tests `closest_rel_before <= Inf` there,
  // which also holds for visits outside every relapse (distance Inf), so it
  // calls every such CDW RAW; cotrack does not (docs/PROGRESSION.md).
  auto relapse_associated = [&](int i) {
    const bool after_last = end_dates ? before[i] < kInf : before[i] <= assoc.last;
    return after_last || after[i] <= assoc.next;
  };

  const StepRule& step = options.step;
  auto delta_wors = [&](double ref) {
    switch (step.kind) {
      case StepRule::Kind::kEdss:
        return EdssWorseningThreshold(options.rule, ref);
      case StepRule::Kind::kAbsolute:
        return step.amount;
      case StepRule::Kind::kRelative:
        // ref / (100 / P): for msprog's 20 % this is its baseline/5, bit for bit.
        return std::min(std::fabs(ref) / (100.0 / step.amount), step.cap);
    }
    return step.amount;
  };
  auto delta_impr = [&](double ref) {
    return step.kind == StepRule::Kind::kEdss ? EdssImprovementThreshold(options.rule, ref)
                                              : delta_wors(ref);
  };
  // msprog's is_event(x, baseline, type, sub_threshold).
  auto isevent = [&](double x, double ref, Dir type, bool st) {
    const double worse = step.higher_is_worse ? x - ref : ref - x;
    const double slack = options.threshold_slack;
    const bool w = st ? worse > 0 : worse >= delta_wors(ref) - slack;
    const bool i = st ? worse < 0 : -worse >= delta_impr(ref) - slack;
    if (type == Dir::kWors) return w;
    if (type == Dir::kImpr) return i;
    return w || i;
  };
  const bool skip_extrema = options.skip_local_extrema != SkipLocalExtrema::kNone;
  const bool extrema_st = options.skip_local_extrema == SkipLocalExtrema::kAll;
  auto local_extremum = [&](int i) {
    const double prec = i == 0 ? v[i] : v[i - 1];
    const double prec2 = i <= 1 ? -1 : v[i - 2];
    const double subs = i == n - 1 ? v[i] : v[i + 1];
    const double vis = v[i];
    return ((isevent(prec, vis, Dir::kWors, extrema_st) &&
             isevent(subs, vis, Dir::kWors, extrema_st)) ||
            (isevent(prec, vis, Dir::kImpr, extrema_st) &&
             isevent(subs, vis, Dir::kImpr, extrema_st))) &&
           vis != prec2;
  };
  // The change of `type` from `ref` holds from the event to `conf`.
  auto holds = [&](int change, int conf, double ref, Dir type, bool st) {
    if (!check_int) return isevent(v[conf], ref, type, st);
    for (int x = change + 1; x <= conf; ++x) {
      if (!isevent(v[x], ref, type, st)) return false;
    }
    return true;
  };
  // msprog's find_last_delta_idx; `conf0` < 0 for none.
  auto find_last_delta = [&](int change, int conf0, Dir dir) {
    int iref = change;
    bool valid_ref = false;
    while (iref > 0 && !valid_ref) {
      --iref;
      const bool extr = skip_extrema && local_extremum(iref);
      const bool event_ok = isevent(v[change], v[iref], dir, false);
      const bool conf_ok = conf0 < 0 || holds(change, conf0, v[iref], dir, false);
      valid_ref = event_ok && conf_ok && !extr;
    }
    return valid_ref ? iref : 0;
  };

  const std::vector<int64_t> periods = ConfirmPeriods(options);
  const RelapseIndependence& ri = options.relapse_indep;

  struct Found {
    ProgressionEvent ev;
    int index = 0;
  };
  std::vector<Found> found;
  auto has_type = [&](bool cdi, CdwType t, bool any_cdw) {
    for (const Found& f : found) {
      if (cdi && f.ev.kind == ProgressionEventKind::kImprovement) return true;
      if (!cdi && f.ev.kind == ProgressionEventKind::kWorsening && (any_cdw || f.ev.type == t)) {
        return true;
      }
    }
    return false;
  };
  auto fill_common = [&](ProgressionEvent& ev, int change, int bl_idx, double bl_value,
                         int lastdelta, int sust_idx) {
    ev.patient = patient.id;
    ev.date = visits[change].time;
    ev.value = v[change];
    ev.baseline_date = visits[bl_idx].time;
    ev.baseline_value = bl_value;
    ev.last_delta_date = visits[lastdelta].time;
    ev.last_delta_value = v[lastdelta];
    ev.baseline_to_event_days = visits[change].day - visits[bl_idx].day;
    ev.time_to_event_days = visits[change].day - visits[0].day;
    ev.sustained_days = visits[sust_idx].day - visits[change].day;
    ev.sustained_to_last = sust_idx == n - 1;
    ev.relapse_associated = relapse_associated(change);
  };

  int bl_idx = 0;
  int search_idx = 1;
  bool proceed = true;
  std::optional<double> bl_last;
  int irel = 0;  // -1 is msprog's NA
  for (int r = 0; r < nrel; ++r) {
    if (rel[r] > day[bl_idx]) {
      irel = r;
      break;
    }
  }
  const bool pira_only = event == ProgressionEventSelection::kFirstPira;

  int iterations = 0;
  while (proceed) {
    if (++iterations > 100000) {
      return absl::InternalError(
          absl::StrCat("patient ", patient.id, ": progression scan did not terminate"));
    }
    bool local_extr = skip_extrema && local_extremum(bl_idx);
    while (proceed && (before[bl_idx] < to_bl.last || after[bl_idx] < to_bl.next || local_extr)) {
      ++bl_idx;
      local_extr = bl_idx < n && skip_extrema && local_extremum(bl_idx);
      if (bl_idx > n - 2) proceed = false;
    }
    if (relapse_rebl && irel >= 0 && irel < nrel && bl_idx < n) {
      int idx = -1;
      for (int x = irel; x < nrel; ++x) {
        if (rel[x] > day[bl_idx]) {
          idx = x;
          break;
        }
      }
      irel = idx;
    }
    if (search_idx <= bl_idx) search_idx = bl_idx + 1;
    if (bl_idx > n - 1) {
      bl_idx = n - 1;
      proceed = false;
    } else if (bl_geq && bl_last && *bl_last > v[bl_idx]) {
      v[bl_idx] = *bl_last;  // Kappos 2020: the reference never falls
    }
    const double blv = v[bl_idx];
    bl_last = blv;

    int change = -1;
    for (int x = search_idx; x < n; ++x) {
      if (isevent(v[x], blv, Dir::kChange, stre != SubThresholdRebaseline::kNone) &&
          before[x] >= to_event.last && after[x] >= to_event.next) {
        change = x;
        break;
      }
    }

    if (change < 0) {
      proceed = false;
    } else if (relapse_rebl && irel >= 0 && irel < nrel &&
               day[change] > rel[irel] + (pira_only ? 0 : assoc.last)) {
      // The change crossed the next relapse: re-baseline after it (below).
      search_idx = change;
    } else {
      // Confirmation visits per period (msprog's conf_t) and all of them in
      // msprog's order (conf_idx: period by period, first occurrence).
      std::vector<std::vector<int>> conf_t(periods.size());
      std::vector<bool> period_alive(periods.size(), true);
      std::vector<int> conf_idx;
      if (change < n - 1) {
        for (size_t k = 0; k < periods.size(); ++k) {
          const double lo = static_cast<double>(periods[k]) - options.tolerance_before_days;
          const double hi = static_cast<double>(periods[k]) + options.tolerance_after_days;
          for (int x = change + 1; x < n; ++x) {
            const double d = day[x] - day[change];
            if (d >= lo && d <= hi && before[x] >= to_conf.last && after[x] >= to_conf.next) {
              conf_t[k].push_back(x);
              if (std::find(conf_idx.begin(), conf_idx.end(), x) == conf_idx.end()) {
                conf_idx.push_back(x);
              }
            }
          }
        }
      } else {
        std::fill(period_alive.begin(), period_alive.end(), false);
      }
      auto in = [](const std::vector<int>& a, int x) {
        return std::find(a.begin(), a.end(), x) != a.end();
      };
      // min(intersect(conf_t[k], set)), or -1.
      auto earliest = [&](size_t k, const std::vector<int>& set) {
        int best = -1;
        for (int x : conf_t[k]) {
          if (in(set, x) && (best < 0 || x < best)) best = x;
        }
        return best;
      };
      // First visit after conf_idx[0] that no longer holds the change, or -1;
      // confirmation visits from there on are dropped.
      auto cut_unsustained = [&](Dir dir) {
        int next_nonsust = -1;
        if (conf_idx[0] != n - 1) {
          for (int x = conf_idx[0] + 1; x < n; ++x) {
            if (!isevent(v[x], blv, dir, false)) {
              next_nonsust = x;
              break;
            }
          }
        }
        if (next_nonsust >= 0) {
          std::vector<int> kept;
          for (int x : conf_idx) {
            if (x < next_nonsust) kept.push_back(x);
          }
          conf_idx = kept;
        }
        return next_nonsust;
      };
      auto sustained_enough = [&](int next_nonsust, Dir dir) {
        if (!(sust_req > 0)) return true;
        if (check_int) {
          return next_nonsust < 0 || day[next_nonsust] - day[change] >= sust_req;
        }
        int sust_vis = n - 1;
        if (day[n - 1] - day[change] >= sust_req) {
          for (int x = change + 1; x < n; ++x) {
            if (day[x] - day[change] >= sust_req) {
              sust_vis = x;
              break;
            }
          }
        }
        return isevent(v[sust_vis], blv, dir, false);
      };
      // Per-period earliest confirmation; periods without one drop out
      // (msprog's conf_t[[cm]] <- NULL).
      auto store_confirmations = [&](ProgressionEvent& ev) {
        for (size_t k = 0; k < periods.size(); ++k) {
          ProgressionConfirmation c;
          c.period_days = periods[k];
          const int at = period_alive[k] ? earliest(k, conf_idx) : -1;
          if (at < 0) {
            period_alive[k] = false;
          } else {
            c.confirmed = true;
            c.date = visits[at].time;
            c.value = v[at];
          }
          ev.confirmations.push_back(c);
        }
      };
      auto prune_periods = [&]() {
        for (size_t k = 0; k < periods.size(); ++k) {
          if (period_alive[k] && earliest(k, conf_idx) < 0) period_alive[k] = false;
        }
      };
      // conf_idx <- per-period earliest (msprog's sapply over names(conf_t)).
      auto first_per_period = [&]() {
        std::vector<int> out;
        for (size_t k = 0; k < periods.size(); ++k) {
          if (!period_alive[k]) continue;
          const int at = earliest(k, conf_idx);
          if (at >= 0) out.push_back(at);
        }
        return out;
      };
      const int conf0 = conf_idx.empty() ? -1 : conf_idx[0];

      if (isevent(v[change], blv, Dir::kImpr, false) && conf0 >= 0 &&
          holds(change, conf0, blv, Dir::kImpr, false) &&
          !((event == ProgressionEventSelection::kFirstCdw || pira_only ||
             event == ProgressionEventSelection::kFirstRaw) &&
            (baseline == BaselineScheme::kFixed || baseline == BaselineScheme::kRovingWors))) {
        // Confirmed improvement.
        const int next_nonsust = cut_unsustained(Dir::kImpr);
        const bool valid_ev = sustained_enough(next_nonsust, Dir::kImpr);
        if (valid_ev) {
          const int lastdelta = find_last_delta(change, conf_idx[0], Dir::kImpr);
          const int sust_idx = next_nonsust < 0 ? n - 1 : next_nonsust - 1;
          Found f;
          f.index = change;
          f.ev.kind = ProgressionEventKind::kImprovement;
          f.ev.threshold = delta_impr(blv);
          fill_common(f.ev, change, bl_idx, blv, lastdelta, sust_idx);
          f.ev.confirmed_date = visits[conf_idx[0]].time;
          f.ev.confirmed_value = v[conf_idx[0]];
          store_confirmations(f.ev);
          found.push_back(std::move(f));
        }
        const std::vector<int> firsts = first_per_period();
        const int firstc = firsts.empty() ? conf_idx[0] : firsts[0];
        int newref;
        if (baseline == BaselineScheme::kRoving || baseline == BaselineScheme::kRovingImpr) {
          newref = firstconf ? firstc : change;
          bl_idx = newref;
        } else if (valid_ev) {
          newref = firstconf ? firstc : change;
        } else {
          newref = change;
        }
        search_idx = newref + 1;
      } else if (conf0 >= 0 && isevent(v[change], blv, Dir::kImpr, true) &&
                 holds(change, conf0, blv, Dir::kImpr, true) &&
                 (baseline == BaselineScheme::kRoving || baseline == BaselineScheme::kRovingImpr) &&
                 (stre == SubThresholdRebaseline::kChange ||
                  stre == SubThresholdRebaseline::kImprovement)) {
        // Confirmed sub-threshold improvement: re-baseline.
        const int newref = firstconf ? conf0 : change;
        bl_idx = newref;
        search_idx = newref + 1;
      } else if (isevent(v[change], blv, Dir::kWors, false) &&
                 ((conf0 >= 0 && holds(change, conf0, blv, Dir::kWors, false)) ||
                  (day[change] - day[0] <= impute_max_fu && impute_p >= 1 && change == n - 1))) {
        // Confirmed (or imputed) worsening.
        const bool imputed = change == n - 1;
        if (imputed) conf_idx = {n - 1};
        const int next_nonsust = cut_unsustained(Dir::kWors);
        const bool valid_ev = sustained_enough(next_nonsust, Dir::kWors);
        CdwType type = CdwType::kUndefined;
        bool skip = false;
        Found f;
        if (valid_ev) {
          const int lastdelta = find_last_delta(change, imputed ? -1 : conf_idx[0], Dir::kWors);
          const int sust_idx = next_nonsust < 0 ? n - 1 : next_nonsust - 1;
          std::vector<int> pconf_idx;
          if (rawpira && relapse_associated(change)) {
            if (pira_only &&
                (baseline == BaselineScheme::kFixed || baseline == BaselineScheme::kRovingImpr)) {
              skip = true;
            }
            type = CdwType::kRaw;
          } else if (rawpira) {
            if (event == ProgressionEventSelection::kFirstRaw &&
                (baseline == BaselineScheme::kFixed || baseline == BaselineScheme::kRovingImpr)) {
              skip = true;
            } else {
              // Relapse-free intervals around the preceding visit, the event
              // and each confirmation visit (msprog's left/right).
              const int prec = ri.preceding == RelapseIndependence::Preceding::kBaseline ? bl_idx
                               : ri.preceding == RelapseIndependence::Preceding::kLast ? change - 1
                                                                                       : lastdelta;
              for (int ic : conf_idx) {
                std::vector<std::pair<double, double>> intervals;
                double t0 = 0;
                const std::pair<std::optional<double>, std::optional<double>> bounds[] = {
                    {ri.p0, ri.p1}, {ri.e0, ri.e1}, {ri.c0, ri.c1}};
                const double points[] = {day[prec], day[change], day[ic]};
                for (int p = 0; p < 3; ++p) {
                  if (bounds[p].first) t0 = points[p] - *bounds[p].first;
                  if (bounds[p].second) {
                    const double t1 = points[p] + *bounds[p].second;
                    if (t1 > t0) intervals.push_back({t0, t1});
                  }
                }
                bool rel_inbetween = false;
                for (const auto& [lo, hi] : intervals) {
                  for (double r : rel) rel_inbetween = rel_inbetween || (lo <= r && r <= hi);
                }
                if (!rel_inbetween) pconf_idx.push_back(ic);
              }
              type = pconf_idx.empty() ? CdwType::kUndefined : CdwType::kPira;
            }
          }
          if (!skip) {
            f.index = change;
            f.ev.kind = ProgressionEventKind::kWorsening;
            f.ev.type = rawpira ? type : CdwType::kUndefined;
            f.ev.threshold = delta_wors(blv);
            fill_common(f.ev, change, bl_idx, blv, lastdelta, sust_idx);
            f.ev.confirmed = !imputed;
            f.ev.confirmed_date = visits[conf_idx[0]].time;
            f.ev.confirmed_value = v[conf_idx[0]];
            if (imputed) {
              for (int64_t p : periods) {
                ProgressionConfirmation c;
                c.period_days = p;
                f.ev.confirmations.push_back(c);
              }
            } else {
              store_confirmations(f.ev);
            }
            if (f.ev.type == CdwType::kPira) {
              for (size_t k = 0; k < periods.size(); ++k) {
                const int at = earliest(k, pconf_idx);
                if (at >= 0) {
                  f.ev.confirmations[k].pira_confirmed = true;
                  f.ev.confirmations[k].pira_date = visits[at].time;
                  f.ev.confirmations[k].pira_value = v[at];
                }
              }
            }
            type = f.ev.type;
            found.push_back(f);
          }
        } else {
          prune_periods();
        }
        if (skip) {
          search_idx = change + 1;
          continue;  // msprog's `next`: no re-baseline, no stop check
        }
        bool any_period = false;
        for (bool a : period_alive) any_period = any_period || a;
        if (any_period) {
          const std::vector<int> firsts = first_per_period();
          int newref;
          if (baseline == BaselineScheme::kRoving || baseline == BaselineScheme::kRovingWors) {
            newref = firstconf ? firsts[0] : change;
            bl_idx = newref;
          } else if (!valid_ev || (type != CdwType::kPira && pira_only) ||
                     (type != CdwType::kRaw && event == ProgressionEventSelection::kFirstRaw)) {
            newref = change;
          } else {
            newref = firstconf ? firsts[0] : change;
          }
          search_idx = newref + 1;
        } else {
          search_idx = change + 1;
        }
      } else if (conf0 >= 0 && isevent(v[change], blv, Dir::kWors, true) &&
                 holds(change, conf0, blv, Dir::kWors, true) &&
                 (baseline == BaselineScheme::kRoving || baseline == BaselineScheme::kRovingWors) &&
                 (stre == SubThresholdRebaseline::kChange ||
                  stre == SubThresholdRebaseline::kWorsening)) {
        // Confirmed sub-threshold worsening: re-baseline.
        const int newref = firstconf ? conf0 : change;
        bl_idx = newref;
        search_idx = newref + 1;
      } else {
        search_idx = change + 1;
      }
    }

    // Relapse-based re-baseline: the search crossed a relapse.
    if (relapse_rebl && proceed && search_idx < n) {
      bool crossed = false;
      for (double r : rel) {
        crossed =
            crossed || (day[bl_idx] < r && r + (pira_only ? 0 : assoc.last) < day[search_idx]);
      }
      if (crossed) {
        int new_bl = bl_idx;
        if (bl_idx < n && irel >= 0) {
          new_bl = -1;
          for (int x = bl_idx; x < n; ++x) {
            if (rel[irel] <= day[x]) {
              new_bl = x;
              break;
            }
          }
        }
        if (new_bl >= 0) {
          bl_idx = new_bl;
          search_idx = bl_idx + 1;
        }
        if (new_bl < 0 || bl_idx > n - 2) proceed = false;
      }
    }

    if (proceed &&
        ((event == ProgressionEventSelection::kFirst && found.size() > 1) ||
         (event == ProgressionEventSelection::kFirstCdi && has_type(true, CdwType::kNone, false)) ||
         (event == ProgressionEventSelection::kFirstCdw && has_type(false, CdwType::kNone, true)) ||
         (pira_only && has_type(false, CdwType::kPira, false)) ||
         (event == ProgressionEventSelection::kFirstRaw &&
          has_type(false, CdwType::kRaw, false)))) {
      proceed = false;
    }
  }

  // Events found twice (only with relapse_rebl): keep the last detected;
  // then date order (msprog's event_order).
  std::vector<Found> unique;
  for (size_t i = 0; i < found.size(); ++i) {
    bool later = false;
    for (size_t j = i + 1; j < found.size(); ++j) later = later || found[j].index == found[i].index;
    if (!later) unique.push_back(found[i]);
  }
  std::stable_sort(unique.begin(), unique.end(),
                   [](const Found& a, const Found& b) { return a.index < b.index; });
  auto pick = [&](auto pred) {
    for (const Found& f : unique) {
      if (pred(f.ev)) return std::vector<Found>{f};
    }
    return std::vector<Found>{};
  };
  switch (event) {
    case ProgressionEventSelection::kMultiple:
      break;
    case ProgressionEventSelection::kFirst:
      if (!unique.empty()) unique.resize(1);
      break;
    case ProgressionEventSelection::kFirstCdi:
      unique = pick(
          [](const ProgressionEvent& e) { return e.kind == ProgressionEventKind::kImprovement; });
      break;
    case ProgressionEventSelection::kFirstCdw:
      unique = pick(
          [](const ProgressionEvent& e) { return e.kind == ProgressionEventKind::kWorsening; });
      break;
    case ProgressionEventSelection::kFirstPira:
      unique = pick([](const ProgressionEvent& e) {
        return e.kind == ProgressionEventKind::kWorsening && e.type == CdwType::kPira;
      });
      break;
    case ProgressionEventSelection::kFirstRaw:
      unique = pick([](const ProgressionEvent& e) {
        return e.kind == ProgressionEventKind::kWorsening && e.type == CdwType::kRaw;
      });
      break;
  }
  for (Found& f : unique) {
    f.ev.nevent = static_cast<int>(result.events.size()) + 1;
    if (f.ev.kind == ProgressionEventKind::kImprovement) {
      ++result.cdi;
    } else {
      ++result.cdw;
      if (f.ev.type == CdwType::kRaw) ++result.raw;
      if (f.ev.type == CdwType::kPira) ++result.pira;
    }
    result.events.push_back(std::move(f.ev));
  }
  return result;
}

}  // namespace cotrack
