// Per-write attribution (Provenance::user and ::reason) through one handle
// shared by several people, and the checks on what a write may name.
#include <string>

#include "cotrack/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/attribution_scenario.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::As;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;

class AttributionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.user = testing::kSharedHandleUser;
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(dir_.path(), options));
  }

  ObservationInput Edss(Provenance by) {
    ObservationInput in;
    in.patient = "P1";
    in.measure = "edss";
    in.time = *ParseCivilTime("2024-01-05");
    in.value = 3.0;
    in.provenance = std::move(by);
    return in;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(AttributionTest, ASharedHandleWritesAsEachClinicianWithTheirReason) {
  ASSERT_NO_FATAL_FAILURE(testing::WriteAsTwoClinicians(*db_));
  ASSERT_NO_FATAL_FAILURE(testing::ExpectEachClinicianAttributed(*db_));
  // Stored, not only cached: the same after reopening.
  db_.reset();
  ASSERT_OK_AND_ASSIGN(db_, Database::Open(dir_.path()));
  testing::ExpectEachClinicianAttributed(*db_);
}

TEST_F(AttributionTest, AUserMustBeAPrintableNameOfAtMost128Bytes) {
  for (const std::string& bad : {std::string("dr.\x01" "ada"), std::string("dr.ada\n"),
                                 std::string("   "), std::string(129, 'a'),
                                 std::string("dr.\xff")}) {
    EXPECT_THAT(db_->Record(Edss(As(bad, ""))),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")))
        << bad;
  }
  ASSERT_OK(db_->Record(Edss(As(std::string(128, 'a'), ""))));
  ASSERT_OK(db_->Record(Edss(As("Dr Åsa Öberg", ""))));
  // Nothing of a rejected write is stored.
  ASSERT_OK_AND_ASSIGN(auto h, db_->History("P1", "edss", *ParseCivilTime("2024-01-05")));
  EXPECT_EQ(h.size(), 1u);
}

TEST_F(AttributionTest, AReasonIsFreeTextOfAtMost4096BytesWithoutControlCharacters) {
  EXPECT_THAT(db_->Record(Edss(As("", "typo\x07"))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(db_->Record(Edss(As("", std::string(4097, 'r')))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 4096 bytes")));
  ASSERT_OK(db_->Record(Edss(As("", "re-scored:\n\tpyramidal 3"))));
  ASSERT_OK_AND_ASSIGN(auto h, db_->History("P1", "edss", *ParseCivilTime("2024-01-05")));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].provenance.reason, "re-scored:\n\tpyramidal 3");
  EXPECT_EQ(h[0].provenance.user, testing::kSharedHandleUser);
}

TEST_F(AttributionTest, EveryKindOfWriteChecksItsAttribution) {
  const Provenance bad = As("dr.\x1b[31m", "why");
  Patient p;
  p.id = "P1";
  p.provenance = bad;
  EXPECT_THAT(db_->PutPatient(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")));
  ASSERT_OK(db_->Record(Edss(Provenance())));
  EXPECT_THAT(db_->Retract("P1", "edss", *ParseCivilTime("2024-01-05"), bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")));
  MeasureDefinition m;
  m.code = "grip";
  m.name = "Grip strength";
  m.unit = "kg";
  m.max = 100;
  EXPECT_THAT(db_->RegisterMeasure(m, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")));
  EXPECT_THAT(db_->GetMeasure("grip"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("grip")));
  // A bulk write rejects the one change and keeps the others.
  ASSERT_OK_AND_ASSIGN(auto bulk, db_->BeginBulkWrite(WriteOptions(), "import", "rows"));
  Batch batch;
  ObservationInput row = Edss(As("dr.ada", ""));
  row.time = *ParseCivilTime("2024-02-01");
  batch.Record(row);
  row.time = *ParseCivilTime("2024-03-01");
  row.provenance = bad;
  row.provenance.source = "rows.csv";
  row.provenance.line = 3;
  batch.Record(row);
  std::vector<Rejection> rejected;
  ASSERT_OK(bulk->Add(batch, &rejected));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_THAT(rejected[0].message, HasSubstr("rows.csv:3: field \"user\""));
  ASSERT_OK_AND_ASSIGN(WriteSummary s, bulk->Commit());
  EXPECT_EQ(s.written, 1);
}

TEST_F(AttributionTest, TheHandlesUserIsCheckedWhenItOpens) {
  Options options;
  options.user = "web\tapp";
  EXPECT_THAT(Database::Open(dir_.path(), options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Options::user")));
}

}  // namespace
}  // namespace cotrack
