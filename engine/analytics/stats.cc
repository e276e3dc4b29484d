#include <algorithm>
#include <cmath>

#include "cotrack/summary.h"

namespace cotrack {

double Quantile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const double h = (static_cast<double>(values.size()) - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= values.size()) return values.back();
  return values[lo] + (h - static_cast<double>(lo)) * (values[lo + 1] - values[lo]);
}

Descriptive Describe(const std::vector<double>& values) {
  Descriptive d;
  d.n = static_cast<int64_t>(values.size());
  if (values.empty()) return d;
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / static_cast<double>(values.size());
  d.mean = mean;
  if (values.size() >= 2) {
    // Two-pass for accuracy; the cohorts are small.
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    d.sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  }
  d.median = Quantile(values, 0.5);
  d.q1 = Quantile(values, 0.25);
  d.q3 = Quantile(values, 0.75);
  d.min = *std::min_element(values.begin(), values.end());
  d.max = *std::max_element(values.begin(), values.end());
  return d;
}

}  // namespace cotrack
