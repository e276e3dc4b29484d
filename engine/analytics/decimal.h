// Numbers the analytics compute from stored values, without binary noise.
// Stored values are short decimals (what was entered, or a unit conversion
// rounded to its exact decimal result by the catalog), but binary arithmetic
// on them is not exact: 6.6 - 6.5 is 0.09999999999999964, and the mean of
// 0.1 and 0.2 is 0.15000000000000002. These helpers give the decimal result
// where it is exact and otherwise round to 15 significant digits, the most a
// double always holds, so nothing printed shows digits that are noise.
#ifndef COTRACK_ANALYTICS_DECIMAL_H_
#define COTRACK_ANALYTICS_DECIMAL_H_

#include <vector>

namespace cotrack {
namespace decimal {

// Decimals of the shortest fixed-point text that reads back as `v` (6.5 ->
// 1, 48 -> 0), or -1 when none of up to 15 does.
int Decimals(double v);

// `v` rounded to 15 significant digits (NaN, infinities and 0 unchanged).
double Clean(double v);

// `v` rounded to `decimals` decimals when that keeps at most 15 significant
// digits, else Clean(v).
double RoundTo(double v, int decimals);

// a - b in decimal: the exact difference of two short decimals has at most
// the larger of their decimals.
double Difference(double a, double b);

// The sum of `values` in decimal (at most the largest of their decimals).
double Sum(const std::vector<double>& values);

}  // namespace decimal
}  // namespace cotrack

#endif  // COTRACK_ANALYTICS_DECIMAL_H_
