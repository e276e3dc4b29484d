// The restore behind `cotrack load` (db/restore.h): records written exactly
// as given, through the same batch as every write, into an empty database
// that then takes new writes.
#include "db/restore.h"

#include "catalog/catalog.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;

constexpr uint32_t kEdss = 1;  // the built-in's id

CivilTime Day(const char* s) { return *ParseCivilTime(s); }

Observation Version(const char* date, double value, uint32_t version, ObservationStatus status,
                    int64_t recorded_at_us, const char* user) {
  Observation o;
  o.time = Day(date);
  o.value = value;
  o.version = version;
  o.status = status;
  o.recorded_at_us = recorded_at_us;
  o.provenance = Provenance{"visits.csv", 7, user, ""};
  return o;
}

TEST(RestoreTest, KeepsVersionsTimesAndAuditAsGivenAndTheCountersMoveOn) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<RestoreWrite> restore,
                         RestoreWrite::Open(dir.path(), Options()));
    MeasureDefinition grip;
    grip.code = "grip";
    grip.name = "Grip strength";
    grip.unit = "kg";
    grip.max = 100;
    ASSERT_OK(restore->AddMeasure(kFirstUserMeasureId + 4, grip));

    const uint32_t p1 = restore->AddPatient("P1");
    const uint32_t p2 = restore->AddPatient("P2");
    EXPECT_EQ(p1, 1u);
    EXPECT_EQ(p2, 2u);
    std::vector<Patient> registrations(2);
    registrations[0].id = registrations[1].id = "P1";
    registrations[0].arm = "placebo";
    registrations[1].arm = "treated";
    registrations[0].version = 1;
    registrations[1].version = 2;
    registrations[0].recorded_at_us = 1000;
    registrations[1].recorded_at_us = 2000;
    registrations[1].provenance.user = "carol";
    ASSERT_OK(restore->AddPatientVersions(p1, registrations));
    registrations.resize(1);
    registrations[0].id = "P2";
    ASSERT_OK(restore->AddPatientVersions(p2, registrations));

    // In the order first written: a later date, then a back-filled one, its
    // correction and retraction.
    std::vector<Observation> edss = {
        Version("2022-06-01", 3.0, 1, ObservationStatus::kFinal, 5000, "ann"),
        Version("2020-01-15", 2.0, 1, ObservationStatus::kFinal, 6000, "bob"),
        Version("2020-01-15", 2.5, 2, ObservationStatus::kAmended, 7000, "bob"),
        Version("2020-01-15", 2.5, 3, ObservationStatus::kEnteredInError, 8000, "carol"),
    };
    ASSERT_OK(restore->AddSeries(kEdss, p1, edss));
    ASSERT_OK(
        restore->AddSeries(kFirstUserMeasureId + 4, p2,
                           {Version("2021-03-01", 40, 1, ObservationStatus::kFinal, 9000, "dan")}));
    for (uint64_t seq : {1, 2}) {
      AuditRecord a;
      a.sequence = seq;
      a.at_us = static_cast<int64_t>(seq) * 1000;
      a.action = "import";
      a.patients = {"P1", "P2"};
      a.provenance.user = seq == 1 ? "ann" : "bob";
      ASSERT_OK(restore->AddAudit(a));
    }
    ASSERT_OK(restore->Finish());
  }

  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckDatabase(dir.path()));
  EXPECT_TRUE(report.ok()) << report.problems.front().message;
  EXPECT_EQ(report.versions, 5u);

  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path()));
  ASSERT_OK_AND_ASSIGN(auto history, db->History("P1", "edss", Day("2020-01-15")));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1].value, 2.5);
  EXPECT_EQ(history[1].recorded_at_us, 7000);
  EXPECT_EQ(history[2].status, ObservationStatus::kEnteredInError);
  EXPECT_EQ(history[2].provenance.user, "carol");
  ASSERT_OK_AND_ASSIGN(auto trajectory, db->Trajectory("P1", "edss"));
  ASSERT_EQ(trajectory.size(), 1u);  // the 2020 value is retracted
  EXPECT_EQ(trajectory[0].recorded_at_us, 5000);
  ASSERT_OK_AND_ASSIGN(auto patient, db->PatientHistory("P1"));
  ASSERT_EQ(patient.size(), 2u);
  EXPECT_EQ(patient[1].arm, "treated");
  EXPECT_EQ(patient[1].version, 2u);
  EXPECT_EQ(patient[1].recorded_at_us, 2000);
  ASSERT_OK_AND_ASSIGN(auto grip, db->Trajectory("P2", "grip"));
  ASSERT_EQ(grip.size(), 1u);
  EXPECT_EQ(grip[0].provenance.user, "dan");
  ASSERT_OK_AND_ASSIGN(auto audit, db->AuditLog());
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[1].at_us, 2000);
  EXPECT_EQ(audit[1].provenance.user, "bob");

  // Every restored patient's series ends list its series: a value at the
  // latest date of one is compared with the stored version (a version 2, not
  // a second version 1), and a measure new to the patient is written.
  ObservationInput again;
  again.patient = "P1";
  again.measure = "edss";
  again.time = Day("2022-06-01");
  again.value = 3.5;
  ASSERT_OK_AND_ASSIGN(WriteSummary same, db->Record(again));
  EXPECT_EQ(same.corrected, 1);
  ASSERT_OK_AND_ASSIGN(history, db->History("P1", "edss", Day("2022-06-01")));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].version, 2u);
  again.measure = "grip";
  again.value = 41;
  ASSERT_OK_AND_ASSIGN(WriteSummary added, db->Record(again));
  EXPECT_EQ(added.written, 1);

  // The counters are past everything restored: a new patient, measure and
  // audit entry take the next numbers, and the check still finds nothing.
  ObservationInput in;
  in.patient = "P3";
  in.measure = "grip";
  in.time = Day("2023-01-01");
  in.value = 50;
  ASSERT_OK(db->Record(in));
  MeasureDefinition pinch;
  pinch.code = "pinch";
  pinch.name = "Pinch strength";
  pinch.unit = "kg";
  pinch.max = 50;
  ASSERT_OK(db->RegisterMeasure(pinch, Provenance()));
  ASSERT_OK_AND_ASSIGN(audit, db->AuditLog());
  ASSERT_EQ(audit.size(), 6u);
  EXPECT_EQ(audit[4].sequence, 5u);
  EXPECT_EQ(audit[5].sequence, 6u);
  db.reset();
  ASSERT_OK_AND_ASSIGN(report, CheckDatabase(dir.path()));
  EXPECT_TRUE(report.ok()) << report.problems.front().family << " " << report.problems.front().key
                           << ": " << report.problems.front().message;
  EXPECT_EQ(report.patients, 3u);
  EXPECT_EQ(report.measures, 2u);
}

TEST(RestoreTest, OnlyIntoAnEmptyDatabase) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("written")));
    ObservationInput in;
    in.patient = "P1";
    in.measure = "edss";
    in.time = Day("2023-01-01");
    in.value = 2;
    ASSERT_OK(db->Record(in));
    // Opened, never written: empty.
    ASSERT_OK(Database::Open(dir.File("fresh")).status());
  }
  EXPECT_THAT(RestoreWrite::Open(dir.File("written"), Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already holds data")));
  EXPECT_OK(RestoreWrite::Open(dir.File("fresh"), Options()));
  // A new directory is created and stamped as a database from the start.
  EXPECT_OK(RestoreWrite::Open(dir.File("new"), Options()));
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("new")));
  ASSERT_OK_AND_ASSIGN(auto patients, db->ListPatients());
  EXPECT_TRUE(patients.empty());
}

}  // namespace
}  // namespace cotrack
