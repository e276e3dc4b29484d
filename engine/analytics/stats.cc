#include <algorithm>
#include <cmath>

#include "cotrack/summary.h"
#include "decimal.h"

namespace cotrack {

namespace {

// Quantile type 7 of values already in ascending order.
double SortedQuantile(const std::vector<double>& values, double p) {
  const double h = (static_cast<double>(values.size()) - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= values.size()) return values.back();
  if (values[lo] == values[lo + 1]) return values[lo];
  return decimal::Clean(values[lo] + (h - static_cast<double>(lo)) *
                                         decimal::Difference(values[lo + 1], values[lo]));
}

}  // namespace

double Quantile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return SortedQuantile(values, p);
}

Descriptive Describe(const std::vector<double>& values) {
  Descriptive d;
  d.n = static_cast<int64_t>(values.size());
  if (values.empty()) return d;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  if (*lo == *hi) {
    // Equal values: the mean is the value and the spread is 0, exactly. The
    // sums below would say otherwise: three times 6.81748 sums to a double
    // whose third is an ulp off, and the sd came out as 2.7e-16.
    d.mean = *lo;
    if (values.size() >= 2) d.sd = 0.0;
  } else {
    // The sum in decimal (stored values are short decimals), then one
    // division: the mean of 0.1 and 0.2 is 0.15, not 0.15000000000000002.
    const double mean = decimal::Sum(values) / n;
    d.mean = decimal::Clean(mean);
    if (values.size() >= 2) {
      // Two-pass with the correction term (Chan, Golub & LeVeque 1983): the
      // deviations from a rounded mean do not sum to 0, and subtracting
      // their squared sum / n removes that error instead of adding it.
      double ss = 0, dev = 0;
      for (double v : values) {
        ss += (v - mean) * (v - mean);
        dev += v - mean;
      }
      d.sd = decimal::Clean(std::sqrt(std::max(0.0, (ss - dev * dev / n) / (n - 1))));
    }
  }
  // One sorted copy for the three quantiles (a cohort cell holds one value
  // per patient: sorting it three times was a tenth of a summary's time).
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  d.median = SortedQuantile(sorted, 0.5);
  d.q1 = SortedQuantile(sorted, 0.25);
  d.q3 = SortedQuantile(sorted, 0.75);
  d.min = *lo;
  d.max = *hi;
  return d;
}

}  // namespace cotrack
