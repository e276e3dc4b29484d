// Issue 16 item 5, one handle shared by a web app's clinicians: each write
// names who makes it and why. The same scenario runs on a handle of the
// process holding the database (tests/engine/db/attribution_test.cc) and on
// one served by another process over the socket (multiprocess_test.cc), where
// every user and reason must cross the wire.
#ifndef COTRACK_TESTS_SUPPORT_ATTRIBUTION_SCENARIO_H_
#define COTRACK_TESTS_SUPPORT_ATTRIBUTION_SCENARIO_H_

#include <string>
#include <vector>

#include "cotrack/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack::testing {

// The handle's own user (Options::user), for writes that name none.
inline constexpr char kSharedHandleUser[] = "webapp";

inline Provenance As(std::string user, std::string reason) {
  Provenance p;
  p.user = std::move(user);
  p.reason = std::move(reason);
  return p;
}

// Dr Ada enrolls P1, records the baseline visit and registers a measure; Dr
// Bo corrects the EDSS and retracts the HbA1c; then a write naming nobody.
inline void WriteAsTwoClinicians(Database& db) {
  Patient p;
  p.id = "P1";
  p.arm = "HSCT";
  p.provenance = As("dr.ada", "enrolled at screening");
  ASSERT_OK(db.PutPatient(p));

  auto obs = [](const char* measure, double value, const char* unit, const Provenance& by) {
    ObservationInput in;
    in.patient = "P1";
    in.measure = measure;
    in.time = *ParseCivilTime("2024-01-05");
    in.value = value;
    in.unit = unit;
    in.provenance = by;
    return in;
  };
  const Provenance ada = As("dr.ada", "baseline visit");
  ASSERT_OK(db.RecordVisit({obs("edss", 3.0, "", ada), obs("hba1c", 48, "mmol/mol", ada)}));

  ASSERT_OK_AND_ASSIGN(WriteSummary fixed,
                       db.Record(obs("edss", 3.5, "", As("dr.bo", "re-scored the FS"))));
  EXPECT_EQ(fixed.corrected, 1);
  ASSERT_OK_AND_ASSIGN(WriteSummary retracted,
                       db.Retract("P1", "hba1c", *ParseCivilTime("2024-01-05"),
                                  As("dr.bo", "sample of another patient")));
  EXPECT_EQ(retracted.retracted, 1);

  MeasureDefinition m;
  m.code = "grip";
  m.name = "Grip strength";
  m.unit = "kg";
  m.min = 0;
  m.max = 100;
  ASSERT_OK(db.RegisterMeasure(m, As("dr.ada", "protocol amendment 2")));

  // Naming nobody: the handle's user, no reason.
  ObservationInput anonymous = obs("edss", 4.0, "", Provenance());
  anonymous.time = *ParseCivilTime("2024-07-05");
  ASSERT_OK(db.Record(anonymous));
}

// What WriteAsTwoClinicians wrote, as History, PatientHistory and AuditLog
// show it.
inline void ExpectEachClinicianAttributed(Reader& db) {
  const CivilTime day = *ParseCivilTime("2024-01-05");
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> edss, db.History("P1", "edss", day));
  ASSERT_EQ(edss.size(), 2u);
  EXPECT_EQ(edss[0].provenance.user, "dr.ada");
  EXPECT_EQ(edss[0].provenance.reason, "baseline visit");
  EXPECT_EQ(edss[1].provenance.user, "dr.bo");
  EXPECT_EQ(edss[1].provenance.reason, "re-scored the FS");

  ASSERT_OK_AND_ASSIGN(std::vector<Observation> hba1c, db.History("P1", "hba1c", day));
  ASSERT_EQ(hba1c.size(), 2u);
  EXPECT_EQ(hba1c[0].provenance.user, "dr.ada");
  EXPECT_EQ(hba1c[1].status, ObservationStatus::kEnteredInError);
  EXPECT_EQ(hba1c[1].provenance.user, "dr.bo");
  EXPECT_EQ(hba1c[1].provenance.reason, "sample of another patient");

  ASSERT_OK_AND_ASSIGN(std::vector<Observation> later,
                       db.History("P1", "edss", *ParseCivilTime("2024-07-05")));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].provenance.user, kSharedHandleUser);
  EXPECT_EQ(later[0].provenance.reason, "");

  ASSERT_OK_AND_ASSIGN(std::vector<Patient> registrations, db.PatientHistory("P1"));
  ASSERT_FALSE(registrations.empty());
  EXPECT_EQ(registrations[0].provenance.user, "dr.ada");
  EXPECT_EQ(registrations[0].provenance.reason, "enrolled at screening");

  ASSERT_OK_AND_ASSIGN(std::vector<AuditRecord> audit, db.AuditLog());
  struct Entry {
    std::string action, user, reason;
  };
  std::vector<Entry> got;
  for (const AuditRecord& a : audit) {
    got.push_back({a.action, a.provenance.user, a.provenance.reason});
  }
  const std::vector<Entry> want = {
      {"patient", "dr.ada", "enrolled at screening"},
      {"record", "dr.ada", "baseline visit"},
      {"record", "dr.bo", "re-scored the FS"},
      {"retract", "dr.bo", "sample of another patient"},
      {"measure", "dr.ada", "protocol amendment 2"},
      {"record", kSharedHandleUser, ""},
  };
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].action, want[i].action) << "audit entry " << i;
    EXPECT_EQ(got[i].user, want[i].user) << "audit entry " << i;
    EXPECT_EQ(got[i].reason, want[i].reason) << "audit entry " << i;
  }
}

}  // namespace cotrack::testing

#endif  // COTRACK_TESTS_SUPPORT_ATTRIBUTION_SCENARIO_H_
