#include "decimal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace cotrack {
namespace decimal {

namespace {

constexpr int kSignificant = 15;

// Powers of ten up to 1e22 are exact doubles.
constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// The analytics call these once or more per value of a cohort, and the text
// round trip (snprintf + strtod) was a tenth of a `summary`'s CPU. Most
// values are short decimals, which a multiplication settles: when the
// integer n nearest to v * 10^d is exact (below 2^53) and n / 10^d == v,
// the d-decimal text of n reads back as v, because IEEE division rounds
// n / 10^d exactly as strtod rounds that text. Everything else takes the
// text round trip, which is the definition.
constexpr double kExactIntegers = 9007199254740992.0;  // 2^53

int FastDecimals(double v, int max_decimals) {
  for (int d = 0; d <= max_decimals; ++d) {
    const double n = std::nearbyint(v * kPow10[d]);
    if (std::fabs(n) >= kExactIntegers) return -1;
    if (n / kPow10[d] == v) return d;
  }
  return -1;
}

// The text round trip: v printed with `precision` digits (after the point
// for fixed, after the first digit for scientific), read back. to_chars and
// from_chars round exactly as printf and strtod do (all four are correctly
// rounded) at a fraction of their cost: the slow path is still taken for a
// few values per patient (percent changes, means), and with printf it was
// 6 % of a `summary`. strtod reads what from_chars calls out of range.
double RoundTrip(double v, std::chars_format format, int precision) {
  char buf[400];  // 309 whole digits and 15 decimals at most
  const std::to_chars_result printed =
      std::to_chars(buf, buf + sizeof(buf) - 1, v, format, precision);
  if (printed.ec != std::errc()) {
    std::snprintf(buf, sizeof(buf), format == std::chars_format::fixed ? "%.*f" : "%.*e", precision,
                  v);
    return std::strtod(buf, nullptr);
  }
  double back = 0;
  if (std::from_chars(buf, printed.ptr, back).ec == std::errc()) return back;
  *printed.ptr = '\0';
  return std::strtod(buf, nullptr);
}

int SlowDecimals(double v) {
  for (int d = 0; d <= kSignificant; ++d) {
    if (RoundTrip(v, std::chars_format::fixed, d) == v) return d;
  }
  return -1;
}

int WholeDigits(double v) { return static_cast<int>(std::floor(std::log10(std::fabs(v)))) + 1; }

}  // namespace

int Decimals(double v) {
  if (!std::isfinite(v)) return -1;
  if (std::fabs(v) >= 1e15) return std::nearbyint(v) == v ? 0 : -1;
  const int fast = FastDecimals(v, kSignificant);
  return fast >= 0 ? fast : SlowDecimals(v);
}

double Clean(double v) {
  if (!std::isfinite(v) || v == 0) return v;
  // A decimal of at most 15 significant digits that reads back as v is
  // what the text round trip would give back: v itself.
  if (std::fabs(v) < 1e15 &&
      FastDecimals(v, std::clamp(kSignificant - WholeDigits(v), 0, kSignificant)) >= 0) {
    return v;
  }
  return RoundTrip(v, std::chars_format::scientific, kSignificant - 1);
}

double RoundTo(double v, int decimals) {
  if (!std::isfinite(v) || v == 0 || decimals < 0) return Clean(v);
  // Below 1e8 a value has at most 9 whole digits (even if log10 rounds up
  // at the bound), so up to 6 decimals never exceed 15 digits: the log10
  // is spared for the differences and sums of short decimals.
  const bool short_enough = std::fabs(v) < 1e8 && decimals <= 6;
  if (!short_enough && WholeDigits(v) + decimals > kSignificant) return Clean(v);
  // printf rounds v's exact binary value; the product v * 10^decimals is
  // itself rounded (by at most 2^-24 below 1e9), so only a product clearly
  // away from a half rounds the same way for certain.
  if (decimals <= kSignificant) {
    const double scaled = v * kPow10[decimals];
    const double fraction = scaled - std::floor(scaled);
    if (std::fabs(scaled) < 1e9 && std::fabs(fraction - 0.5) > 1e-6) {
      return std::nearbyint(scaled) / kPow10[decimals];
    }
  }
  return RoundTrip(v, std::chars_format::fixed, decimals);
}

double Difference(double a, double b) {
  const int da = Decimals(a), db = Decimals(b);
  return RoundTo(a - b, da < 0 || db < 0 ? -1 : std::max(da, db));
}

double Sum(const std::vector<double>& values) {
  double sum = 0;
  int decimals = 0;
  for (double v : values) {
    sum += v;
    if (decimals >= 0) {
      const int d = Decimals(v);
      decimals = d < 0 ? -1 : std::max(decimals, d);
    }
  }
  return RoundTo(sum, decimals);
}

}  // namespace decimal
}  // namespace cotrack
