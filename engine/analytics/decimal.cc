#include "decimal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cotrack {
namespace decimal {

constexpr int kSignificant = 15;

int Decimals(double v) {
  if (!std::isfinite(v)) return -1;
  if (std::fabs(v) >= 1e15) return std::nearbyint(v) == v ? 0 : -1;
  char buf[64];
  for (int d = 0; d <= kSignificant; ++d) {
    std::snprintf(buf, sizeof(buf), "%.*f", d, v);
    if (std::strtod(buf, nullptr) == v) return d;
  }
  return -1;
}

double Clean(double v) {
  if (!std::isfinite(v) || v == 0) return v;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*e", kSignificant - 1, v);
  return std::strtod(buf, nullptr);
}

double RoundTo(double v, int decimals) {
  if (!std::isfinite(v) || v == 0 || decimals < 0) return Clean(v);
  const int whole = static_cast<int>(std::floor(std::log10(std::fabs(v)))) + 1;
  if (whole + decimals > kSignificant) return Clean(v);
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
