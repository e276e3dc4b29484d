// The stored form of a patient's series ends (db/series_ends.h): what a
// write trusts to skip reading a series, so a record must read back exactly
// as written, completeness included, and a damaged one must not pass.
#include "db/series_ends.h"

#include <string>

#include "codec/key_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

std::string PairBytes(uint32_t measure, int64_t end) {
  std::string out;
  keys::AppendU32(&out, measure);
  keys::AppendI64(&out, end);
  return out;
}

TEST(SeriesEndsTest, ACompleteRecordReadsBackCompleteWithItsEnds) {
  SeriesEnds ends;
  ends.Set(5, 300);
  ends.Set(1, -100);  // before 1970
  ends.MarkComplete();
  SeriesEnds back;
  ASSERT_OK(SeriesEnds::Decode(ends.Encode(), 7, &back));
  EXPECT_TRUE(back.complete());
  EXPECT_THAT(back.ends(), ElementsAre(Pair(1u, -100), Pair(5u, 300)));
  EXPECT_EQ(back.Find(5), 300);
  EXPECT_EQ(back.Find(2), std::nullopt);
  // The marker is the record's first pair, and a write keeps it.
  EXPECT_EQ(ends.Encode().substr(0, 12), PairBytes(0, 1));
  back.Set(2, 10);
  ASSERT_OK(SeriesEnds::Decode(back.Encode(), 7, &ends));
  EXPECT_TRUE(ends.complete());
  EXPECT_THAT(ends.ends(), ElementsAre(Pair(1u, -100), Pair(2u, 10), Pair(5u, 300)));
}

TEST(SeriesEndsTest, ARecordWithoutTheMarkerIsIncomplete) {
  // As every record written before completeness existed, and a decoder
  // reusing its output must not carry completeness over from the last one.
  SeriesEnds ends;
  ASSERT_OK(SeriesEnds::Decode(PairBytes(0, 1), 3, &ends));
  ASSERT_TRUE(ends.complete());
  ASSERT_OK(SeriesEnds::Decode(PairBytes(1, 50) + PairBytes(4, 60), 3, &ends));
  EXPECT_FALSE(ends.complete());
  EXPECT_THAT(ends.ends(), ElementsAre(Pair(1u, 50), Pair(4u, 60)));
  ASSERT_OK(SeriesEnds::Decode("", 3, &ends));
  EXPECT_FALSE(ends.complete());
  EXPECT_EQ(SeriesEnds().Encode(), "");
}

TEST(SeriesEndsTest, AMisplacedOrAlteredMarkerIsDataLoss) {
  SeriesEnds ends;
  EXPECT_THAT(SeriesEnds::Decode(PairBytes(1, 50) + PairBytes(0, 1), 9, &ends),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("patient #9")));
  EXPECT_THAT(SeriesEnds::Decode(PairBytes(0, 1) + PairBytes(0, 1), 9, &ends),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("out of order")));
  EXPECT_THAT(SeriesEnds::Decode(PairBytes(0, 2) + PairBytes(1, 50), 9, &ends),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("marker")));
  EXPECT_THAT(SeriesEnds::Decode(PairBytes(0, 1).substr(0, 11), 9, &ends),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("multiple of 12")));
}

}  // namespace
}  // namespace cotrack
