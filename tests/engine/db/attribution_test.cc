// Per-write attribution (Provenance::user and ::reason) through one handle
// shared by several people, and the checks on what a write may name.
#include <optional>
#include <string>
#include <vector>

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

TEST_F(AttributionTest, EachChangeOfOneBatchKeepsItsOwnUserAndReason) {
  ASSERT_OK(db_->Record(Edss({"", 0, "dr.a", "baseline"})).status());
  // One atomic write for two clinicians: Dr B corrects P1's EDSS, Dr C
  // records P2's, Dr B also P3's; the last change names nobody (the handle).
  Batch batch;
  ObservationInput p1 = Edss({"", 0, "dr.b", "re-examined"});
  p1.value = 4.0;
  batch.Record(p1);
  ObservationInput p2 = Edss({"", 0, "dr.c", "new referral"});
  p2.patient = "P2";
  batch.Record(p2);
  ObservationInput p3 = Edss({"", 0, "dr.b", "re-examined"});
  p3.patient = "P3";
  batch.Record(p3);
  ObservationInput p4 = Edss({});
  p4.patient = "P4";
  batch.Record(p4);
  ASSERT_OK_AND_ASSIGN(WriteSummary total, db_->Apply(batch));
  EXPECT_EQ(total.corrected, 1);
  EXPECT_EQ(total.written, 3);

  // history: each version with the user and reason of its change.
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> p1h,
                       db_->History("P1", "edss", *ParseCivilTime("2024-01-05")));
  ASSERT_EQ(p1h.size(), 2u);
  EXPECT_EQ(p1h[1].provenance.user, "dr.b");
  EXPECT_EQ(p1h[1].provenance.reason, "re-examined");
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> p2h,
                       db_->History("P2", "edss", *ParseCivilTime("2024-01-05")));
  ASSERT_EQ(p2h.size(), 1u);
  EXPECT_EQ(p2h[0].provenance.user, "dr.c");
  EXPECT_EQ(p2h[0].provenance.reason, "new referral");

  // audit: the batch is one entry per (user, reason), in the order of their
  // first change, each with its own counts and patients.
  ASSERT_OK_AND_ASSIGN(std::vector<AuditRecord> log, db_->AuditLog(std::nullopt));
  ASSERT_EQ(log.size(), 4u);  // the first Record, then the batch's three
  EXPECT_EQ(log[1].provenance.user, "dr.b");
  EXPECT_EQ(log[1].provenance.reason, "re-examined");
  EXPECT_EQ(log[1].summary.corrected, 1);
  EXPECT_EQ(log[1].summary.written, 1);
  EXPECT_EQ(log[1].summary.patients, 1);  // P3, registered by its value
  EXPECT_THAT(log[1].patients, ::testing::ElementsAre("P1", "P3"));
  EXPECT_EQ(log[2].provenance.user, "dr.c");
  EXPECT_EQ(log[2].provenance.reason, "new referral");
  EXPECT_EQ(log[2].summary.written, 1);
  EXPECT_EQ(log[2].patient, "P2");
  EXPECT_EQ(log[3].provenance.user, testing::kSharedHandleUser);
  EXPECT_EQ(log[3].provenance.reason, "");
  EXPECT_EQ(log[3].patient, "P4");
  EXPECT_EQ(log[1].at_us, log[3].at_us);  // one write
  for (size_t i = 1; i < log.size(); ++i) EXPECT_EQ(log[i].sequence, log[0].sequence + i);

  // The next write numbers its entry after all of them.
  ASSERT_OK(db_->Record(Edss({"", 0, "dr.a", "follow-up"})).status());
  ASSERT_OK_AND_ASSIGN(log, db_->AuditLog(std::nullopt));
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[4].sequence, log[3].sequence + 1);
}

TEST_F(AttributionTest, AUserMustBeAPrintableNameOfAtMost128Bytes) {
  for (const std::string& bad : {std::string("dr.\x01"
                                             "ada"),
                                 std::string("dr.ada\n"), std::string("   "), std::string(129, 'a'),
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
  EXPECT_THAT(db_->PutPatient(p), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")));
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
