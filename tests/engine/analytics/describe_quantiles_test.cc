// Describe places only the order statistics its quartiles read instead of
// sorting; its quartiles are exactly those of a full sort (Quantile).
#include <random>
#include <vector>

#include "cotrack/summary.h"
#include "gtest/gtest.h"

namespace cotrack {
namespace {

TEST(DescribeQuantilesTest, QuartilesEqualThoseOfAFullSort) {
  std::mt19937_64 rng(4122026);
  std::uniform_int_distribution<int> size(1, 60);
  std::uniform_int_distribution<int> steps(0, 20);  // EDSS-like: many equal values
  std::uniform_real_distribution<double> any(-50, 50);
  for (int round = 0; round < 5000; ++round) {
    std::vector<double> values(size(rng));
    const bool few_distinct = round % 2 == 0;
    for (double& v : values) v = few_distinct ? steps(rng) * 0.5 : any(rng);
    const Descriptive d = Describe(values);
    ASSERT_TRUE(d.median.has_value() && d.q1.has_value() && d.q3.has_value());
    EXPECT_EQ(*d.q1, Quantile(values, 0.25)) << "round " << round;
    EXPECT_EQ(*d.median, Quantile(values, 0.5)) << "round " << round;
    EXPECT_EQ(*d.q3, Quantile(values, 0.75)) << "round " << round;
  }
}

}  // namespace
}  // namespace cotrack
