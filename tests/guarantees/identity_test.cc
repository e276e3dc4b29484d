// Issue 16 item 4: one identity rule for patient ids on every write path
// (cotrack/patient_id.h). Each bad id is refused by the C++ API (record,
// visit, patient registration, batch, bulk write) and by every importer with
// the rule named, and nothing of the write is applied; good ids (UTF-8, 128
// bytes) are accepted everywhere. The C ABI and Python run the same table in
// tests/embed. Also: what `check`, `dump` and `load` do with a database that
// already holds an id breaking the rule (written before the rule covered
// whitespace).
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/database.h"
#include "cotrack/import.h"
#include "cotrack/maintenance.h"
#include "cotrack/patient_id.h"
#include "cotrack/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "support/edss.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::Edss;
using ::cotrack::testing::IsOk;
using ::cotrack::testing::ReadFile;
using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct BadId {
  std::string id;
  std::string broke;  // what the message says about it
};

std::vector<BadId> BadIds() {
  return {
      {"", "it is empty"},
      {" ", "it starts with whitespace (U+0020)"},
      {" P1", "it starts with whitespace (U+0020)"},
      {"P1 ", "it ends with whitespace (U+0020)"},
      {"P\t1", "byte 2 is the control character U+0009"},
      {"P\n1", "byte 2 is the control character U+000A"},
      {"P\x01", "byte 2 is the control character U+0001"},
      {std::string(129, 'x'), "it has 129 bytes, more than 128"},
  };
}

std::vector<std::string> GoodIds() {
  return {"P-001",
          "\xC3\xBCn\xC3\xAF"
          "code-1",
          std::string(128, 'y')};
}

// The refusal of `bad`: InvalidArgument naming the field, what broke and the
// whole rule.
auto Refused(const BadId& bad) {
  return StatusIs(absl::StatusCode::kInvalidArgument,
                  AllOf(HasSubstr("field \"patient\": bad value \""), HasSubstr(bad.broke),
                        HasSubstr(kPatientIdRule)));
}

std::string Show(const std::string& id) { return absl::StrCat("id \"", absl::CEscape(id), "\""); }

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.File("db"));
    ASSERT_OK(db);
    db_ = *std::move(db);
  }
  // Nothing was written: no patient, and no audit entry names one (an
  // emptied bulk write's commit still logs that it ran).
  void ExpectEmpty(const std::string& context) {
    ASSERT_OK_AND_ASSIGN(std::vector<Patient> patients, db_->ListPatients());
    EXPECT_THAT(patients, IsEmpty()) << context;
    ASSERT_OK_AND_ASSIGN(std::vector<AuditRecord> audit, db_->AuditLog());
    for (const AuditRecord& a : audit) {
      EXPECT_THAT(a.patients, IsEmpty()) << context << ": " << a.action;
      EXPECT_EQ(a.summary.written + a.summary.patients, 0) << context << ": " << a.action;
    }
  }
  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(IdentityTest, TheRuleItself) {
  for (const BadId& bad : BadIds()) EXPECT_THAT(ValidatePatientId(bad.id), Refused(bad));
  for (const std::string& good : GoodIds()) EXPECT_THAT(ValidatePatientId(good), IsOk());
}

TEST_F(IdentityTest, CppApiRefusesBadIdsAndWritesNothing) {
  for (const BadId& bad : BadIds()) {
    const std::string what = Show(bad.id);
    EXPECT_THAT(db_->Record(Edss(bad.id)), Refused(bad)) << what;
    // A visit of one patient: the id is refused for each of its values.
    ObservationInput hba1c = Edss(bad.id);
    hba1c.measure = "hba1c";
    hba1c.value = 6.5;
    EXPECT_THAT(db_->RecordVisit({Edss(bad.id), hba1c}), Refused(bad)) << what;
    Patient p;
    p.id = bad.id;
    p.arm = "A";
    EXPECT_THAT(db_->PutPatient(p), Refused(bad)) << what;
    // A batch with a good row first is refused whole.
    Batch batch;
    batch.Record(Edss("GOOD-1"));
    batch.Record(Edss(bad.id));
    EXPECT_THAT(db_->Apply(batch), Refused(bad)) << what;
    Batch patients;
    Patient good;
    good.id = "GOOD-2";
    patients.PutPatient(good);
    patients.PutPatient(p);
    EXPECT_THAT(db_->Apply(patients), Refused(bad)) << what;
    // A bulk write: the rejection is reported and the commit writes nothing
    // of it.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<BulkWrite> bulk,
                         db_->BeginBulkWrite(WriteOptions(), "test", ""));
    std::vector<Rejection> rejected;
    Batch one;
    one.Record(Edss(bad.id));
    ASSERT_OK(bulk->Add(one, &rejected));
    ASSERT_EQ(rejected.size(), 1u) << what;
    EXPECT_THAT(rejected[0].message, AllOf(HasSubstr(bad.broke), HasSubstr(kPatientIdRule)));
    EXPECT_EQ(rejected[0].code, absl::StatusCode::kInvalidArgument);
    ASSERT_OK(bulk->Commit());
  }
  ExpectEmpty("after every bad id");
}

TEST_F(IdentityTest, CppApiAcceptsGoodIds) {
  for (const std::string& id : GoodIds()) {
    ASSERT_OK(db_->Record(Edss(id))) << id;
    Patient p;
    p.id = id;
    ASSERT_OK(db_->PutPatient(p)) << id;
    ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory(id, "edss"));
    EXPECT_EQ(t.size(), 1u);
  }
}

// A whole file in one of the import formats holding a good patient first
// and `id` second; `mapping` is set for REDCap.
struct Format {
  std::string name;
  std::string file;  // the file name (the extension matters for FHIR)
  std::string (*contents)(const std::string& id);
  ImportFormat format = ImportFormat::kAuto;
  bool mapped = false;
};

std::string LongCsv(const std::string& id) {
  return "patient,measure,date,value\nGOOD-1,edss,2020-01-01,3.5\n" + CsvField(id) +
         ",edss,2020-01-01,3.5\n";
}
std::string WideCsv(const std::string& id) {
  return "patient,date,edss\nGOOD-1,2020-01-01,3.5\n" + CsvField(id) + ",2020-01-01,3.5\n";
}
std::string PatientsCsv(const std::string& id) {
  return "patient,arm\nGOOD-1,A\n" + CsvField(id) + ",A\n";
}
std::string Redcap(const std::string& id) {
  return "record_id,redcap_event_name,visit_date,edss\nGOOD-1,baseline_arm_1,2020-01-01,3.5\n" +
         CsvField(id) + ",baseline_arm_1,2020-01-01,3.5\n";
}
std::string Synthea(const std::string& id) {
  return "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n"
         "2020-01-02,GOOD-1,e1,4548-4,HbA1c,6.5,%,numeric\n"
         "2020-01-02," +
         CsvField(id) + ",e2,4548-4,HbA1c,6.5,%,numeric\n";
}
std::string FhirObservation(const std::string& id) {
  return "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{"
         "\"system\":\"http://loinc.org\",\"code\":\"4548-4\"}]},\"subject\":{\"reference\":" +
         JsonString("Patient/" + id) +
         "},\"effectiveDateTime\":\"2024-03-05\",\"valueQuantity\":{\"value\":6.5,\"unit\":\"%\"}}";
}
std::string Fhir(const std::string& id) {
  return FhirObservation("GOOD-1") + "\n" + FhirObservation(id) + "\n";
}
std::string Hl7(const std::string& id) {
  // Control characters as HL7 hex escapes (\X0A\): a raw one would end the
  // segment.
  std::string escaped;
  for (char c : id) {
    if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&escaped, "\\X", absl::StrFormat("%02X", static_cast<unsigned char>(c)),
                      "\\");
    } else {
      escaped += c;
    }
  }
  const auto message = [](const std::string& n, const std::string& pid) {
    return absl::StrCat("MSH|^~\\&|LAB|CLINIC|||20240305093000||ORU^R01|MSG", n, "|P|2.5.1\r",
                        "PID|1||", pid, "^^^HOSP^MR||Doe^Jane\r",
                        "OBR|1|||4548-4^HbA1c^LN|||20240305083000\r",
                        "OBX|1|NM|4548-4^HbA1c^LN||6.5|%|||||F\r");
  };
  return message("1", "GOOD-1") + message("2", escaped);
}

std::vector<Format> Formats() {
  return {
      {"long CSV", "visits.csv", LongCsv},
      {"wide CSV", "wide.csv", WideCsv},
      {"patients CSV", "patients.csv", PatientsCsv},
      {"REDCap", "redcap.csv", Redcap, ImportFormat::kRedcapCsv, true},
      {"Synthea", "observations.csv", Synthea},
      {"FHIR", "obs.ndjson", Fhir},
      {"HL7", "lab.hl7", Hl7},
  };
}

class ImportIdentityTest : public IdentityTest {
 protected:
  absl::StatusOr<ImportReport> Import(const Format& f, const std::string& id) {
    const std::string path = dir_.File(f.file);
    WriteFile(path, f.contents(id));
    ImportOptions o;
    o.format = f.format;
    if (f.mapped) {
      o.mapping_file = dir_.File("mapping.csv");
      WriteFile(o.mapping_file,
                "kind,name,value,unit,decimal\nfield,edss,edss,\ndate,*,visit_date\n");
    }
    return ImportFile(*db_, path, o);
  }
};

TEST_F(ImportIdentityTest, EveryImporterRefusesBadIdsAtTheirLineAndWritesNothing) {
  for (const Format& f : Formats()) {
    for (const BadId& bad : BadIds()) {
      const std::string what = absl::StrCat(f.name, ", ", Show(bad.id));
      absl::StatusOr<ImportReport> r = Import(f, bad.id);
      // The bad id is on the file's second data row (the third line; HL7:
      // the second message's PID, reported at its OBX on line 8).
      const std::string where = f.name == "HL7"    ? absl::StrCat(dir_.File(f.file), ":8: ")
                                : f.name == "FHIR" ? absl::StrCat(dir_.File(f.file), ":2: ")
                                                   : absl::StrCat(dir_.File(f.file), ":3:");
      if (f.name == "HL7" && bad.id.empty()) {
        // An empty PID-3 is HL7's own "no identifier" error, naming the rule.
        EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument,
                                AllOf(HasSubstr(where), HasSubstr("\"PID-3\": empty"),
                                      HasSubstr(kPatientIdRule))))
            << what;
      } else {
        EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument,
                                AllOf(HasSubstr(where), HasSubstr("bad value \""),
                                      HasSubstr(bad.broke), HasSubstr(kPatientIdRule))))
            << what;
      }
      ExpectEmpty(what);
    }
  }
}

TEST_F(ImportIdentityTest, EveryImporterAcceptsGoodIds) {
  for (const Format& f : Formats()) {
    for (const std::string& id : GoodIds()) {
      EXPECT_OK(Import(f, id)) << f.name << ", " << Show(id);
      ASSERT_OK_AND_ASSIGN(Patient p, db_->GetPatient(id));
      EXPECT_EQ(p.id, id);
    }
  }
}

// A database written before the rule covered whitespace: the id " P3" is
// stored. Reads keep working; check names it and the way to fix it; a dump
// of it does not load until the id is fixed in the dump.
TEST_F(IdentityTest, ExistingDatabaseWithABadIdIsReadableAndCheckSaysHowToFixIt) {
  ASSERT_OK(db_->Record(Edss("P3", 18262, 4.0)));
  db_.reset();
  {
    // Rename P3 to " P3" underneath the engine, as an older engine would
    // have stored it: the id index entry and the patient record.
    auto store = Store::Open(dir_.File("db"), StoreOptions());
    ASSERT_OK(store);
    std::string num;
    ASSERT_OK_AND_ASSIGN(bool found, (*store)->Get(nullptr, Family::kPatientIds, "P3", &num));
    ASSERT_TRUE(found);
    std::string log;
    ASSERT_OK_AND_ASSIGN(found, (*store)->Get(nullptr, Family::kPatients, num, &log));
    ASSERT_TRUE(found);
    std::vector<absl::string_view> records;
    ASSERT_OK(codec::SplitRecords(log, "patient", &records));
    ASSERT_EQ(records.size(), 1u);
    Patient p;
    ASSERT_OK(codec::DecodePatient(records[0], &p));
    p.id = " P3";
    std::string renamed;
    codec::AppendRecord(&renamed, codec::EncodePatient(p));
    ASSERT_OK((*store)->Delete(Family::kPatientIds, {"P3"}, true));
    auto batch = (*store)->NewBatch();
    batch->Put(Family::kPatientIds, " P3", num);
    batch->Put(Family::kPatients, num, renamed);
    ASSERT_OK((*store)->Write(*batch, true));
  }
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckDatabase(dir_.File("db")));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].patient, " P3");
  EXPECT_THAT(report.problems[0].message,
              AllOf(HasSubstr("it starts with whitespace"), HasSubstr(kPatientIdRule),
                    HasSubstr("cotrack dump"), HasSubstr("cotrack load")));

  auto db = Database::Open(dir_.File("db"));
  ASSERT_OK(db);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, (*db)->Trajectory(" P3", "edss"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].value, 4.0);
  // Its values can still be retracted: a retraction names an existing id.
  Provenance why;
  why.reason = "entered twice";
  ASSERT_OK((*db)->Retract(" P3", "edss", CivilTime::FromDay(18262), why));
  ASSERT_OK_AND_ASSIGN(t, (*db)->Trajectory(" P3", "edss"));
  EXPECT_TRUE(t.empty());
  db->reset();

  // dump works; load refuses the id with the rule; fixed in the dump, it
  // loads.
  const std::string dump = dir_.File("dump.ndjson");
  testing::CommandResult out = RunCotrack({"--db", dir_.File("db"), "dump", "--out", dump});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  testing::CommandResult load = RunCotrack({"--db", dir_.File("new"), "load", dump});
  EXPECT_NE(load.exit_code, 0);
  EXPECT_THAT(load.err, AllOf(HasSubstr("starts with whitespace"), HasSubstr(kPatientIdRule)));
  WriteFile(dump, absl::StrReplaceAll(ReadFile(dump), {{"\" P3\"", "\"P3\""}}));
  load = RunCotrack({"--db", dir_.File("fixed"), "load", dump});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  auto fixed = Database::Open(dir_.File("fixed"));
  ASSERT_OK(fixed);
  ASSERT_OK_AND_ASSIGN(t, (*fixed)->Trajectory("P3", "edss"));
  EXPECT_TRUE(t.empty());  // the retraction came along
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> h,
                       (*fixed)->History("P3", "edss", CivilTime::FromDay(18262)));
  EXPECT_EQ(h.size(), 2u);
}

}  // namespace
}  // namespace cotrack
