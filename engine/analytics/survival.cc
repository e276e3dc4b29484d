// Kaplan–Meier, log-rank and time to first progression event; see
// cotrack/survival.h. Formulas follow R's survival package (survfit.km,
// quantile.survfit, survdiff) so results agree with it to rounding.
#include "cotrack/survival.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cotrack/baseline.h"
#include "cotrack/change.h"
#include "cotrack/chart.h"
#include "cotrack/database.h"
#include "cotrack/status_macros.h"
#include "cotrack/summary.h"
#include "cotrack/timepoint.h"

namespace cotrack {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// qnorm(0.975), as R computes it.
constexpr double kZ975 = 1.959963984540054;

absl::Status CheckSubjects(const std::vector<SurvivalSubject>& subjects) {
  for (size_t i = 0; i < subjects.size(); ++i) {
    const double t = subjects[i].time;
    if (!std::isfinite(t) || t < 0) {
      return absl::InvalidArgumentError(absl::StrCat("subject ", i, " (group \"", subjects[i].group,
                                                     "\"): bad time ", absl::StrFormat("%g", t),
                                                     " (expected a finite time >= 0)"));
    }
  }
  return absl::OkStatus();
}

// The median as R prints it (survmean's minmin, the table of print(fit)
// and summary(fit)$table): the first time at which `y` (the estimate or a
// band; NaN where undefined) is at or below 0.5; when it equals 0.5 there
// and drops later, the midpoint between that time and the drop.
std::optional<double> MedianTime(const std::vector<double>& times, const std::vector<double>& y) {
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon());
  std::vector<double> x, v;
  for (size_t i = 0; i < times.size(); ++i) {
    if (std::isnan(y[i]) || !(y[i] < 0.5 + tol)) continue;
    x.push_back(times[i]);
    v.push_back(y[i]);
  }
  if (x.empty()) return std::nullopt;
  if (std::abs(v[0] - 0.5) < tol) {
    for (size_t i = 1; i < v.size(); ++i) {
      if (v[i] < v[0]) return (x[0] + x[i]) / 2;
    }
  }
  return x[0];
}

KaplanMeierCurve Estimate(std::string group, std::vector<std::pair<double, bool>> data) {
  KaplanMeierCurve curve;
  curve.group = std::move(group);
  curve.n = static_cast<int64_t>(data.size());
  std::sort(data.begin(), data.end());
  double s = 1;
  double greenwood = 0;  // sum d / (n (n - d)): variance of log S
  size_t i = 0;
  int64_t at_risk = curve.n;
  while (i < data.size()) {
    KaplanMeierStep step;
    step.time = data[i].first;
    step.n_risk = at_risk;
    while (i < data.size() && data[i].first == step.time) {
      (data[i].second ? step.n_event : step.n_censor)++;
      ++i;
    }
    at_risk -= step.n_event + step.n_censor;
    curve.events += step.n_event;
    if (step.n_event > 0) {
      const double n = static_cast<double>(step.n_risk), d = static_cast<double>(step.n_event);
      s *= (n - d) / n;
      greenwood = n > d ? greenwood + d / (n * (n - d)) : std::numeric_limits<double>::infinity();
    }
    step.survival = s;
    if (s <= 0) {
      step.std_err = step.lower = step.upper = kNaN;
    } else if (s >= 1) {
      step.std_err = 0;
      step.lower = step.upper = 1;
    } else {
      const double se = std::sqrt(greenwood);
      step.std_err = s * se;
      // log-log: log(-log S) +- z se / |log S|.
      const double shift = kZ975 * se / std::log(s);
      const double a = std::exp(-std::exp(std::log(-std::log(s)) + shift));
      const double b = std::exp(-std::exp(std::log(-std::log(s)) - shift));
      step.lower = std::min(a, b);
      step.upper = std::max(a, b);
    }
    curve.steps.push_back(step);
  }
  std::vector<double> times, m, ml, mu;
  for (const KaplanMeierStep& st : curve.steps) {
    times.push_back(st.time);
    m.push_back(st.survival);
    ml.push_back(st.lower);
    mu.push_back(st.upper);
  }
  curve.median = MedianTime(times, m);
  curve.median_lower = MedianTime(times, ml);
  curve.median_upper = MedianTime(times, mu);
  return curve;
}

// Regularized incomplete gamma (Numerical Recipes 6.2): the series for
// x < a + 1, the continued fraction (modified Lentz) otherwise.
double GammaQ(double a, double x) {
  if (x <= 0) return 1;
  const double gln = std::lgamma(a);
  if (x < a + 1) {
    double ap = a, sum = 1 / a, del = sum;
    for (int n = 0; n < 1000; ++n) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (std::abs(del) < std::abs(sum) * 1e-16) break;
    }
    return 1 - sum * std::exp(-x + a * std::log(x) - gln);
  }
  const double fpmin = 1e-300;
  double b = x + 1 - a, c = 1 / fpmin, d = 1 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < fpmin) d = fpmin;
    c = b + an / c;
    if (std::abs(c) < fpmin) c = fpmin;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) < 1e-16) break;
  }
  return std::exp(-x + a * std::log(x) - gln) * h;
}

}  // namespace

absl::StatusOr<std::vector<KaplanMeierCurve>> KaplanMeier(
    const std::vector<SurvivalSubject>& subjects) {
  COTRACK_RETURN_IF_ERROR(CheckSubjects(subjects));
  std::map<std::string, std::vector<std::pair<double, bool>>> groups;
  for (const SurvivalSubject& s : subjects) groups[s.group].emplace_back(s.time, s.event);
  std::vector<KaplanMeierCurve> curves;
  for (auto& [name, data] : groups) curves.push_back(Estimate(name, std::move(data)));
  return curves;
}

std::optional<KaplanMeierStep> KaplanMeierAt(const KaplanMeierCurve& curve, double t) {
  if (curve.steps.empty() || !(t >= 0) || t > curve.steps.back().time) return std::nullopt;
  KaplanMeierStep at;
  at.time = t;
  at.n_risk = 0;
  for (const KaplanMeierStep& st : curve.steps) {
    if (st.time >= t) {
      if (at.n_risk == 0) at.n_risk = st.n_risk;
      continue;
    }
  }
  for (const KaplanMeierStep& st : curve.steps) {
    if (st.time > t) break;
    at.n_event += st.n_event;
    at.n_censor += st.n_censor;
    at.survival = st.survival;
    at.std_err = st.std_err;
    at.lower = st.lower;
    at.upper = st.upper;
  }
  return at;
}

double ChiSquareUpperTail(double x, double df) {
  if (!(x > 0)) return 1;
  return GammaQ(df / 2, x / 2);
}

absl::StatusOr<LogRankResult> LogRank(const std::vector<SurvivalSubject>& subjects) {
  COTRACK_RETURN_IF_ERROR(CheckSubjects(subjects));
  LogRankResult result;
  std::map<std::string, size_t> index;
  for (const SurvivalSubject& s : subjects) index.emplace(s.group, 0);
  for (auto& [name, i] : index) {
    i = result.groups.size();
    result.groups.push_back({name});
  }
  const size_t k = result.groups.size();
  // By time: per group, subjects leaving then and events then.
  std::map<double, std::vector<std::pair<int64_t, int64_t>>> by_time;
  std::vector<double> at_risk(k, 0);
  for (const SurvivalSubject& s : subjects) {
    const size_t g = index[s.group];
    auto& cell = by_time[s.time];
    cell.resize(k);
    cell[g].first++;
    if (s.event) cell[g].second++;
    at_risk[g] += 1;
    result.groups[g].n++;
  }
  std::vector<double> o_minus_e(k, 0);
  std::vector<std::vector<double>> v(k, std::vector<double>(k, 0));
  for (const auto& [time, cell] : by_time) {
    double n = 0, d = 0;
    for (size_t g = 0; g < k; ++g) {
      n += at_risk[g];
      d += static_cast<double>(cell[g].second);
    }
    if (d > 0) {
      for (size_t g = 0; g < k; ++g) {
        const double e = d * at_risk[g] / n;
        result.groups[g].observed += static_cast<double>(cell[g].second);
        result.groups[g].expected += e;
        o_minus_e[g] += static_cast<double>(cell[g].second) - e;
        if (n > 1) {
          for (size_t h = 0; h < k; ++h) {
            const double share = d * (n - d) / (n - 1) * at_risk[g] / n;
            v[g][h] += share * ((g == h ? 1.0 : 0.0) - at_risk[h] / n);
          }
        }
      }
    }
    for (size_t g = 0; g < k; ++g) at_risk[g] -= static_cast<double>(cell[g].first);
  }
  // Groups with expected > 0 take part (survdiff); one of them is dropped
  // because the differences sum to zero.
  std::vector<size_t> use;
  for (size_t g = 0; g < k; ++g) {
    if (result.groups[g].expected > 0) use.push_back(g);
  }
  if (use.size() < 2) return result;
  use.pop_back();
  const size_t m = use.size();
  // Solve V x = (O - E) by Gaussian elimination with partial pivoting.
  std::vector<std::vector<double>> a(m, std::vector<double>(m + 1));
  for (size_t r = 0; r < m; ++r) {
    for (size_t c = 0; c < m; ++c) a[r][c] = v[use[r]][use[c]];
    a[r][m] = o_minus_e[use[r]];
  }
  for (size_t c = 0; c < m; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < m; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[piv][c])) piv = r;
    }
    std::swap(a[c], a[piv]);
    if (std::abs(a[c][c]) < 1e-12) return result;  // singular: no test
    for (size_t r = 0; r < m; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (size_t cc = c; cc <= m; ++cc) a[r][cc] -= f * a[c][cc];
    }
  }
  double chisq = 0;
  for (size_t r = 0; r < m; ++r) chisq += o_minus_e[use[r]] * a[r][m] / a[r][r];
  result.chisq = chisq;
  result.df = static_cast<int64_t>(m);
  result.p = ChiSquareUpperTail(chisq, static_cast<double>(m));
  return result;
}

std::optional<TimeToEvent> TimeToFirstEvent(const Patient& patient,
                                            const std::vector<Observation>& trajectory,
                                            const ProgressionResult& result,
                                            const SurvivalEventFilter& filter,
                                            const std::string& group) {
  if (!result.analysed) return std::nullopt;
  // The visits DetectEdssProgression uses: valid, uncensored values.
  std::optional<CivilTime> first, last;
  for (const Observation& o : trajectory) {
    if (o.status == ObservationStatus::kEnteredInError || o.comparator != Comparator::kNone) {
      continue;
    }
    if (!first || o.time.seconds < first->seconds) first = o.time;
    if (!last || o.time.seconds > last->seconds) last = o.time;
  }
  if (!first) return std::nullopt;
  TimeToEvent t;
  t.patient = patient.id;
  t.group = group;
  t.origin = *first;
  // With an index date the course starts at its baseline visit (the one
  // DetectEdssProgression started from), not at earlier visits.
  if (result.start == "index-date baseline") {
    BaselineResult bl = FindBaseline(patient, trajectory, result.options.baseline_options);
    if (bl.status == BaselineStatus::kFound) t.origin = bl.observation->time;
  }
  t.end = *last;
  for (const ProgressionEvent& e : result.events) {
    if (std::find(filter.kinds.begin(), filter.kinds.end(), e.kind) == filter.kinds.end()) {
      continue;
    }
    t.end = e.date;
    t.event = true;
    break;
  }
  t.days = static_cast<double>(t.end.day() - t.origin.day());
  return t;
}

namespace {

std::string FormatDays(double d) { return absl::StrFormat("%gd", d); }

}  // namespace

absl::StatusOr<std::vector<double>> ParseSurvivalTimes(const std::string& list) {
  std::vector<double> out;
  const std::string expected =
      "(expected times after the start of the course, e.g. 365d,730d, 52w, 12m or 2y)";
  if (list.empty()) return absl::InvalidArgumentError(absl::StrCat("--at: empty ", expected));
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    const std::string text(item);
    double days = 0;
    if (!text.empty() && absl::SimpleAtod(text, &days) && std::isfinite(days) && days >= 0) {
      out.push_back(days);
      continue;
    }
    absl::StatusOr<Timepoint> tp = ParseTimepoint(text);
    if (!tp.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--at: bad value \"", text, "\" ", expected));
    }
    const double n = static_cast<double>(tp->amount);
    switch (tp->unit) {
      case TimepointUnit::kBaseline:
        out.push_back(0);
        break;
      case TimepointUnit::kDays:
        out.push_back(n);
        break;
      case TimepointUnit::kWeeks:
        out.push_back(7 * n);
        break;
      case TimepointUnit::kMonths:
        out.push_back(n * 365.25 / 12);
        break;
      case TimepointUnit::kYears:
        out.push_back(n * 365.25);
        break;
    }
  }
  return out;
}

absl::StatusOr<SurvivalOptions> ParseSurvivalOptions(
    const std::vector<std::pair<std::string, std::string>>& options) {
  SurvivalOptions out;
  // Time to the FIRST event: without --event, msprog's default firstCDW;
  // with "multiple" the first event of any kind.
  out.progression.event = ProgressionEventSelection::kFirstCdw;
  out.filter.kinds = {ProgressionEventKind::kWorsening, ProgressionEventKind::kImprovement};
  std::vector<std::pair<std::string, std::string>> progression;
  bool outcome_given = false;
  std::string measure = "edss";
  for (const auto& [name, value] : options) {
    if (name == "by" || name == "group-by") {
      out.group_by = value == "none" ? "" : value;
    } else if (name == "at") {
      absl::StatusOr<std::vector<double>> at = ParseSurvivalTimes(value);
      if (!at.ok()) return at.status();
      out.at_days = *std::move(at);
    } else if (name == "relapses") {
      out.relapses_file = value;
    } else if (name == "relapse-measure") {
      out.relapse_measure = value;
    } else if (name == "plot") {
      if (value.empty()) {
        return absl::InvalidArgumentError(
            "option \"plot\" needs a file name for the SVG chart (plot=km.svg)");
      }
      out.plot = value;
    } else if (name == "format") {
      // The command's own; nothing to do here.
    } else if (name == "measure") {
      measure = value;
    } else if (name == "event" &&
               (value == "worsening" || value == "improvement" || value == "all")) {
      // The older spellings of cotrack progression, as first events.
      progression.emplace_back("event", value == "worsening"     ? "firstCDW"
                                        : value == "improvement" ? "firstCDI"
                                                                 : "first");
    } else {
      if (name == "outcome") outcome_given = true;
      progression.emplace_back(name, value);
    }
  }
  if (measure != "edss") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--measure: bad value \"", measure,
        "\" (time to event is computed on the EDSS course; other outcomes: cotrack progression)"));
  }
  if (!outcome_given) progression.insert(progression.begin(), {"outcome", "edss"});
  progression.insert(progression.begin(), {"event", "firstCDW"});
  std::vector<std::pair<std::string, std::string>> unknown;
  COTRACK_RETURN_IF_ERROR(ParseProgressionOptions(progression, &out.progression, &unknown));
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown option \"", unknown[0].first,
        "\" (expected by, group-by, at, relapses, relapse-measure, measure, format, plot or an "
        "option of cotrack progression)"));
  }
  return out;
}

std::string DescribeSurvivalOptions(const SurvivalOptions& options,
                                    const std::string& relapse_source) {
  std::vector<std::string> at;
  for (double d : options.at_days) at.push_back(FormatDays(d));
  return absl::StrCat("time to event=", ProgressionEventSelectionName(options.progression.event),
                      " by=", options.group_by.empty() ? "none" : options.group_by,
                      at.empty() ? "" : absl::StrCat(" at=", absl::StrJoin(at, ",")),
                      " origin=course start censor=last visit ci=95% log-log; ",
                      DescribeProgressionOptions(options.progression),
                      " relapses=", relapse_source);
}

ChartSpec BuildSurvivalChart(const std::vector<KaplanMeierCurve>& curves,
                             const std::string& title) {
  ChartSpec spec;
  spec.title = title;
  spec.x_label = "Months since the start of the course";
  spec.y_label = "Proportion without event";
  spec.y_min = 0;
  spec.y_max = 1;
  spec.y_ticks = {0, 0.2, 0.4, 0.6, 0.8, 1};
  int color = 0;
  for (const KaplanMeierCurve& c : curves) {
    ChartSeries s;
    s.label = absl::StrCat(c.group, " (", c.events, "/", c.n, " events)");
    s.tooltip = s.label;
    s.step = true;
    s.emphasized = true;
    s.color = color++;
    s.points.push_back({0, 1});
    for (const KaplanMeierStep& st : c.steps) {
      const double m = st.time / kDaysPerMonth;
      if (st.n_event > 0) s.points.push_back({m, st.survival});
      if (st.n_censor > 0) s.ticks.push_back({m, st.survival});
    }
    // The curve runs to the last follow-up time, events or not.
    if (!c.steps.empty() && s.points.back().first < c.steps.back().time / kDaysPerMonth) {
      s.points.push_back({c.steps.back().time / kDaysPerMonth, c.steps.back().survival});
    }
    spec.series.push_back(std::move(s));
  }
  spec.note = "Kaplan-Meier estimate; ticks: censored at the last visit.";
  return spec;
}

absl::StatusOr<SurvivalAnalysis> AnalyzeSurvival(Database& db, const SurvivalOptions& options,
                                                 const RelapseEpisodes& file_relapses) {
  COTRACK_RETURN_IF_ERROR(ValidateGroupBy(db, options.group_by));
  SurvivalAnalysis out;
  absl::StatusOr<RelapseEpisodes> relapses = CollectRelapses(
      db, options.relapses_file, file_relapses, options.relapse_measure, &out.relapse_source);
  if (!relapses.ok()) return relapses.status();
  absl::Status s = db.ForEachSeries(
      "edss", [&](const Patient& p, const std::vector<Observation>& traj) -> absl::Status {
        auto rel = relapses->find(p.id);
        // With end dates, as `cotrack progression` does, so that a PIRA or RAW
        // here is the one progression lists.
        absl::StatusOr<ProgressionResult> r = DetectProgression(
            p, traj, rel == relapses->end() ? std::vector<Relapse>{} : rel->second,
            options.progression);
        if (!r.ok()) return r.status();
        std::optional<TimeToEvent> t =
            TimeToFirstEvent(p, traj, *r, options.filter, PatientGroup(p, options.group_by));
        if (t) {
          out.subjects.push_back(*std::move(t));
        } else {
          out.not_analysed.push_back(p.id);
        }
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  out.settings = DescribeSurvivalOptions(options, out.relapse_source);
  std::vector<SurvivalSubject> subjects;
  for (const TimeToEvent& t : out.subjects) subjects.push_back({t.days, t.event, t.group});
  absl::StatusOr<std::vector<KaplanMeierCurve>> curves = KaplanMeier(subjects);
  if (!curves.ok()) return curves.status();
  out.curves = *std::move(curves);
  absl::StatusOr<LogRankResult> test = LogRank(subjects);
  if (!test.ok()) return test.status();
  out.log_rank = *std::move(test);
  return out;
}

namespace {

std::string SurvivalChartTitle(ProgressionEventSelection e) {
  switch (e) {
    case ProgressionEventSelection::kFirstCdw:
      return "Time to first confirmed disability worsening";
    case ProgressionEventSelection::kFirstCdi:
      return "Time to first confirmed disability improvement";
    case ProgressionEventSelection::kFirstPira:
      return "Time to first progression independent of relapse activity (PIRA)";
    case ProgressionEventSelection::kFirstRaw:
      return "Time to first relapse-associated worsening (RAW)";
    case ProgressionEventSelection::kFirst:
    case ProgressionEventSelection::kMultiple:
      return "Time to first confirmed disability event";
  }
  return "Time to event";
}

}  // namespace

std::vector<std::string> SurvivalNotes(const SurvivalAnalysis& analysis) {
  int64_t events = 0;
  for (const KaplanMeierCurve& c : analysis.curves) events += c.events;
  std::vector<std::string> notes = {absl::StrCat(analysis.subjects.size(), " patient(s), ", events,
                                                 " event(s); ", analysis.settings)};
  if (!analysis.not_analysed.empty()) {
    notes.push_back(absl::StrCat("no EDSS on or before the index date (not analysed): ",
                                 absl::StrJoin(analysis.not_analysed, ", ")));
  }
  return notes;
}

std::string SurvivalChartSvg(const SurvivalAnalysis& analysis, const SurvivalOptions& options) {
  return RenderSvgChart(
      BuildSurvivalChart(analysis.curves, SurvivalChartTitle(options.progression.event)));
}

ResultTable SurvivalTable(const SurvivalOptions& options, const SurvivalAnalysis& a) {
  constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  using Type = ResultColumn::Type;
  auto or_none = [](const std::optional<double>& v) { return v ? *v : kNone; };
  ResultTable t;
  t.rows = a.curves.size() + 1;
  t.columns.reserve(10 + 4 * options.at_days.size());  // the references below must stay valid
  auto& group = t.AddColumn("group", Type::kString);
  auto& n = t.AddColumn("n", Type::kInteger);
  auto& events = t.AddColumn("events", Type::kInteger);
  auto& median = t.AddColumn("median", Type::kNumber);
  auto& lower = t.AddColumn("lower", Type::kNumber);
  auto& upper = t.AddColumn("upper", Type::kNumber);
  int64_t all_n = 0, all_events = 0;
  for (const KaplanMeierCurve& c : a.curves) {
    group.strings.push_back(c.group);
    n.integers.push_back(c.n);
    events.integers.push_back(c.events);
    median.numbers.push_back(or_none(c.median));
    lower.numbers.push_back(or_none(c.median_lower));
    upper.numbers.push_back(or_none(c.median_upper));
    all_n += c.n;
    all_events += c.events;
  }
  group.strings.push_back("log-rank");
  n.integers.push_back(all_n);
  events.integers.push_back(all_events);
  for (auto* c : {&median, &lower, &upper}) c->numbers.push_back(kNone);
  for (double d : options.at_days) {
    const std::string label = absl::StrFormat("%gd", d);
    auto& s = t.AddColumn("survival_" + label, Type::kNumber);
    auto& sl = t.AddColumn("survival_lower_" + label, Type::kNumber);
    auto& su = t.AddColumn("survival_upper_" + label, Type::kNumber);
    auto& r = t.AddColumn("at_risk_" + label, Type::kInteger);
    for (const KaplanMeierCurve& c : a.curves) {
      std::optional<KaplanMeierStep> st = KaplanMeierAt(c, d);
      s.numbers.push_back(st ? st->survival : kNone);
      sl.numbers.push_back(st ? st->lower : kNone);
      su.numbers.push_back(st ? st->upper : kNone);
      r.integers.push_back(st ? st->n_risk : 0);
    }
    for (auto* c : {&s, &sl, &su}) c->numbers.push_back(kNone);
    r.integers.push_back(0);
    r.no_value.assign(t.rows, false);
    r.no_value.back() = true;
  }
  auto& chisq = t.AddColumn("chisq", Type::kNumber);
  auto& df = t.AddColumn("df", Type::kInteger);
  auto& p = t.AddColumn("p", Type::kNumber);
  auto& parameters = t.AddColumn("parameters", Type::kString);
  chisq.numbers.assign(a.curves.size(), kNone);
  chisq.numbers.push_back(a.log_rank.chisq);
  df.integers.assign(a.curves.size(), 0);
  df.integers.push_back(a.log_rank.df);
  df.no_value.assign(t.rows, true);
  df.no_value.back() = false;
  p.numbers.assign(a.curves.size(), kNone);
  p.numbers.push_back(or_none(a.log_rank.p));
  parameters.strings.assign(t.rows, a.settings);
  t.notes = SurvivalNotes(a);
  return t;
}

}  // namespace cotrack
