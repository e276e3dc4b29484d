// SVG charts: a generic line chart (ChartSpec -> standalone SVG) and the
// cohort chart built from a cohort summary. This is `cotrack plot` and the
// charts of the HTML report (cotrack/report.h).
//
// Charts are plain SVG text with no scripts or external resources, so they
// can be mailed, archived with a study and printed as they are.
//
// RenderSvgChart and BuildCohortChart are pure functions of plain values;
// CohortChart reads a Database in one pass (Database::ForEachSeries).
#ifndef COTRACK_CHART_H_
#define COTRACK_CHART_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/summary.h"
#include "cotrack/types.h"

namespace cotrack {

class Database;

struct ChartSeries {
  std::string label;    // legend text; empty = not listed
  std::string tooltip;  // shown on hover (e.g. the patient id); default: label
  std::vector<std::pair<double, double>> points;  // (x, y), joined in this order
  int color = 0;            // index into a colour-blind-safe palette (Okabe-Ito)
  bool emphasized = false;  // thick line with markers (medians); else thin, light
  // Drawn as a right-continuous step function without point markers (a
  // Kaplan-Meier curve): each y holds until the next x.
  bool step = false;
  // Points marked with a short vertical tick on the line (censored subjects).
  std::vector<std::pair<double, double>> ticks;
};

// A symbol at one point of the plot, drawn on top of the series; the legend
// lists each distinct label once.
struct ChartMarker {
  enum class Shape { kTriangle, kDiamond, kCircle };
  double x = 0, y = 0;
  Shape shape = Shape::kDiamond;
  int color = 0;
  std::string label;    // legend text, e.g. "relapse"
  std::string tooltip;  // hover text, e.g. "relapse 2021-06-12"
};

struct ChartSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ChartSeries> series;
  std::optional<double> y_min, y_max;  // unset: the data's range (padded)
  // Labelled y ticks, e.g. 0..10 for EDSS; empty: about five round numbers.
  std::vector<double> y_ticks;
  // A light grid line every y_minor_step (e.g. 0.5, EDSS's real step); 0 none.
  double y_minor_step = 0;
  std::vector<ChartMarker> markers;
  int width = 760;
  int height = 420;
  std::string note;  // small print under the plot, e.g. who was left out
};

// A standalone SVG document (<svg xmlns=...>) of `spec`: white background,
// axes with round-number ticks, grid, legend; black text that prints well.
// Text is XML-escaped, so patient ids and labels can never break the markup.
// An empty chart still renders (with "no data").
std::string RenderSvgChart(const ChartSpec& spec);

// The y axis of a measure on its own scale: EDSS 0-10 with every whole
// point labelled and a grid line at each 0.5 step; other measures are left
// to the data's range. Sets y_min, y_max, y_ticks and y_minor_step.
void UseMeasureScale(const MeasureDefinition& measure, ChartSpec* spec);

// The axis label of a measure: its name (or the upper-case code when the
// name is too long for an axis, e.g. "EDSS") and its unit unless that is
// just "score".
std::string MeasureAxisLabel(const MeasureDefinition& measure);

// Months since the index date on the x axis: days / 30.4375 (the mean month
// of the Gregorian calendar), so that a "6m" timepoint lands near 6.
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
// InvalidArgument when no timepoint is given; NotFound for an unknown measure
// or a listed patient with no values of it; errors reading the database are
// returned as they come.
absl::StatusOr<ChartSpec> CohortChart(Database& db, absl::string_view measure,
                                      const SummaryOptions& options,
                                      const std::vector<std::string>& patients = {});

// What `cotrack plot MEASURE` draws besides the measure.
struct PlotOptions {
  SummaryOptions summary;             // timepoints, window, grouping (by arm), rules
  std::vector<std::string> patients;  // whose lines to draw; empty = all
  std::optional<std::string> title;   // instead of the default title
};

// The options of `cotrack plot` but --out (NamedOptions, named_options.h):
// the summary options (by defaults to "arm"), patient (ID[,ID...]) and
// title. Shared by the command line and cotrack_plot (cotrack/c.h).
absl::StatusOr<PlotOptions> ParsePlotOptions(const NamedOptions& options);

// The SVG document `cotrack plot` writes: CohortChart with `options`, then
// RenderSvgChart. Errors as CohortChart's.
absl::StatusOr<std::string> PlotSvg(Database& db, absl::string_view measure,
                                    const PlotOptions& options);

}  // namespace cotrack

#endif  // COTRACK_CHART_H_
