// Database::EditMeasure and MeasureHistory (issue 15, item 7): a measure's
// definition changes as a new version, only when every stored value still
// fits it; the old versions stay, through reopen, dump/load, backup/restore
// and check.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "cotrack/measure_options.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class MeasureEditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(dir_.File("db")));
    MeasureDefinition m;
    m.code = "weight";
    m.name = "Body weight";
    m.unit = "kg";
    m.min = 0;
    m.max = 200;
    ASSERT_OK(db_->RegisterMeasure(m, Provenance{}));
    Record("P1", "2024-01-10", 80);
    Record("P2", "2024-02-01", 150);
  }

  void Record(const std::string& patient, const char* date, double value,
              const std::string& unit = "") {
    ObservationInput in;
    in.patient = patient;
    in.measure = "weight";
    in.time = *ParseCivilTime(date);
    in.value = value;
    in.unit = unit;
    Batch batch;
    batch.Record(in);
    ASSERT_OK(db_->Apply(batch).status());
  }

  // The current definition with `options` applied, as `measure edit` does.
  absl::StatusOr<MeasureEditOptions> Edit(const NamedOptions& options) {
    absl::StatusOr<MeasureDefinition> current = db_->GetMeasure("weight");
    if (!current.ok()) return current.status();
    return ParseMeasureEditOptions(*current, options);
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(MeasureEditTest, AnEditThatStoredValuesBreakIsRefusedNamingThem) {
  ASSERT_OK_AND_ASSIGN(MeasureEditOptions edit, Edit({{"max", "120"}}));
  EXPECT_EQ(edit.measure.max, 120);
  EXPECT_THAT(db_->EditMeasure(edit.measure, Provenance{}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("measure weight not changed: 1 of its 2 stored values "
                                       "fails the new definition"),
                             HasSubstr("patient \"P2\", 2024-02-01, value 150: field \"value\": "
                                       "bad value \"150 kg\" (expected a value from 0 to 120 kg)"),
                             Not(HasSubstr("P1")))));
  ASSERT_OK_AND_ASSIGN(MeasureDefinition now, db_->GetMeasure("weight"));
  EXPECT_EQ(now.max, 200);
  ASSERT_OK_AND_ASSIGN(std::vector<MeasureDefinition> history, db_->MeasureHistory("weight"));
  EXPECT_EQ(history.size(), 1u);
  // A new canonical unit would reinterpret every stored value.
  ASSERT_OK_AND_ASSIGN(MeasureEditOptions pounds, Edit({{"unit", "lb"}, {"max", "500"}}));
  EXPECT_THAT(db_->EditMeasure(pounds.measure, Provenance{}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("2 of its 2 stored values fail"),
                             HasSubstr("stored in kg, which the new unit lb would reinterpret"))));
}

TEST_F(MeasureEditTest, AnEditIsANewVersionTheOldOneStaysInHistory) {
  ASSERT_OK_AND_ASSIGN(
      MeasureEditOptions edit,
      Edit({{"max", "180"}, {"convert", "lb=0.45359237*x"}, {"loinc", "29463-7"}}));
  Provenance who;
  who.user = "dm";
  who.reason = "protocol v2";
  ASSERT_OK(db_->EditMeasure(edit.measure, who));
  ASSERT_OK_AND_ASSIGN(MeasureDefinition now, db_->GetMeasure("weight"));
  EXPECT_EQ(now.max, 180);
  ASSERT_EQ(now.units.size(), 1u);
  EXPECT_EQ(now.loinc, std::vector<std::string>{"29463-7"});
  ASSERT_OK_AND_ASSIGN(std::vector<MeasureDefinition> history, db_->MeasureHistory("weight"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].max, 200);
  EXPECT_TRUE(history[0].units.empty());
  EXPECT_EQ(history[1].max, 180);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditRecord> audit, db_->AuditLog());
  EXPECT_EQ(audit.back().detail,
            "edited measure weight: max 200 -> 180; units \"\" -> \"lb=0.45359237*x\"; loinc \"\" "
            "-> \"29463-7\"");
  EXPECT_EQ(audit.back().provenance.user, "dm");
  EXPECT_EQ(audit.back().provenance.reason, "protocol v2");
  // The new unit is accepted; the identical definition again is a no-op.
  Record("P1", "2024-03-01", 176.37, "lb");
  ASSERT_OK(db_->EditMeasure(edit.measure, who));
  EXPECT_EQ(db_->MeasureHistory("weight")->size(), 2u);

  // The new version is what a reopened database, check, dump/load and
  // backup/restore see, with the old one kept.
  db_.reset();
  ASSERT_OK_AND_ASSIGN(db_, Database::Open(dir_.File("db")));
  EXPECT_EQ(db_->GetMeasure("weight")->max, 180);
  EXPECT_EQ(db_->MeasureHistory("weight")->size(), 2u);
  db_.reset();
  ASSERT_OK_AND_ASSIGN(CheckReport check, CheckDatabase(dir_.File("db")));
  EXPECT_TRUE(check.problems.empty());
  std::stringstream dump;
  ASSERT_OK(DumpDatabase(dir_.File("db"), Options(), dump).status());
  ASSERT_OK(LoadDatabase(dump, "dump", dir_.File("loaded"), Options()).status());
  ASSERT_OK(BackupDatabase(dir_.File("db"), dir_.File("backups")).status());
  ASSERT_OK(RestoreBackup(dir_.File("backups"), dir_.File("restored")).status());
  for (const char* copy : {"loaded", "restored"}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, Database::Open(dir_.File(copy)));
    ASSERT_OK_AND_ASSIGN(std::vector<MeasureDefinition> versions, db->MeasureHistory("weight"));
    ASSERT_EQ(versions.size(), 2u) << copy;
    EXPECT_EQ(versions[0].max, 200) << copy;
    EXPECT_EQ(versions[1].max, 180) << copy;
    ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db->Trajectory("P1", "weight"));
    ASSERT_EQ(t.size(), 2u) << copy;
    EXPECT_NEAR(t[1].value, 80, 0.001) << copy;
  }
}

TEST_F(MeasureEditTest, BuiltinsAndUnknownCodesCannotBeEdited) {
  ASSERT_OK_AND_ASSIGN(MeasureDefinition edss, db_->GetMeasure("edss"));
  edss.description = "mine";
  EXPECT_THAT(
      db_->EditMeasure(edss, Provenance{}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("measure \"edss\" is a built-in")));
  MeasureDefinition unknown;
  unknown.code = "nothing";
  unknown.name = "n";
  unknown.unit = "u";
  unknown.max = 1;
  EXPECT_THAT(db_->EditMeasure(unknown, Provenance{}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown measure \"nothing\"")));
  // And a taken code says how to change it.
  MeasureDefinition other;
  other.code = "weight";
  other.name = "w";
  other.unit = "kg";
  other.max = 300;
  EXPECT_THAT(db_->RegisterMeasure(other, Provenance{}),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("change it with `cotrack measure edit weight`")));
}

TEST_F(MeasureEditTest, EditOptionsAddReplaceAndRemove) {
  ASSERT_OK_AND_ASSIGN(MeasureEditOptions first, Edit({{"convert", "lb=0.45*x"},
                                                       {"unit-synonym", "KGS"},
                                                       {"loinc", "29463-7,3141-9"},
                                                       {"dry-run", ""}}));
  EXPECT_TRUE(first.dry_run);
  WriteOptions dry_run;
  dry_run.dry_run = true;
  ASSERT_OK(db_->EditMeasure(first.measure, Provenance{}, dry_run));
  EXPECT_EQ(db_->MeasureHistory("weight")->size(), 1u);
  ASSERT_OK(db_->EditMeasure(first.measure, Provenance{}));
  EXPECT_EQ(db_->MeasureHistory("weight")->size(), 2u);
  ASSERT_OK_AND_ASSIGN(MeasureEditOptions second, Edit({{"convert", "LB=0.45359237*x"},
                                                        {"remove-unit", "kgs"},
                                                        {"remove-loinc", "3141-9"},
                                                        {"description", "scale"}}));
  ASSERT_EQ(second.measure.units.size(), 1u);
  EXPECT_EQ(second.measure.units[0].unit, "LB");
  EXPECT_EQ(second.measure.units[0].factor, 0.45359237);
  EXPECT_EQ(second.measure.loinc, std::vector<std::string>{"29463-7"});
  EXPECT_EQ(second.measure.description, "scale");
  EXPECT_EQ(second.measure.max, 200);  // not given: kept
  EXPECT_THAT(Edit({{"remove-unit", "stone"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--remove-unit: weight accepts no unit \"stone\" besides its own "
                                 "(it has lb, KGS)")));
  EXPECT_THAT(Edit({{"min", "300"}}), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("--min 300 is above --max 200")));
  EXPECT_THAT(Edit({{"code", "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown option \"code\"")));
}

}  // namespace
}  // namespace cotrack
