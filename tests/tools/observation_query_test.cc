// The shared open/query/print sequence of trajectory, visit, latest and
// history (tools/observation_query.h).
#include "observation_query.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "flags.h"
#include "support/test_support.h"

namespace cotrack::tools {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;

class ObservationQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.db_path = dir_.File("db");
    ctx_.user = "tester";
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx_, OpenMode::kCreate);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ObservationInput hba1c;
    hba1c.patient = "P1";
    hba1c.measure = "hba1c";
    hba1c.time = *ParseCivilTime("2024-07-10");
    hba1c.value = 6.1;
    hba1c.unit = "%";
    ASSERT_TRUE(db_->Record(hba1c).ok());
    Patient quiet;
    quiet.id = "P2";  // registered, no values
    ASSERT_TRUE(db_->PutPatient(quiet).ok());
  }

  absl::StatusOr<Table> Trajectory(const std::string& patient, ObservationQuery query) {
    query.patient = patient;
    return QueryObservations(*db_, query,
                             [&](Database& db) { return db.Trajectory(patient, "hba1c"); });
  }

  TempDir dir_;
  GlobalContext ctx_;
  std::unique_ptr<Database> db_;
};

TEST_F(ObservationQueryTest, LaysOutTheObservations) {
  absl::StatusOr<Table> table = Trajectory("P1", {});
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->rows.size(), 1u);
  EXPECT_EQ(table->columns.size(), 10u);
  EXPECT_EQ(table->rows[0][0].Text(), "P1");
  EXPECT_EQ(table->rows[0][3].Text(), "6.1");
}

// Whatever answered "nothing" (the engine itself says NotFound for a patient
// it has never seen), the user is told which patient is unknown.
TEST_F(ObservationQueryTest, NothingForAnUnknownPatientSaysSo) {
  ObservationQuery query;
  query.patient = "P9";
  EXPECT_THAT(QueryObservations(*db_, query,
                                [](Database&) -> absl::StatusOr<std::vector<Observation>> {
                                  return std::vector<Observation>();
                                }),
              StatusIs(absl::StatusCode::kNotFound,
                       Eq("unknown patient \"P9\" (see 'cotrack patients' for the registered "
                          "ones)")));
}

TEST_F(ObservationQueryTest, NothingForAKnownPatientIsAnEmptyTable) {
  absl::StatusOr<Table> table = Trajectory("P2", {});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(table->rows.empty());
}

TEST_F(ObservationQueryTest, DerivedAddsAColumn) {
  ObservationQuery query;
  query.derived = true;
  absl::StatusOr<Table> table = Trajectory("P1", query);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->columns.back(), "derived");
  EXPECT_THAT(table->rows[0].back().Text(), HasSubstr("mmol/mol"));
}

TEST_F(ObservationQueryTest, HistoryColumnsAndTheNotFoundCheck) {
  ObservationQuery query;
  query.nothing_found = NothingFound::kNotFound;
  query.columns = ObservationColumns::kHistory;
  auto history = [&](const std::string& patient) {
    query.patient = patient;
    return QueryObservations(*db_, query, [&](Database& db) {
      return db.History(patient, "hba1c", *ParseCivilTime("2024-07-10"));
    });
  };
  absl::StatusOr<Table> table = history("P1");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->columns.size(), 16u);
  EXPECT_THAT(history("P9"), StatusIs(absl::StatusCode::kNotFound,
                                      HasSubstr("unknown patient \"P9\" (see 'cotrack patients'")));
  // A known patient without that value keeps the query's own answer.
  absl::StatusOr<Table> missing = history("P2");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), Not(HasSubstr("cotrack patients")));
}

TEST_F(ObservationQueryTest, AnEmptyAnswerIsNotCheckedWhenOnlyNotFoundCounts) {
  ObservationQuery query;
  query.patient = "P9";
  query.nothing_found = NothingFound::kNotFound;
  absl::StatusOr<Table> table =
      QueryObservations(*db_, query, [](Database&) -> absl::StatusOr<std::vector<Observation>> {
        return std::vector<Observation>();
      });
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(table->rows.empty());
}

TEST_F(ObservationQueryTest, TheQuerysErrorPassesThrough) {
  ObservationQuery query;
  query.patient = "P1";
  EXPECT_THAT(QueryObservations(*db_, query,
                                [](Database&) -> absl::StatusOr<std::vector<Observation>> {
                                  return absl::DataLossError("damaged series");
                                }),
              StatusIs(absl::StatusCode::kDataLoss, Eq("damaged series")));
}

TEST_F(ObservationQueryTest, RunPrintsTheTableInTheRequestedFormat) {
  db_.reset();  // one handle at a time keeps the test simple
  ObservationQuery query;
  query.patient = "P1";
  query.format = OutputFormat::kCsv;
  ::testing::internal::CaptureStdout();
  int status =
      RunObservationQuery(ctx_, query, [](Database& db) { return db.Trajectory("P1", "hba1c"); });
  std::cout.flush();
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(status, 0);
  EXPECT_THAT(out, ::testing::StartsWith("patient,measure,date,value,unit,"));
  EXPECT_THAT(out, HasSubstr("\nP1,hba1c,2024-07-10,6.1,%,"));
}

}  // namespace
}  // namespace cotrack::tools
