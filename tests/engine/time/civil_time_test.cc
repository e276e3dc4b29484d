#include "cotrack/civil_time.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::HasSubstr;

TEST(CivilTimeTest, DatesRoundTripIncludingBefore1970) {
  for (const char* s : {"1970-01-01", "1969-12-31", "1900-02-28", "2000-02-29", "2024-12-31",
                        "0001-01-01", "9999-12-31"}) {
    ASSERT_OK_AND_ASSIGN(CivilTime t, ParseCivilTime(s));
    EXPECT_EQ(t.precision, TimePrecision::kDate);
    EXPECT_EQ(FormatCivilTime(t), s);
  }
  ASSERT_OK_AND_ASSIGN(CivilTime before, ParseCivilTime("1969-12-31"));
  EXPECT_EQ(before.seconds, -86400);
  EXPECT_EQ(before.day(), -1);
}

TEST(CivilTimeTest, AnOffsetNeverShiftsTheClinicalDate) {
  // Synthea writes New Zealand visits as 2019-03-02T09:15:00+13:00: still 2 March.
  ASSERT_OK_AND_ASSIGN(CivilTime nz, ParseCivilTime("2019-03-02T09:15:00+13:00"));
  EXPECT_EQ(FormatCivilTime(nz), "2019-03-02T09:15:00");
  ASSERT_OK_AND_ASSIGN(CivilTime late, ParseCivilTime("2021-05-04T23:35:29-04:00"));
  EXPECT_EQ(FormatCivilTime(CivilTime::FromDay(late.day())), "2021-05-04");
  ASSERT_OK_AND_ASSIGN(CivilTime z, ParseCivilTime("2021-05-04T17:35:29.123Z"));
  EXPECT_EQ(FormatCivilTime(z), "2021-05-04T17:35:29");
  ASSERT_OK_AND_ASSIGN(CivilTime minutes, ParseCivilTime("2021-05-04 08:30"));
  EXPECT_EQ(FormatCivilTime(minutes), "2021-05-04T08:30:00");
}

TEST(CivilTimeTest, RejectsImpossibleDatesWithTheReason) {
  EXPECT_THAT(ParseCivilTime("2024-02-30"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2024-02 has 29 days")));
  EXPECT_THAT(ParseCivilTime("2023-02-29"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("28 days")));
  EXPECT_THAT(ParseCivilTime("2024-13-01"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("month")));
  EXPECT_THAT(ParseCivilTime("20240-01-01"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("20240-01-01")));
  EXPECT_THAT(ParseCivilTime("2024-01-01T25:00"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hour")));
  EXPECT_THAT(ParseCivilTime("2024-01-01T10:00+25:00"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("time zone")));
  for (const char* bad : {"", "2024", "01/02/2024", "2024-1-1", "0000-01-01", "2024-01-01x"}) {
    EXPECT_THAT(ParseCivilTime(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected a date")))
        << bad;
  }
}

}  // namespace
}  // namespace cotrack
