#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cotrack/chart.h"
#include "svg_util.h"

namespace cotrack {
namespace {

// Okabe-Ito: distinguishable with the common colour-vision deficiencies and
// in greyscale print.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};

const char* Color(int i) {
  const int n = static_cast<int>(sizeof(kPalette) / sizeof(kPalette[0]));
  return kPalette[((i % n) + n) % n];
}

// Round-number ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of
// ten, about five of them.
std::vector<double> Ticks(double lo, double hi) {
  std::vector<double> out;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  }
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    out.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
  }
  return out;
}

std::string Num(double v) { return absl::StrFormat("%.1f", v); }

std::string MarkerSvg(const ChartMarker& m, double x, double y) {
  std::string shape;
  switch (m.shape) {
    case ChartMarker::Shape::kTriangle:
      shape = absl::StrCat("<path d=\"M", Num(x), " ", Num(y - 6), " L", Num(x + 6), " ",
                           Num(y + 5), " L", Num(x - 6), " ", Num(y + 5), " Z\"");
      break;
    case ChartMarker::Shape::kDiamond:
      shape = absl::StrCat("<path d=\"M", Num(x), " ", Num(y - 7), " L", Num(x + 6), " ", Num(y),
                           " L", Num(x), " ", Num(y + 7), " L", Num(x - 6), " ", Num(y), " Z\"");
      break;
    case ChartMarker::Shape::kCircle:
      shape = absl::StrCat("<circle cx=\"", Num(x), "\" cy=\"", Num(y), "\" r=\"5\"");
      break;
  }
  return absl::StrCat(shape, " fill=\"", Color(m.color), "\" stroke=\"#ffffff\"/>");
}

}  // namespace

void UseMeasureScale(const MeasureDefinition& measure, ChartSpec* spec) {
  if (measure.code != "edss") return;
  spec->y_min = 0;
  spec->y_max = 10;
  spec->y_ticks.clear();
  for (int i = 0; i <= 10; ++i) spec->y_ticks.push_back(i);
  spec->y_minor_step = 0.5;
}

std::string MeasureAxisLabel(const MeasureDefinition& measure) {
  std::string name = measure.name.size() > 24 || measure.name.empty()
                         ? absl::AsciiStrToUpper(measure.code)
                         : measure.name;
  if (!measure.unit.empty() && measure.unit != "score") {
    absl::StrAppend(&name, " (", measure.unit, ")");
  }
  return name;
}

std::string RenderSvgChart(const ChartSpec& spec) {
  const double w = spec.width, h = spec.height;
  const double left = 64, right = 170, top = 40, bottom = spec.note.empty() ? 52 : 70;
  const double pw = std::max(10.0, w - left - right), ph = std::max(10.0, h - top - bottom);

  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  double ymin = xmin, ymax = -xmin;
  for (const ChartSeries& s : spec.series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
      ymin = std::min(ymin, y);
      ymax = std::max(ymax, y);
    }
  }
  const bool empty = !std::isfinite(xmin);
  for (const ChartMarker& m : spec.markers) {  // a relapse before the first visit
    if (empty || !std::isfinite(m.x)) continue;
    xmin = std::min(xmin, m.x);
    xmax = std::max(xmax, m.x);
  }
  if (empty) {
    xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  }
  if (spec.y_min) ymin = *spec.y_min;
  if (spec.y_max) ymax = *spec.y_max;
  if (xmax - xmin < 1e-9) xmin -= 1, xmax += 1;
  // Step curves end at the last follow-up, often with a censoring tick that
  // the frame would hide: leave a little room on the right.
  for (const ChartSeries& s : spec.series) {
    if (s.step && !empty) {
      xmax += (xmax - xmin) * 0.03;
      break;
    }
  }
  if (ymax - ymin < 1e-9) ymin -= 1, ymax += 1;
  if (!spec.y_min || !spec.y_max) {
    const double pad = (ymax - ymin) * 0.05;
    if (!spec.y_min) ymin -= pad;
    if (!spec.y_max) ymax += pad;
  }
  auto sx = [&](double x) { return left + (x - xmin) / (xmax - xmin) * pw; };
  auto sy = [&](double y) { return top + ph - (y - ymin) / (ymax - ymin) * ph; };

  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
      "%d\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" role=\"img\">\n",
      spec.width, spec.height, spec.width, spec.height);
  absl::StrAppend(&svg, "<title>", XmlEscape(spec.title), "</title>\n");
  absl::StrAppend(&svg, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
  absl::StrAppend(&svg, "<text x=\"", Num(left),
                  "\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", XmlEscape(spec.title),
                  "</text>\n");

  // Grid and ticks.
  if (spec.y_minor_step > 0) {
    for (double t = std::ceil(ymin / spec.y_minor_step) * spec.y_minor_step; t <= ymax + 1e-9;
         t += spec.y_minor_step) {
      absl::StrAppend(&svg, "<line class=\"minor\" x1=\"", Num(left), "\" x2=\"", Num(left + pw),
                      "\" y1=\"", Num(sy(t)), "\" y2=\"", Num(sy(t)), "\" stroke=\"#f0f0f0\"/>\n");
    }
  }
  for (double t : spec.y_ticks.empty() ? Ticks(ymin, ymax) : spec.y_ticks) {
    if (t < ymin || t > ymax) continue;
    absl::StrAppend(&svg, "<line x1=\"", Num(left), "\" x2=\"", Num(left + pw), "\" y1=\"",
                    Num(sy(t)), "\" y2=\"", Num(sy(t)), "\" stroke=\"#dddddd\"/>\n");
    absl::StrAppend(&svg, "<text x=\"", Num(left - 6), "\" y=\"", Num(sy(t) + 4),
                    "\" text-anchor=\"end\">", absl::StrFormat("%g", t), "</text>\n");
  }
  for (double t : Ticks(xmin, xmax)) {
    if (t < xmin || t > xmax) continue;
    absl::StrAppend(&svg, "<line x1=\"", Num(sx(t)), "\" x2=\"", Num(sx(t)), "\" y1=\"", Num(top),
                    "\" y2=\"", Num(top + ph), "\" stroke=\"#eeeeee\"/>\n");
    absl::StrAppend(&svg, "<text x=\"", Num(sx(t)), "\" y=\"", Num(top + ph + 16),
                    "\" text-anchor=\"middle\">", absl::StrFormat("%g", t), "</text>\n");
  }
  absl::StrAppend(&svg, "<rect x=\"", Num(left), "\" y=\"", Num(top), "\" width=\"", Num(pw),
                  "\" height=\"", Num(ph), "\" fill=\"none\" stroke=\"#333333\"/>\n");
  absl::StrAppend(&svg, "<text x=\"", Num(left + pw / 2), "\" y=\"", Num(top + ph + 36),
                  "\" text-anchor=\"middle\">", XmlEscape(spec.x_label), "</text>\n");
  absl::StrAppend(&svg, "<text transform=\"translate(16,", Num(top + ph / 2),
                  ") rotate(-90)\" text-anchor=\"middle\">", XmlEscape(spec.y_label), "</text>\n");
  if (empty) {
    absl::StrAppend(&svg, "<text x=\"", Num(left + pw / 2), "\" y=\"", Num(top + ph / 2),
                    "\" text-anchor=\"middle\" fill=\"#666666\">no data</text>\n");
  }

  // Thin series first so the emphasized ones are drawn on top.
  for (int pass = 0; pass < 2; ++pass) {
    for (const ChartSeries& s : spec.series) {
      if (s.emphasized != (pass == 1) || s.points.empty()) continue;
      std::string pts;
      bool have_prev = false;
      double prev_y = 0;
      for (const auto& [x, y] : s.points) {
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        // A step curve keeps the previous y up to this x, then drops.
        if (s.step && have_prev) absl::StrAppend(&pts, " ", Num(sx(x)), ",", Num(sy(prev_y)));
        absl::StrAppend(&pts, pts.empty() ? "" : " ", Num(sx(x)), ",", Num(sy(y)));
        have_prev = true;
        prev_y = y;
      }
      absl::StrAppend(&svg, "<g><title>", XmlEscape(s.tooltip.empty() ? s.label : s.tooltip),
                      "</title>");
      absl::StrAppend(&svg, "<polyline fill=\"none\" stroke=\"", Color(s.color),
                      "\" stroke-width=\"", s.emphasized ? "3" : "1.2", "\" stroke-opacity=\"",
                      s.emphasized ? "1" : "0.45", "\" points=\"", pts, "\"/>");
      for (const auto& [x, y] : s.ticks) {
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        absl::StrAppend(&svg, "<line class=\"censor\" x1=\"", Num(sx(x)), "\" x2=\"", Num(sx(x)),
                        "\" y1=\"", Num(sy(y) - 5), "\" y2=\"", Num(sy(y) + 5), "\" stroke=\"",
                        Color(s.color), "\" stroke-width=\"1.5\"/>");
      }
      for (const auto& [x, y] : s.step ? std::vector<std::pair<double, double>>{} : s.points) {
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        absl::StrAppend(&svg, "<circle cx=\"", Num(sx(x)), "\" cy=\"", Num(sy(y)), "\" r=\"",
                        s.emphasized ? "4.5" : "2", "\" fill=\"", Color(s.color),
                        s.emphasized ? "\" stroke=\"#ffffff\"" : "\" fill-opacity=\"0.6\"", "/>");
      }
      absl::StrAppend(&svg, "</g>\n");
    }
  }

  for (const ChartMarker& m : spec.markers) {
    if (!std::isfinite(m.x) || !std::isfinite(m.y)) continue;
    const double x = sx(std::clamp(m.x, xmin, xmax)), y = sy(std::clamp(m.y, ymin, ymax));
    absl::StrAppend(&svg, "<g class=\"marker\"><title>",
                    XmlEscape(m.tooltip.empty() ? m.label : m.tooltip), "</title>",
                    MarkerSvg(m, x, y), "</g>\n");
  }

  // Legend: each labelled series once.
  double ly = top + 8;
  for (const ChartSeries& s : spec.series) {
    if (s.label.empty()) continue;
    absl::StrAppend(&svg, "<line x1=\"", Num(left + pw + 14), "\" x2=\"", Num(left + pw + 38),
                    "\" y1=\"", Num(ly), "\" y2=\"", Num(ly), "\" stroke=\"", Color(s.color),
                    "\" stroke-width=\"", s.emphasized ? "3" : "1.2", "\"/>");
    absl::StrAppend(&svg, "<text x=\"", Num(left + pw + 44), "\" y=\"", Num(ly + 4), "\">",
                    XmlEscape(s.label), "</text>\n");
    ly += 18;
  }
  std::set<std::string> listed;
  for (const ChartMarker& m : spec.markers) {
    if (m.label.empty() || !listed.insert(m.label).second) continue;
    absl::StrAppend(&svg, MarkerSvg(m, left + pw + 26, ly));
    absl::StrAppend(&svg, "<text x=\"", Num(left + pw + 44), "\" y=\"", Num(ly + 4), "\">",
                    XmlEscape(m.label), "</text>\n");
    ly += 18;
  }
  if (!spec.note.empty()) {
    absl::StrAppend(&svg, "<text x=\"", Num(left), "\" y=\"", Num(h - 10),
                    "\" font-size=\"10\" fill=\"#444444\">", XmlEscape(spec.note), "</text>\n");
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace cotrack
