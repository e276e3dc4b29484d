#include "codec/value_codec.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack::codec {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::HasSubstr;

Observation Sample() {
  Observation o;
  o.time = CivilTime{-86400 * 365, TimePrecision::kDate};  // 1969: before the epoch
  o.version = 3;
  o.status = ObservationStatus::kAmended;
  o.value = 0.5;
  o.comparator = Comparator::kLess;
  o.original_value = "<0.5";
  o.original_unit = "ng/L";
  o.items = {1, std::nan(""), 3};
  o.visit = "M6";
  o.recorded_at_us = 1700000000123456;
  o.provenance = {"visits.csv", 42, "alice", "typo"};
  return o;
}

TEST(ValueCodecTest, ObservationRoundTripsEveryField) {
  std::string log;
  AppendRecord(&log, EncodeObservation(Sample()));
  std::vector<absl::string_view> records;
  ASSERT_OK(SplitRecords(log, "test", &records));
  ASSERT_EQ(records.size(), 1u);
  Observation got;
  ASSERT_OK(DecodeObservation(records[0], &got));
  const Observation want = Sample();
  EXPECT_TRUE(SameContent(got, want));
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.version, 3u);
  EXPECT_EQ(got.recorded_at_us, want.recorded_at_us);
  EXPECT_EQ(got.provenance.source, "visits.csv");
  EXPECT_EQ(got.provenance.line, 42);
  EXPECT_EQ(got.provenance.user, "alice");
  EXPECT_EQ(got.provenance.reason, "typo");
  ASSERT_EQ(got.items.size(), 3u);
  EXPECT_TRUE(std::isnan(got.items[1]));
}

TEST(ValueCodecTest, SameContentIgnoresVersionTimeOfRecordingAndProvenance) {
  Observation a = Sample(), b = Sample();
  b.version = 9;
  b.recorded_at_us = 1;
  b.provenance.source = "other.csv";
  EXPECT_TRUE(SameContent(a, b));
  b.value = 0.6;
  EXPECT_FALSE(SameContent(a, b));
}

TEST(ValueCodecTest, AFlippedBitInsideAValueIsDataLossNotData) {
  std::string log;
  AppendRecord(&log, EncodeObservation(Sample()));
  AppendRecord(&log, EncodeObservation(Sample()));
  std::vector<absl::string_view> records;
  for (size_t i = 0; i < log.size(); ++i) {
    std::string damaged = log;
    damaged[i] ^= 0x10;
    absl::Status s = SplitRecords(damaged, "series edss of patient \"P1\"", &records);
    if (s.ok()) {
      // A flip the CRC could not see must at least not decode silently.
      FAIL() << "flip at byte " << i << " went unnoticed";
    }
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("P1")));
  }
}

TEST(ValueCodecTest, TruncatedLogIsDataLoss) {
  std::string log;
  AppendRecord(&log, EncodeObservation(Sample()));
  std::vector<absl::string_view> records;
  for (size_t n = 1; n < log.size(); ++n) {
    EXPECT_THAT(SplitRecords(log.substr(0, n), "x", &records),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));
  }
}

TEST(ValueCodecTest, GarbageWithAValidFrameFailsVerification) {
  std::string log;
  AppendRecord(&log, std::string(24, '\x7f'));
  std::vector<absl::string_view> records;
  ASSERT_OK(SplitRecords(log, "x", &records));
  Observation o;
  EXPECT_THAT(DecodeObservation(records[0], &o), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("verification")));
}

TEST(ValueCodecTest, PatientRoundTrips) {
  Patient p;
  p.id = "P-001";
  p.arm = "treated";
  p.index_date = CivilTime{-86400, TimePrecision::kDate};
  p.treatment_dates = {CivilTime{0, TimePrecision::kDate}};
  p.attributes = {{"sex", "F"}, {"cell_source", "bone marrow"}};
  p.version = 2;
  std::string log;
  AppendRecord(&log, EncodePatient(p));
  std::vector<absl::string_view> records;
  ASSERT_OK(SplitRecords(log, "x", &records));
  Patient got;
  ASSERT_OK(DecodePatient(records[0], &got));
  EXPECT_EQ(got.id, "P-001");
  EXPECT_EQ(got.arm, "treated");
  EXPECT_EQ(got.index_date, p.index_date);
  EXPECT_EQ(got.treatment_dates, p.treatment_dates);
  EXPECT_EQ(got.attributes, p.attributes);
  EXPECT_EQ(got.version, 2u);
}

TEST(ValueCodecTest, MeasureRoundTrips) {
  MeasureDefinition m;
  m.code = "sdmt";
  m.name = "Symbol Digit Modalities Test";
  m.unit = "score";
  m.min = 0;
  m.max = 110;
  m.step = 1;
  m.integer = true;
  m.direction = Direction::kHigherIsBetter;
  m.change_threshold = 4;
  m.units = {{"points", 1, 0}};
  std::string log;
  AppendRecord(&log, EncodeMeasure(300, m));
  std::vector<absl::string_view> records;
  ASSERT_OK(SplitRecords(log, "x", &records));
  CatalogEntry e;
  ASSERT_OK(DecodeMeasure(records[0], &e));
  EXPECT_EQ(e.id, 300u);
  EXPECT_EQ(e.def.code, "sdmt");
  EXPECT_EQ(e.def.max, 110);
  EXPECT_EQ(e.def.direction, Direction::kHigherIsBetter);
  ASSERT_EQ(e.def.units.size(), 1u);
  EXPECT_EQ(e.def.units[0].unit, "points");
}

}  // namespace
}  // namespace cotrack::codec
