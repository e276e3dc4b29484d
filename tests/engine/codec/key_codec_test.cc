#include "codec/key_codec.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace cotrack::keys {
namespace {

TEST(KeyCodecTest, SignedTimesSortInNumericOrderIncludingBefore1970) {
  const std::vector<int64_t> times = {std::numeric_limits<int64_t>::min(),
                                      -2208988800,  // 1900-01-01
                                      -86400,
                                      -1,
                                      0,
                                      1,
                                      86400,
                                      1700000000,  // 2023
                                      std::numeric_limits<int64_t>::max()};
  std::vector<std::string> encoded;
  for (int64_t t : times) encoded.push_back(VersionSortKey(t, 1));
  EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end()));
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(DecodeI64(encoded[i]), times[i]);
  }
}

TEST(KeyCodecTest, VersionsOfOneTimeSortAfterEachOtherAndBeforeTheNextTime) {
  EXPECT_LT(VersionSortKey(-5, 1), VersionSortKey(-5, 2));
  EXPECT_LT(VersionSortKey(-5, 0xffffffff), VersionSortKey(-4, 0));
}

TEST(KeyCodecTest, SeriesKeysGroupByMeasureThenPatient) {
  std::vector<std::string> keys = {SeriesKey(2, 1), SeriesKey(1, 300), SeriesKey(1, 2),
                                   SeriesKey(256, 0), SeriesKey(1, 0x01000000)};
  std::sort(keys.begin(), keys.end());
  std::vector<std::pair<uint32_t, uint32_t>> decoded;
  for (const auto& k : keys) {
    uint32_t m, p;
    ASSERT_TRUE(ParseSeriesKey(k, &m, &p));
    decoded.emplace_back(m, p);
  }
  EXPECT_EQ(decoded, (std::vector<std::pair<uint32_t, uint32_t>>{
                         {1, 2}, {1, 300}, {1, 0x01000000}, {2, 1}, {256, 0}}));
}

TEST(KeyCodecTest, MeasurePrefixBoundsExactlyThatMeasuresSeries) {
  const std::string lo = MeasurePrefix(7), hi = MeasurePrefix(8);
  EXPECT_LE(lo, SeriesKey(7, 0));
  EXPECT_LT(SeriesKey(7, 0xffffffff), hi);
  EXPECT_LT(SeriesKey(6, 0xffffffff), lo);
  EXPECT_GE(SeriesKey(8, 0), hi);
}

TEST(KeyCodecTest, RejectsMalformedSeriesKeys) {
  uint32_t m, p;
  EXPECT_FALSE(ParseSeriesKey("short", &m, &p));
  EXPECT_FALSE(ParseSeriesKey(SeriesKey(1, 2) + "x", &m, &p));
}

}  // namespace
}  // namespace cotrack::keys
