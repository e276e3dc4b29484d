#include "cotrack/report.h"

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cotrack/change.h"
#include "cotrack/chart.h"
#include "cotrack/database.h"
#include "cotrack/derived.h"
#include "cotrack/progression.h"
#include "cotrack/status_macros.h"
#include "cotrack/summary.h"
#include "cotrack/survival.h"
#include "cotrack/timepoint.h"
#include "svg_util.h"

namespace cotrack {
namespace {

using Series = std::vector<std::pair<Patient, std::vector<Observation>>>;

// Nominal months of a timepoint, where its median is drawn.
double TimepointMonths(const Timepoint& tp) {
  switch (tp.unit) {
    case TimepointUnit::kBaseline:
      return 0;
    case TimepointUnit::kDays:
      return static_cast<double>(tp.amount) / kDaysPerMonth;
    case TimepointUnit::kWeeks:
      return 7.0 * static_cast<double>(tp.amount) / kDaysPerMonth;
    case TimepointUnit::kMonths:
      return static_cast<double>(tp.amount);
    case TimepointUnit::kYears:
      return 12.0 * static_cast<double>(tp.amount);
  }
  return 0;
}

std::vector<std::pair<double, double>> Points(const Patient& p,
                                              const std::vector<Observation>& traj) {
  std::vector<std::pair<double, double>> pts;
  const int64_t index_day = p.index_date->day();
  for (const Observation& o : traj) {
    // A censored value is a limit, not a number to draw.
    if (o.status == ObservationStatus::kEnteredInError || o.comparator != Comparator::kNone) {
      continue;
    }
    pts.push_back({static_cast<double>(o.time.day() - index_day) / kDaysPerMonth, o.value});
  }
  return pts;
}

std::string AxisLabel(const MeasureDefinition& m) { return MeasureAxisLabel(m); }

const char* RuleInWords(EdssRule r) {
  switch (r) {
    case EdssRule::kThreeTier:
      return "+1.5 from 0, +1.0 from 1.0-5.5, +0.5 from 6.0";
    case EdssRule::kTwoTier:
      return "+1.0 up to 5.5, +0.5 from 6.0";
    case EdssRule::kMsOutcomes:
      return "+1.5 from 0, +1.0 below 6.0, +0.5 from 6.0";
    case EdssRule::kMsprog:
      return "+1.5 from 0, +1.0 up to 5.0, +0.5 from 5.5";
  }
  return "";
}

// The settings line of a cohort table as a sentence a reader can check.
std::string SummaryInWords(const SummaryOptions& o) {
  return absl::StrCat(
      "Values at ",
      absl::StrJoin(o.timepoints, ", ",
                    [](std::string* out, const Timepoint& tp) {
                      out->append(tp.unit == TimepointUnit::kBaseline ? "baseline" : tp.label);
                    }),
      " after each patient's index date, each within &plusmn;", o.timepoint.window_days,
      " days; the baseline is the last value on or before the index date",
      o.timepoint.baseline.lookback_days
          ? absl::StrCat(" and at most ", *o.timepoint.baseline.lookback_days, " days before it")
          : std::string(),
      ". Patients are grouped ",
      o.group_by.empty() ? std::string("as one cohort")
                         : absl::StrCat("by ", XmlEscape(o.group_by)),
      ". Censored laboratory values (e.g. &lt;0.5) are ",
      o.censored == CensoredRule::kExclude
          ? "left out and counted"
          : (o.censored == CensoredRule::kHalfLimit ? "counted at half the limit"
                                                    : "counted at the limit"),
      ". Quartiles: linear interpolation (R type 7).");
}

std::string ProgressionInWords(const ProgressionOptions& o, const std::string& relapses) {
  return absl::StrCat(
      "An EDSS rise from the reference of at least ", RuleInWords(o.rule), " (",
      EdssRuleName(o.rule), " rule) is a worsening when the first visit ", o.confirm_days,
      " days later (", absl::StrFormat("%g", o.tolerance_before_days), " days earlier to ",
      std::isinf(o.tolerance_after_days) ? std::string("any time")
                                         : absl::StrFormat("%g days", o.tolerance_after_days),
      " later) still shows it",
      o.require_intermediate ? ", and every visit in between does too" : "", ". The reference is ",
      o.baseline == BaselineScheme::kFixed ? "the first visit of the course"
                                           : "moved to the confirmation visit after each event",
      o.from_index_date ? " (the baseline on or before the index date when there is one)" : "",
      ". Visits within ", absl::StrFormat("%g", o.relapse_to_conf.last),
      " days after a relapse are not used as confirmation (within ",
      absl::StrFormat("%g", o.relapse_to_bl.last), " days: not as reference); a worsening up to ",
      absl::StrFormat("%g", o.relapse_assoc.last),
      " days after a relapse is relapse-associated (RAW). Relapses: ", XmlEscape(relapses), ".");
}

absl::StatusOr<Series> CollectSeries(Database& db, absl::string_view measure) {
  Series out;
  absl::Status s =
      db.ForEachSeries(measure, [&out](const Patient& p, const std::vector<Observation>& t) {
        out.emplace_back(p, t);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return out;
}

std::string F(const std::optional<double>& v, const char* fmt = "%.2f") {
  return v.has_value() ? absl::StrFormat(fmt, *v) : std::string("&ndash;");
}

std::string CountPct(int64_t n, const std::optional<double>& pct) {
  return pct.has_value() ? absl::StrFormat("%d (%.0f%%)", n, *pct) : absl::StrCat(n);
}

std::string SummaryTableHtml(const CohortSummary& s) {
  std::string h =
      "<table>\n<thead><tr><th>Group</th><th>Timepoint</th><th>Patients</th><th>n</th>"
      "<th>Missing</th><th>Censored</th><th>Median [Q1&ndash;Q3]</th><th>Mean (SD)</th>"
      "<th>Min&ndash;Max</th><th>Change: median</th><th>Change: mean</th><th>Improved</th>"
      "<th>Stable</th><th>Worsened</th></tr></thead>\n<tbody>\n";
  for (const SummaryRow& r : s.rows) {
    const bool any = r.stats.n > 0;
    const std::string dash = "&ndash;";
    absl::StrAppend(
        &h, "<tr><td>", XmlEscape(r.group), "</td><td>", XmlEscape(r.timepoint), "</td><td>",
        r.patients, "</td><td>", r.stats.n, "</td><td>", r.missing, "</td><td>", r.censored,
        "</td><td>",
        any ? absl::StrCat(F(r.stats.median), " [", F(r.stats.q1), "&ndash;", F(r.stats.q3), "]")
            : dash,
        "</td><td>",
        any ? absl::StrCat(F(r.stats.mean),
                           r.stats.sd ? absl::StrCat(" (", F(r.stats.sd), ")") : std::string())
            : dash,
        "</td><td>", any ? absl::StrCat(F(r.stats.min), "&ndash;", F(r.stats.max)) : dash,
        "</td><td>", F(r.change_median), "</td><td>", F(r.change_mean), "</td><td>",
        CountPct(r.improved, r.improved_pct), "</td><td>", CountPct(r.stable, r.stable_pct),
        "</td><td>", CountPct(r.worsened, r.worsened_pct), "</td></tr>\n");
  }
  absl::StrAppend(&h, "</tbody>\n</table>\n");
  return h;
}

// Patients with at least one confirmed worsening / improvement, per group.
absl::StatusOr<std::string> ProgressionTableHtml(Database& db, const Series& series,
                                                 const ReportOptions& options) {
  // The stored relapses with their end dates, as `cotrack progression` reads
  // them by default, so that the table counts progression's events.
  RelapseEpisodes relapses;
  std::string relapse_source = "none";
  if (db.GetMeasure("relapse").ok()) {
    absl::StatusOr<RelapseEpisodes> r = RelapseEpisodesFromMeasure(db, "relapse");
    if (!r.ok()) return r.status();
    relapses = *std::move(r);
    if (!relapses.empty()) relapse_source = "measure relapse";
  }
  struct Counts {
    int64_t patients = 0, analysed = 0, worsened = 0, improved = 0;
  };
  std::map<std::string, Counts> by_group;
  // The table counts patients with any confirmed worsening and with any
  // confirmed improvement, so every event is needed (msprog's
  // event='multiple'), whatever `cotrack progression`'s default.
  ProgressionOptions progression = options.progression;
  progression.event = ProgressionEventSelection::kMultiple;
  for (const auto& [p, t] : series) {
    Counts& c = by_group[PatientGroup(p, options.summary.group_by)];
    ++c.patients;
    auto rel = relapses.find(p.id);
    absl::StatusOr<ProgressionResult> r = DetectProgression(
        p, t, rel == relapses.end() ? std::vector<Relapse>{} : rel->second, progression);
    if (!r.ok()) return r.status();
    if (!r->analysed) continue;
    ++c.analysed;
    bool w = false, i = false;
    for (const ProgressionEvent& e : r->events) {
      (e.kind == ProgressionEventKind::kWorsening ? w : i) = true;
    }
    c.worsened += w;
    c.improved += i;
  }
  std::string h = absl::StrCat(
      "<h3>Confirmed disability worsening and improvement</h3>\n<p class=\"note\">",
      ProgressionInWords(progression, relapse_source), "</p>\n<p class=\"params\">",
      XmlEscape(DescribeProgressionOptions(progression)), " relapses=", relapse_source,
      "</p>\n<table>\n<thead><tr><th>Group</th><th>Patients</th><th>Analysed</th>"
      "<th>With confirmed worsening</th><th>With confirmed improvement</th></tr></thead>\n"
      "<tbody>\n");
  for (const auto& [group, c] : by_group) {
    auto pct = [&](int64_t n) {
      return c.analysed ? absl::StrFormat("%d (%.0f%%)", n, 100.0 * n / c.analysed)
                        : absl::StrCat(n);
    };
    absl::StrAppend(&h, "<tr><td>", XmlEscape(group), "</td><td>", c.patients, "</td><td>",
                    c.analysed, "</td><td>", pct(c.worsened), "</td><td>", pct(c.improved),
                    "</td></tr>\n");
  }
  absl::StrAppend(&h,
                  "</tbody>\n</table>\n<p class=\"note\">Analysed: patients with an EDSS on "
                  "or before their index date (or any EDSS when they have no index date). "
                  "Per-event detail: cotrack progression.</p>\n");
  return h;
}

// AIS severity bands (Okajima 2020) per timepoint and group.
std::string AisBandsHtml(const Series& series, const SummaryOptions& options) {
  std::map<std::pair<size_t, std::string>, std::array<int64_t, 4>> counts;
  for (const auto& [p, t] : series) {
    const std::string group = PatientGroup(p, options.group_by);
    for (size_t i = 0; i < options.timepoints.size(); ++i) {
      TimepointValue v = ValueAtTimepoint(p, t, options.timepoints[i], options.timepoint);
      if (v.status != TimepointStatus::kFound) continue;
      absl::StatusOr<AisSeverity> band = AisSeverityBand(v.observation->value);
      if (!band.ok()) continue;
      counts[{i, group}][static_cast<size_t>(*band)]++;
    }
  }
  std::string h =
      "<h3>Insomnia severity (AIS bands, Okajima 2020: 0&ndash;5 none, 6&ndash;9 mild, "
      "10&ndash;15 moderate, 16&ndash;24 severe)</h3>\n<table>\n<thead><tr><th>Group</th>"
      "<th>Timepoint</th><th>None</th><th>Mild</th><th>Moderate</th><th>Severe</th></tr>"
      "</thead>\n<tbody>\n";
  for (const auto& [key, c] : counts) {
    absl::StrAppend(&h, "<tr><td>", XmlEscape(key.second), "</td><td>",
                    XmlEscape(options.timepoints[key.first].label), "</td><td>", c[0], "</td><td>",
                    c[1], "</td><td>", c[2], "</td><td>", c[3], "</td></tr>\n");
  }
  absl::StrAppend(&h, "</tbody>\n</table>\n");
  return h;
}

// Relapse onsets as `cotrack progression` reads them by default: the
// relapses stored in the measure "relapse" (built-in; a database's own user
// measure of that code wins, catalog.h).
absl::StatusOr<RelapseDates> ReportRelapses(Database& db, std::string* source) {
  *source = "none";
  if (!db.GetMeasure("relapse").ok()) return RelapseDates{};
  absl::StatusOr<RelapseDates> r = RelapseDatesFromMeasure(db, "relapse");
  if (r.ok()) {
    for (const auto& [id, dates] : *r) {
      if (!dates.empty()) *source = "measure relapse";
    }
  }
  return r;
}

// A per-patient chart's markers: relapse onsets (triangles on the x axis)
// and, on EDSS charts, each confirmed worsening / improvement at its event
// visit (diamonds) with the confirmation date in the hover text.
absl::Status AddPatientMarkers(const MeasureDefinition& m, const Patient& p,
                               const std::vector<Observation>& t, const RelapseDates& relapses,
                               const ReportOptions& options, ChartSpec* chart) {
  const int64_t index_day = p.index_date->day();
  auto months = [&](const CivilTime& c) {
    return static_cast<double>(c.day() - index_day) / kDaysPerMonth;
  };
  auto rel = relapses.find(p.id);
  const std::vector<CivilTime> none;
  const std::vector<CivilTime>& onsets = rel == relapses.end() ? none : rel->second;
  double bottom = chart->y_min.value_or(0);
  if (!chart->y_min) {
    bottom = std::numeric_limits<double>::infinity();
    for (const auto& [x, y] : chart->series.front().points) bottom = std::min(bottom, y);
    if (!std::isfinite(bottom)) bottom = 0;
  }
  for (const CivilTime& r : onsets) {
    ChartMarker mk;
    mk.x = months(r);
    mk.y = bottom;
    mk.shape = ChartMarker::Shape::kTriangle;
    mk.color = 1;
    mk.label = "relapse";
    mk.tooltip = absl::StrCat("relapse ", FormatCivilTime(r));
    chart->markers.push_back(std::move(mk));
  }
  if (m.code != "edss") return absl::OkStatus();
  ProgressionOptions every = options.progression;  // every event, as the table counts them
  every.event = ProgressionEventSelection::kMultiple;
  absl::StatusOr<ProgressionResult> r = DetectEdssProgression(p, t, onsets, every);
  if (!r.ok()) return r.status();
  for (const ProgressionEvent& e : r->events) {
    const bool worse = e.kind == ProgressionEventKind::kWorsening;
    ChartMarker mk;
    mk.x = months(e.date);
    mk.y = e.value;
    mk.shape = ChartMarker::Shape::kDiamond;
    mk.color = worse ? 6 : 2;
    mk.label = worse ? "worsening (CDW)" : "improvement (CDI)";
    mk.tooltip = absl::StrCat(
        worse ? "confirmed worsening " : "confirmed improvement ", FormatCivilTime(e.date),
        " (EDSS ", absl::StrFormat("%g", e.baseline_value), " to ", absl::StrFormat("%g", e.value),
        ", confirmed ", FormatCivilTime(e.confirmed_date), ")");
    chart->markers.push_back(std::move(mk));
  }
  return absl::OkStatus();
}

std::string Days(const std::optional<double>& d) {
  return d ? absl::StrFormat("%g", *d) : std::string("NR");
}

// Time to first confirmed worsening by group: the Kaplan-Meier table, the
// log-rank test and the step curves (cotrack survival with the report's
// progression options).
absl::StatusOr<std::string> SurvivalHtml(Database& db, const ReportOptions& options) {
  SurvivalOptions so;
  so.progression = options.progression;
  so.progression.event = ProgressionEventSelection::kFirstCdw;
  so.group_by = options.summary.group_by;
  absl::StatusOr<SurvivalAnalysis> a = AnalyzeSurvival(db, so);
  if (!a.ok()) return a.status();
  std::string h =
      "<h3>Time to first confirmed disability worsening</h3>\n<p class=\"note\">Days from the "
      "start of each patient's EDSS course (the baseline on or before the index date, or the "
      "first visit) to the first confirmed worsening found with the settings above; patients "
      "without one are censored at their last EDSS visit. Kaplan&ndash;Meier estimate, median "
      "with 95% confidence interval (Greenwood variance, log-log transform); NR: not reached. "
      "Details and survival at chosen times: cotrack survival.</p>\n<table>\n<thead><tr>"
      "<th>Group</th><th>Patients</th><th>Events</th><th>Median (days)</th>"
      "<th>95% CI</th></tr></thead>\n<tbody>\n";
  for (const KaplanMeierCurve& c : a->curves) {
    absl::StrAppend(&h, "<tr><td>", XmlEscape(c.group), "</td><td>", c.n, "</td><td>", c.events,
                    "</td><td>", Days(c.median), "</td><td>", Days(c.median_lower), "&ndash;",
                    Days(c.median_upper), "</td></tr>\n");
  }
  absl::StrAppend(
      &h, "</tbody>\n</table>\n<p class=\"note\">Log-rank test: ",
      a->log_rank.p ? absl::StrFormat("chi-square %.2f on %d degree(s) of freedom, "
                                      "p = %.3g",
                                      a->log_rank.chisq, a->log_rank.df, *a->log_rank.p)
                    : std::string("not computed (one group, or no events)"),
      ".</p>\n<figure>",
      RenderSvgChart(BuildSurvivalChart(a->curves, "Time to first confirmed disability worsening")),
      "</figure>\n");
  return h;
}

constexpr char kStyle[] =
    R"(body{font-family:Helvetica,Arial,sans-serif;color:#111;margin:24px;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #999}h3{font-size:15px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border:1px solid #bbb;padding:3px 6px;text-align:right}
th{background:#eee}td:first-child,td:nth-child(2){text-align:left}
.params{font-family:monospace;font-size:11px;color:#333}
.note{font-size:12px;color:#333}
.patients{display:flex;flex-wrap:wrap;gap:8px}
figure{margin:8px 0;break-inside:avoid;page-break-inside:avoid}
@media print{body{margin:0}h2{break-before:auto}}
)";

}  // namespace

ChartSpec BuildCohortChart(const MeasureDefinition& measure, const Series& series,
                           const CohortSummary& summary) {
  ChartSpec spec;
  spec.title = absl::StrCat(measure.name.empty() ? measure.code : measure.name,
                            ": trajectories and median by ",
                            summary.options.group_by.empty() ? "cohort" : summary.options.group_by);
  spec.x_label = "Months since index date";
  spec.y_label = AxisLabel(measure);
  UseMeasureScale(measure, &spec);

  // Colours by group name, only for groups that are drawn, so that a group
  // of undrawable patients (no index date) does not take a colour.
  std::map<std::string, int> color;
  for (const SummaryRow& r : summary.rows) {
    if (r.stats.median.has_value()) color.emplace(r.group, 0);
  }
  for (const auto& [p, traj] : series) {
    if (p.index_date.has_value()) color.emplace(PatientGroup(p, summary.options.group_by), 0);
  }
  int next = 0;
  for (auto& [group, c] : color) c = next++;

  std::vector<std::string> left_out;
  for (const auto& [p, traj] : series) {
    if (!p.index_date.has_value()) {
      left_out.push_back(p.id);
      continue;
    }
    ChartSeries s;
    s.tooltip = absl::StrCat("patient ", p.id);  // the legend lists the medians
    s.color = color[PatientGroup(p, summary.options.group_by)];
    s.points = Points(p, traj);
    spec.series.push_back(std::move(s));
  }
  for (const auto& [group, c] : color) {
    ChartSeries med;
    med.label = absl::StrCat("median ", group);
    med.color = c;
    med.emphasized = true;
    for (size_t i = 0; i < summary.options.timepoints.size(); ++i) {
      for (const SummaryRow& r : summary.rows) {
        if (r.group == group && r.timepoint == summary.options.timepoints[i].label &&
            r.stats.median.has_value()) {
          med.points.push_back({TimepointMonths(summary.options.timepoints[i]), *r.stats.median});
        }
      }
    }
    if (!med.points.empty()) spec.series.push_back(std::move(med));
  }
  spec.note = "Thin lines: one patient each. Thick: median at " +
              absl::StrJoin(summary.options.timepoints, ",",
                            [](std::string* out, const Timepoint& tp) { out->append(tp.label); }) +
              " (window " + std::to_string(summary.options.timepoint.window_days) + " days).";
  if (!left_out.empty()) {
    absl::StrAppend(&spec.note, " Not drawn (no index date): ", left_out.size(), " patient(s).");
  }
  return spec;
}

absl::StatusOr<ChartSpec> CohortChart(Database& db, absl::string_view measure,
                                      const SummaryOptions& options,
                                      const std::vector<std::string>& patients) {
  if (options.timepoints.empty()) {
    return absl::InvalidArgumentError("no timepoints given (expected e.g. --at 0,3m,6m,12m)");
  }
  absl::StatusOr<MeasureDefinition> def = db.GetMeasure(measure);
  if (!def.ok()) return def.status();
  COTRACK_RETURN_IF_ERROR(ValidateGroupBy(db, options.group_by));
  CohortSummaryBuilder builder(*def, options);
  const std::set<std::string> wanted(patients.begin(), patients.end());
  Series drawn;
  absl::Status s =
      db.ForEachSeries(measure, [&](const Patient& p, const std::vector<Observation>& t) {
        builder.Add(p, t);
        if (wanted.empty() || wanted.count(p.id)) drawn.emplace_back(p, t);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  for (const std::string& id : wanted) {
    bool found = false;
    for (const auto& [p, t] : drawn) found = found || p.id == id;
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("patient \"", id, "\" has no ", measure, " values to plot"));
    }
  }
  ChartSpec spec = BuildCohortChart(*def, drawn, builder.Finish());
  if (patients.size() == 1) spec.title = absl::StrCat(spec.title, " (patient ", patients[0], ")");
  return spec;
}

absl::StatusOr<std::string> BuildHtmlReport(Database& db, const ReportOptions& options) {
  if (options.summary.timepoints.empty()) {
    return absl::InvalidArgumentError("no timepoints given (expected e.g. --at 0,3m,6m,12m)");
  }
  COTRACK_RETURN_IF_ERROR(ValidateGroupBy(db, options.summary.group_by));
  std::vector<MeasureDefinition> measures;
  if (options.measures.empty()) {
    absl::StatusOr<std::vector<MeasureDefinition>> all = db.ListMeasures();
    if (!all.ok()) return all.status();
    measures = *std::move(all);
  } else {
    for (const std::string& code : options.measures) {
      absl::StatusOr<MeasureDefinition> m = db.GetMeasure(code);
      if (!m.ok()) return m.status();
      measures.push_back(*std::move(m));
    }
  }

  std::string relapse_source;
  absl::StatusOr<RelapseDates> relapses = ReportRelapses(db, &relapse_source);
  if (!relapses.ok()) return relapses.status();
  std::string body;
  int shown = 0;
  for (const MeasureDefinition& m : measures) {
    absl::StatusOr<Series> series = CollectSeries(db, m.code);
    if (!series.ok()) return series.status();
    if (series->empty() && options.measures.empty()) continue;
    // Stored relapses are markers on the patients' charts and the relapses
    // of the progression table, not an outcome to summarise (unless asked).
    if (m.builtin && m.code == "relapse" && options.measures.empty()) continue;
    ++shown;
    CohortSummaryBuilder builder(m, options.summary);
    for (const auto& [p, t] : *series) builder.Add(p, t);
    const CohortSummary summary = builder.Finish();
    absl::StrAppend(&body, "<section>\n<h2>", XmlEscape(m.name.empty() ? m.code : m.name), " (",
                    XmlEscape(m.code), m.unit.empty() ? "" : ", ", XmlEscape(m.unit), ")</h2>\n");
    absl::StrAppend(&body, "<p class=\"note\">", SummaryInWords(summary.options), "</p>\n");
    absl::StrAppend(&body, "<p class=\"params\">",
                    XmlEscape(DescribeSummaryOptions(summary.options)), "</p>\n");
    absl::StrAppend(
        &body, "<p class=\"note\">", summary.patients,
        " patient(s) with values. Change is from the baseline (last value on or "
        "before the index date); improved/stable/worsened use ",
        m.code == "edss"
            ? absl::StrCat("the EDSS step rule ", EdssRuleName(summary.options.change.edss_rule))
        : m.builtin && (m.code == "sdmt" || m.code == "nhpt" || m.code == "t25fw")
            ? absl::StrCat("msprog's step rule: a change of at least 20% of the baseline",
                           m.code == "sdmt" ? ", at most 4 points" : "", " (",
                           DirectionName(m.direction), ")")
            : (m.direction == Direction::kNone || !(m.change_threshold > 0)
                   ? std::string("nothing: this measure has no direction or "
                                 "threshold, so changes are not classified")
                   : XmlEscape(absl::StrCat("a change of at least ", m.change_threshold, " ",
                                            m.unit, " (", DirectionName(m.direction), ")"))),
        ".</p>\n");
    absl::StrAppend(&body, SummaryTableHtml(summary));
    if (m.code == "edss") {
      absl::StatusOr<std::string> prog = ProgressionTableHtml(db, *series, options);
      if (!prog.ok()) return prog.status();
      absl::StrAppend(&body, *prog);
      absl::StatusOr<std::string> km = SurvivalHtml(db, options);
      if (!km.ok()) return km.status();
      absl::StrAppend(&body, *km);
    } else if (m.code == "ais") {
      absl::StrAppend(&body, AisBandsHtml(*series, options.summary));
    }
    if (const std::string note = NotAnalysedNote(summary); !note.empty()) {
      absl::StrAppend(&body, "<p class=\"note\">", XmlEscape(note), "</p>\n");
    }
    absl::StrAppend(&body, "<figure>\n", RenderSvgChart(BuildCohortChart(m, *series, summary)),
                    "</figure>\n");
    if (options.per_patient) {
      absl::StrAppend(&body, "<div class=\"patients\">\n");
      for (const auto& [p, t] : *series) {
        if (!p.index_date.has_value()) continue;
        ChartSpec one;
        one.title = absl::StrCat("Patient ", p.id,
                                 p.arm.empty() ? std::string() : absl::StrCat(" (", p.arm, ")"));
        one.x_label = "Months since index date";
        one.y_label = AxisLabel(m);
        one.width = 520;
        one.height = 260;
        UseMeasureScale(m, &one);
        ChartSeries s;
        s.emphasized = true;
        s.tooltip = absl::StrCat("patient ", p.id);
        s.points = Points(p, t);
        one.series.push_back(std::move(s));
        absl::Status marked = AddPatientMarkers(m, p, t, *relapses, options, &one);
        if (!marked.ok()) return marked;
        absl::StrAppend(&body, "<figure>", RenderSvgChart(one), "</figure>\n");
      }
      absl::StrAppend(&body, "</div>\n");
    }
    absl::StrAppend(&body, "</section>\n");
  }
  if (shown == 0) body = "<p>No measure has values yet.</p>\n";

  return absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
                      "<title>", XmlEscape(options.title), "</title>\n<style>\n", kStyle,
                      "</style>\n</head>\n<body>\n<h1>", XmlEscape(options.title), "</h1>\n", body,
                      "</body>\n</html>\n");
}

}  // namespace cotrack
