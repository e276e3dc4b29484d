#include "analytics/decimal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace cotrack {
namespace {

// The definitions the fast paths must agree with: the printf/strtod text
// round trips decimal.cc used before it multiplied (its fallback now prints
// and reads with to_chars/from_chars, which must round the same way).
int ReferenceDecimals(double v) {
  if (!std::isfinite(v)) return -1;
  if (std::fabs(v) >= 1e15) return std::nearbyint(v) == v ? 0 : -1;
  char buf[64];
  for (int d = 0; d <= 15; ++d) {
    std::snprintf(buf, sizeof(buf), "%.*f", d, v);
    if (std::strtod(buf, nullptr) == v) return d;
  }
  return -1;
}

double ReferenceClean(double v) {
  if (!std::isfinite(v) || v == 0) return v;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*e", 14, v);
  return std::strtod(buf, nullptr);
}

double ReferenceRoundTo(double v, int decimals) {
  if (!std::isfinite(v) || v == 0 || decimals < 0) return ReferenceClean(v);
  const int whole = static_cast<int>(std::floor(std::log10(std::fabs(v)))) + 1;
  if (whole + decimals > 15) return ReferenceClean(v);
  char buf[400];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return std::strtod(buf, nullptr);
}

// Values as the analytics meet them: short decimals as entered (scores,
// lab values, unit conversions), their differences, sums and means, and
// arbitrary doubles.
std::vector<double> Values() {
  std::vector<double> out = {0.0,
                             -0.0,
                             0.1,
                             0.2,
                             0.3,
                             6.5,
                             6.6,
                             6.6 - 6.5,
                             (0.1 + 0.2) / 2,
                             1.0 / 3,
                             2.675,
                             1.005,
                             1e15,
                             1e15 + 1,
                             123456789012345.6,
                             5e-324,
                             1e-7,
                             0.5,
                             2.5,
                             -2.5,
                             1e300,
                             std::nan(""),
                             INFINITY,
                             -INFINITY,
                             9007199254740993.0,
                             0.000123,
                             1e-310,
                             -1e-320,
                             1.7976931348623157e308,
                             -4.9406564584124654e-324};
  std::mt19937_64 rng(20261203);
  std::uniform_int_distribution<int64_t> mantissa(-2000000, 2000000);
  std::uniform_int_distribution<int> decimals(0, 7);
  const double pow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
  for (int i = 0; i < 5000; ++i) {
    const double a = static_cast<double>(mantissa(rng)) / pow10[decimals(rng)];
    const double b = static_cast<double>(mantissa(rng)) / pow10[decimals(rng)];
    out.push_back(a);
    out.push_back(a - b);
    out.push_back((a + b) / 2);
    out.push_back(a * 0.0915 + 2.15);                     // HbA1c mmol/mol -> %
    out.push_back(100.0 * (a - b) / (std::fabs(a) + 1));  // percent changes
  }
  std::uniform_real_distribution<double> any(-1e6, 1e6);
  for (int i = 0; i < 5000; ++i) out.push_back(any(rng));
  return out;
}

TEST(DecimalTest, FastPathsAgreeWithTheTextRoundTrip) {
  const std::vector<double> values = Values();
  int short_decimals = 0;
  for (double v : values) {
    const int d = decimal::Decimals(v);
    ASSERT_EQ(d, ReferenceDecimals(v)) << std::hexfloat << v;
    if (d >= 0 && d <= 7) ++short_decimals;
    const double clean = decimal::Clean(v);
    const double reference_clean = ReferenceClean(v);
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(clean));
      continue;
    }
    ASSERT_EQ(clean, reference_clean) << std::hexfloat << v;
    for (int places = -1; places <= 17; ++places) {
      ASSERT_EQ(decimal::RoundTo(v, places), ReferenceRoundTo(v, places))
          << std::hexfloat << v << " to " << places;
    }
  }
  // The fast paths were exercised, not only the fallback.
  EXPECT_GT(short_decimals, 10000);
}

// Sum remembers the decimals of values it has seen (by their bits): the
// same result as the definition, for vectors with many repeats, more
// distinct values than it remembers, and values without short decimals.
TEST(DecimalTest, SumEqualsTheDefinition) {
  const std::vector<double> all = Values();
  std::mt19937_64 rng(2026);
  std::uniform_int_distribution<int> size(1, 80);
  std::uniform_int_distribution<int> kind(0, 2);
  std::uniform_int_distribution<size_t> pick(0, all.size() - 1);
  std::uniform_int_distribution<int> edss(0, 20);
  for (int round = 0; round < 20000; ++round) {
    std::vector<double> values(size(rng));
    const int k = kind(rng);
    for (double& v : values) {
      v = k == 0 ? edss(rng) * 0.5 : k == 1 ? edss(rng) * 0.25 - 1.05 : all[pick(rng)];
      if (!std::isfinite(v)) v = 1.5;
    }
    double sum = 0;
    int decimals = 0;
    for (double v : values) {
      sum += v;
      const int d = ReferenceDecimals(v);
      if (decimals >= 0) decimals = d < 0 ? -1 : std::max(decimals, d);
    }
    const double expected = decimal::RoundTo(sum, decimals);
    const double got = decimal::Sum(values);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got));
      continue;
    }
    ASSERT_EQ(got, expected) << "round " << round;
  }
}

TEST(DecimalTest, DifferencesAndSumsOfShortDecimalsHaveNoBinaryNoise) {
  EXPECT_EQ(decimal::Difference(6.6, 6.5), 0.1);
  EXPECT_EQ(decimal::Difference(1.0, 1.5), -0.5);
  EXPECT_EQ(decimal::Sum({0.1, 0.2}), 0.3);
  EXPECT_EQ(decimal::Sum({6.8, 6.9, 6.7}), 20.4);
  EXPECT_EQ(decimal::Clean(0.15000000000000002), 0.15);
  EXPECT_EQ(decimal::RoundTo(2.675, 2), 2.67);  // 2.675 is 2.67499999... in binary
  EXPECT_EQ(decimal::Decimals(6.5), 1);
  EXPECT_EQ(decimal::Decimals(48), 0);
  EXPECT_EQ(decimal::Decimals(1.0 / 3), -1);
}

}  // namespace
}  // namespace cotrack
