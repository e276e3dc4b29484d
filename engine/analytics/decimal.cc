#include "decimal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

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

int SlowDecimals(double v) {
  char buf[64];
  for (int d = 0; d <= kSignificant; ++d) {
    std::snprintf(buf, sizeof(buf), "%.*f", d, v);
    if (std::strtod(buf, nullptr) == v) return d;
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
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*e", kSignificant - 1, v);
  return std::strtod(buf, nullptr);
}

double RoundTo(double v, int decimals) {
  if (!std::isfinite(v) || v == 0 || decimals < 0) return Clean(v);
  if (WholeDigits(v) + decimals > kSignificant) return Clean(v);
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
  char buf[400];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return std::strtod(buf, nullptr);
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
