#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "cotrack/summary.h"
#include "decimal.h"

namespace cotrack {

namespace {

// The positions quantile type 7 of `p` reads: floor(h) and the next one.
size_t LowPosition(size_t n, double p) {
  const double h = (static_cast<double>(n) - 1) * p;
  return static_cast<size_t>(std::floor(h));
}

// Puts into `values` (not empty) the values that would be at the positions
// SortedQuantile reads for each of `ps` (ascending) if `values` were
// sorted, as sorting would (one selection per quantile and a minimum for
// the position after it, instead of a full sort).
void PlaceQuantilePositions(std::vector<double>* values, std::initializer_list<double> ps) {
  const auto begin = values->begin();
  const size_t n = values->size();
  size_t placed = 0;  // positions before this one hold their sorted values
  for (double p : ps) {
    const size_t lo = LowPosition(n, p);
    if (lo >= placed) {
      std::nth_element(begin + placed, begin + lo, values->end());
      placed = lo + 1;
    }
    if (lo + 1 < n && lo + 1 >= placed) {
      // Everything after lo is at least values[lo]: its least is next.
      std::iter_swap(begin + lo + 1, std::min_element(begin + lo + 1, values->end()));
      placed = lo + 2;
    }
  }
}

// Quantile type 7 of values in ascending order, or at least with the
// positions it reads in place (PlaceQuantilePositions).
double SortedQuantile(const std::vector<double>& values, double p) {
  const double h = (static_cast<double>(values.size()) - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= values.size()) return values[lo];
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
  // The three quantiles read two order statistics each: put just those six
  // positions in place, in one copy, rather than sorting it (a cohort cell
  // holds one value per patient; sorting it was most of Finish's time).
  std::vector<double> ordered = values;
  PlaceQuantilePositions(&ordered, {0.25, 0.5, 0.75});
  d.median = SortedQuantile(ordered, 0.5);
  d.q1 = SortedQuantile(ordered, 0.25);
  d.q3 = SortedQuantile(ordered, 0.75);
  d.min = *lo;
  d.max = *hi;
  return d;
}

}  // namespace cotrack
