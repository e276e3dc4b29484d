// Export, dump and load: formats, round trips and de-identification.
#include "cotrack/export.h"

#include <cmath>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "codec/key_codec.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "cotrack/text.h"
#include "export/hmac.h"
#include "storage/store.h"
#include "support/test_support.h"
#include "text/json.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;

// ---- SHA-256 / HMAC against the published test vectors. ----

TEST(Hmac, Sha256MatchesFips180Vectors) {
  EXPECT_EQ(DigestHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(DigestHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(DigestHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hmac, HmacSha256MatchesRfc4231) {
  // Test case 2 (short key) and 6 (key longer than the block).
  EXPECT_EQ(DigestHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(DigestHex(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Deidentify, PseudonymsAndShiftsAreKeyedAndStable) {
  const std::string key = "0123456789abcdef-secret";
  EXPECT_EQ(PatientPseudonym(key, "P001"), PatientPseudonym(key, "P001"));
  EXPECT_NE(PatientPseudonym(key, "P001"), PatientPseudonym(key, "P002"));
  EXPECT_NE(PatientPseudonym(key, "P001"), PatientPseudonym(key + "x", "P001"));
  EXPECT_EQ(PatientPseudonym(key, "P001").size(), 18u);  // "p-" + 16 hex
  bool negative = false, positive = false;
  for (int i = 0; i < 2000; ++i) {
    const int shift = DateShiftDays(key, absl::StrCat("patient-", i));
    ASSERT_NE(shift, 0);
    ASSERT_GE(shift, -180);
    ASSERT_LE(shift, 180);
    negative |= shift < 0;
    positive |= shift > 0;
  }
  EXPECT_TRUE(negative && positive);
}

// ---- A database with every kind of content. ----

CivilTime Date(const char* text) { return *ParseCivilTime(text); }

ObservationInput Obs(std::string patient, std::string measure, const char* time, double value,
                     std::string source = "visits.csv", int64_t line = 2) {
  ObservationInput in;
  in.patient = std::move(patient);
  in.measure = std::move(measure);
  in.time = Date(time);
  in.value = value;
  in.provenance.source = std::move(source);
  in.provenance.line = line;
  return in;
}

// The original ids and dates, for the de-identification tests.
const char* const kIds[] = {"MS-Alpha-001", "MS-Beta-002", "T1D-Gamma-003"};
const char* const kDates[] = {"2021-01-15",          "2021-07-15", "2022-01-14", "2021-02-01",
                              "2021-02-01T08:30:00", "2021-08-02", "2020-12-01", "2021-03-10",
                              "2021-09-10",          "2020-11-20", "2021-05-05"};

void Populate(Database& db) {
  MeasureDefinition sixmwt;
  sixmwt.code = "walk6";
  sixmwt.name = "Six-minute walk distance";
  sixmwt.unit = "m";
  sixmwt.min = 0;
  sixmwt.max = 1000;
  sixmwt.direction = Direction::kHigherIsBetter;
  sixmwt.change_threshold = 30;
  sixmwt.loinc = {"64098-7"};
  sixmwt.description = "ATS 2002 guideline";
  ASSERT_OK(db.RegisterMeasure(sixmwt, Provenance{"api", 0, "alice", ""}));

  Patient a;
  a.id = kIds[0];
  a.arm = "aHSCT";
  a.index_date = Date("2020-12-01");
  a.treatment_dates = {Date("2021-05-05")};
  a.attributes = {{"site", "Uppsala clinic"}, {"note", "free text, with a comma"}};
  a.provenance.source = "patients.csv";
  a.provenance.line = 2;
  ASSERT_OK(db.PutPatient(a));
  Patient a2;  // a second version
  a2.id = kIds[0];
  a2.arm = "aHSCT-late";
  a2.provenance.source = "patients-v2.csv";
  ASSERT_OK(db.PutPatient(a2));
  Patient b;
  b.id = kIds[1];
  b.arm = "control";
  b.index_date = Date("2020-11-20");
  ASSERT_OK(db.PutPatient(b));

  Batch visit;
  visit.SetAudit("import", "visits.csv");
  visit.Record(Obs(kIds[0], "edss", "2021-01-15", 3.5, "visits.csv", 2));
  visit.Record(Obs(kIds[0], "edss", "2021-07-15", 3.0, "visits.csv", 3));
  visit.Record(Obs(kIds[0], "edss", "2022-01-14", 2.5, "visits.csv", 4));
  // A total given with one item unanswered.
  ObservationInput ais = Obs(kIds[0], "ais", "2021-01-15", 10, "visits.csv", 2);
  ais.items = {1, 2, 0, 3, 1, NAN, 2, 1};
  ais.visit = "M0";
  visit.Record(ais);
  ObservationInput il4 = Obs(kIds[1], "il4", "2021-02-01", 0.5, "lab.csv", 7);
  il4.comparator = Comparator::kLess;
  il4.original_value = "<0.5";
  visit.Record(il4);
  visit.Record(Obs(kIds[1], "il4", "2021-08-02", 3.25, "lab.csv", 8));
  ObservationInput hba1c = Obs(kIds[2], "hba1c", "2021-02-01T08:30:00", 53, "lab.csv", 9);
  hba1c.unit = "mmol/mol";
  hba1c.visit = "baseline";
  visit.Record(hba1c);
  visit.Record(Obs(kIds[2], "walk6", "2021-03-10", 412, "walk.csv", 2));
  visit.Record(Obs(kIds[2], "walk6", "2021-09-10", 455.5, "walk.csv", 3));
  ASSERT_OK(db.Apply(visit));

  // A correction and a retraction.
  ASSERT_OK(db.Record(Obs(kIds[0], "edss", "2021-07-15", 4.0, "corrections.csv", 5)));
  ASSERT_OK(db.Retract(kIds[0], "edss", Date("2022-01-14"),
                       Provenance{"cli", 0, "bob", "wrong patient"}));
  ASSERT_OK(db.Record(Obs(kIds[2], "walk6", "2021-09-10", 460, "walk-fix.csv", 3)));
}

std::string ExportText(Database& db, ExportOptions options) {
  std::ostringstream out;
  absl::StatusOr<ExportSummary> s = Export(db, options, out);
  EXPECT_OK(s);
  return out.str();
}

std::string DumpText(const std::string& path) {
  std::ostringstream out;
  EXPECT_OK(DumpDatabase(path, Options(), out));
  return out.str();
}

std::vector<ExportOptions> AllExports(const std::string& key) {
  std::vector<ExportOptions> all;
  for (ExportFormat f : {ExportFormat::kCsv, ExportFormat::kNdjson, ExportFormat::kFhir}) {
    ExportOptions o;
    o.format = f;
    o.fhir_patients = f == ExportFormat::kFhir;
    all.push_back(o);
    o.deidentify_key = key;
    all.push_back(o);
  }
  return all;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.user = "tester";
    auto db = Database::Open(dir_.File("db"), options);
    ASSERT_OK(db);
    db_ = *std::move(db);
    ASSERT_NO_FATAL_FAILURE(Populate(*db_));
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
  const std::string key_ = "a-secret-key-of-32-bytes-0123456";
};

TEST_F(ExportTest, CsvHasTrajectoryColumnsAndOnlyCurrentValues) {
  ExportOptions options;
  options.measures = {"edss"};
  const std::string csv = ExportText(*db_, options);
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << csv;  // header + 2 (the retracted 2022 value is left out)
  EXPECT_EQ(lines[0],
            "patient,measure,date,value,unit,comparator,visit,status,version,recorded_at");
  EXPECT_TRUE(absl::StartsWith(lines[1], "MS-Alpha-001,edss,2021-01-15,3.5,score,,,final,1,20"))
      << lines[1];
  EXPECT_TRUE(absl::StartsWith(lines[2], "MS-Alpha-001,edss,2021-07-15,4,score,,,amended,2,20"))
      << lines[2];
  EXPECT_FALSE(absl::StrContains(csv, "2022-01-14"));
}

TEST_F(ExportTest, NdjsonMatchesTrajectoryJsonColumns) {
  ExportOptions options;
  options.format = ExportFormat::kNdjson;
  options.measures = {"il4"};
  const std::string text = ExportText(*db_, options);
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(
      lines[0],
      R"({"patient":"MS-Beta-002","measure":"il4","date":"2021-02-01","value":0.5,"unit":"pg/mL","comparator":"<","visit":null,"status":"final","version":1,"recorded_at":"20)"))
      << lines[0];
}

TEST_F(ExportTest, FhirObservationsCarryLoincUcumAndComparator) {
  ExportOptions options;
  options.format = ExportFormat::kFhir;
  options.fhir_patients = true;
  const std::string text = ExportText(*db_, options);
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  int observations = 0, patients = 0;
  for (const std::string& line : lines) {
    ASSERT_OK_AND_ASSIGN(json::Value v, json::Parse(line));
    ASSERT_OK_AND_ASSIGN(std::string type, json::GetString(v, "resourceType"));
    if (type == "Patient") {
      ++patients;
      continue;
    }
    ++observations;
    ASSERT_EQ(type, "Observation");
    ASSERT_OK_AND_ASSIGN(std::string id, json::GetString(v, "id"));
    EXPECT_TRUE(absl::StartsWith(id, "obs-"));
    ASSERT_OK_AND_ASSIGN(std::string status, json::GetString(v, "status"));
    EXPECT_TRUE(status == "final" || status == "amended");
    ASSERT_NE(v.Find("valueQuantity"), nullptr);
    // UCUM only where the unit is UCUM: EDSS "score" is a word.
    ASSERT_OK_AND_ASSIGN(std::string unit, json::GetString(*v.Find("valueQuantity"), "unit"));
    ASSERT_OK_AND_ASSIGN(std::string system,
                         json::GetOptionalString(*v.Find("valueQuantity"), "system"));
    EXPECT_EQ(system, unit == "score" ? "" : "http://unitsofmeasure.org") << unit;
  }
  EXPECT_EQ(patients, 3);
  EXPECT_EQ(observations, 8);  // 11 recorded, 1 retracted, 2 corrections of existing values
  EXPECT_THAT(text, HasSubstr(R"("coding":[{"system":"http://loinc.org","code":"4548-4"},)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"({"system":"https://cotrack.example/fhir/CodeSystem/measure","code":"walk6")"));
  EXPECT_THAT(text, HasSubstr(R"("effectiveDateTime":"2021-02-01")"));
  EXPECT_THAT(text, HasSubstr(R"("valueTime":"08:30:00")"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"("valueQuantity":{"value":0.5,"comparator":"<","unit":"pg/mL","system":"http://unitsofmeasure.org","code":"pg/mL"})"));
  EXPECT_THAT(text, HasSubstr(R"("valueQuantity":{"value":3.5,"unit":"score"})"));
  EXPECT_THAT(text, HasSubstr(R"("subject":{"reference":"Patient/MS-Alpha-001","identifier":)"));
  // A user measure's own LOINC code is written (the code table knows none).
  EXPECT_THAT(text, HasSubstr(R"("coding":[{"system":"http://loinc.org","code":"64098-7"},)"));
}

TEST_F(ExportTest, FhirIdsAreStable) {
  ExportOptions options;
  options.format = ExportFormat::kFhir;
  const std::string first = ExportText(*db_, options);
  ASSERT_OK(db_->Record(Obs(kIds[1], "il4", "2021-08-02", 3.5, "lab2.csv", 8)));  // a correction
  const std::string second = ExportText(*db_, options);
  auto ids = [](const std::string& text) {
    std::vector<std::string> out;
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      out.push_back(json::GetString(*json::Parse(line), "id").value());
    }
    return out;
  };
  EXPECT_NE(first, second);
  EXPECT_EQ(ids(first), ids(second));
}

TEST_F(ExportTest, ExportFiltersByPatientAndRejectsUnknowns) {
  ExportOptions options;
  options.patient = kIds[2];
  const std::string csv = ExportText(*db_, options);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);  // header, hba1c, 2 x walk6
  EXPECT_FALSE(absl::StrContains(csv, kIds[0]));
  std::ostringstream out;
  options.patient = "nobody";
  EXPECT_THAT(Export(*db_, options, out), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  options.patient.reset();
  options.measures = {"nosuch"};
  EXPECT_THAT(Export(*db_, options, out),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nosuch")));
}

TEST_F(ExportTest, DumpHoldsEveryVersionAndAuditEntry) {
  const std::string dump = DumpText(dir_.File("db"));
  std::vector<std::string> lines = absl::StrSplit(dump, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u);
  EXPECT_TRUE(
      absl::StartsWith(lines.front(), R"({"type":"header","format":"cotrack-dump","version":1,)"));
  EXPECT_TRUE(absl::StartsWith(lines.back(), R"({"type":"end",)"));
  int observations = 0, patients = 0, audits = 0, measures = 0;
  for (const std::string& line : lines) {
    observations += absl::StartsWith(line, R"({"type":"observation")");
    patients += absl::StartsWith(line, R"({"type":"patient")");
    audits += absl::StartsWith(line, R"({"type":"audit")");
    measures += absl::StartsWith(line, R"({"type":"measure")");
  }
  EXPECT_EQ(observations, 12);  // 9 values + 2 corrections + 1 retraction
  EXPECT_EQ(patients, 4);       // MS-Alpha-001 has two versions
  EXPECT_EQ(measures, 1);
  ASSERT_OK_AND_ASSIGN(auto audit, db_->AuditLog());
  EXPECT_EQ(audits, static_cast<int>(audit.size()));
  EXPECT_THAT(dump, HasSubstr(R"("reason":"wrong patient")"));
  EXPECT_THAT(dump, HasSubstr(R"("items":[1,2,0,3,1,null,2,1])"));
  EXPECT_THAT(dump, HasSubstr(R"("original_value":"<0.5")"));
  EXPECT_THAT(
      dump,
      HasSubstr(R"("attributes":{"note":"free text, with a comma","site":"Uppsala clinic"})"));
}

TEST_F(ExportTest, DumpLoadRoundTripIsIdentical) {
  const std::string dump = DumpText(dir_.File("db"));
  std::vector<std::string> exports;
  for (const ExportOptions& o : AllExports(key_)) exports.push_back(ExportText(*db_, o));
  db_.reset();

  std::istringstream in(dump);
  ASSERT_OK_AND_ASSIGN(DumpSummary loaded,
                       LoadDatabase(in, "dump.ndjson", dir_.File("copy"), Options()));
  EXPECT_EQ(loaded.patients, 3);
  EXPECT_EQ(loaded.patient_versions, 4);
  EXPECT_EQ(loaded.observation_versions, 12);
  EXPECT_EQ(loaded.measures, 1);

  // `cotrack check` finds nothing wrong.
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckDatabase(dir_.File("copy")));
  EXPECT_TRUE(report.problems.empty()) << report.problems.front().message;
  EXPECT_EQ(report.observations, 9u);

  EXPECT_EQ(DumpText(dir_.File("copy")), dump);
  Options ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto copy, Database::Open(dir_.File("copy"), ro));
  std::vector<ExportOptions> all = AllExports(key_);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(ExportText(*copy, all[i]), exports[i]) << "export " << i;
  }
  ASSERT_OK_AND_ASSIGN(auto history, copy->History(kIds[0], "edss", Date("2022-01-14")));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].status, ObservationStatus::kEnteredInError);
  EXPECT_EQ(history[1].provenance.user, "bob");
}

// Every record, index entry and counter stored in `path`, by family and key;
// not the series ends and receipts, which only speed up later writes.
std::map<std::string, std::string> StoredRecords(const std::string& path) {
  StoreOptions so;
  so.create_if_missing = false;
  so.read_only = true;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, so);
  EXPECT_OK(store);
  std::map<std::string, std::string> out;
  if (!store.ok()) return out;
  for (int f = 0; f < kFamilyCount; ++f) {
    const Family family = static_cast<Family>(f);
    EXPECT_OK((*store)->Scan(
        nullptr, family, "", "", [&](absl::string_view key, absl::string_view value) {
          if (family == Family::kMeta && (absl::StartsWith(key, keys::kSeriesEndsBegin) ||
                                          absl::StartsWith(key, keys::kReceiptsBegin))) {
            return true;
          }
          out[absl::StrCat(f, ":", absl::CHexEscape(key))] = std::string(value);
          return true;
        }));
  }
  return out;
}

TEST_F(ExportTest, LoadStoresWhatTheDumpedWritesStored) {
  const std::string dump = DumpText(dir_.File("db"));
  db_.reset();
  std::istringstream in(dump);
  ASSERT_OK(LoadDatabase(in, "dump", dir_.File("copy"), Options()));
  // The same patient numbers, counters and records, byte for byte: a load
  // numbers and encodes as the writes did.
  const std::map<std::string, std::string> written = StoredRecords(dir_.File("db"));
  const std::map<std::string, std::string> loaded = StoredRecords(dir_.File("copy"));
  EXPECT_GT(written.size(), 10u);
  for (const auto& [key, value] : written) {
    auto it = loaded.find(key);
    if (it == loaded.end()) {
      ADD_FAILURE() << "not loaded: " << key;
    } else {
      EXPECT_EQ(absl::BytesToHexString(it->second), absl::BytesToHexString(value)) << key;
    }
  }
  for (const auto& [key, value] : loaded) EXPECT_TRUE(written.count(key)) << "extra: " << key;
}

TEST_F(ExportTest, LoadedDatabaseTakesNewWrites) {
  const std::string dump = DumpText(dir_.File("db"));
  std::istringstream in(dump);
  ASSERT_OK(LoadDatabase(in, "dump", dir_.File("copy"), Options()));
  ASSERT_OK_AND_ASSIGN(auto copy, Database::Open(dir_.File("copy")));
  // Counters continue: a new patient, a new measure and new versions fit in.
  ASSERT_OK(copy->Record(Obs("New-004", "edss", "2023-01-01", 1.0)));
  ASSERT_OK(copy->Record(Obs(kIds[0], "edss", "2021-07-15", 4.5)));
  MeasureDefinition m;
  m.code = "grip";
  m.name = "Grip strength";
  m.unit = "kg";
  m.max = 100;
  ASSERT_OK(copy->RegisterMeasure(m, Provenance()));
  ASSERT_OK_AND_ASSIGN(auto h, copy->History(kIds[0], "edss", Date("2021-07-15")));
  EXPECT_EQ(h.back().version, 3u);
  ASSERT_OK_AND_ASSIGN(auto walk, copy->Trajectory(kIds[2], "walk6"));
  EXPECT_EQ(walk.size(), 2u);
  copy.reset();
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckDatabase(dir_.File("copy")));
  EXPECT_TRUE(report.problems.empty()) << report.problems.front().message;
}

TEST_F(ExportTest, LoadRefusesNonEmptyDatabase) {
  const std::string dump = DumpText(dir_.File("db"));
  db_.reset();
  std::istringstream in(dump);
  EXPECT_THAT(LoadDatabase(in, "dump", dir_.File("db"), Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already holds data")));
  // ... but an opened, never written database is empty.
  { ASSERT_OK(Database::Open(dir_.File("fresh")).status()); }
  std::istringstream again(dump);
  EXPECT_OK(LoadDatabase(again, "dump", dir_.File("fresh"), Options()));
}

TEST_F(ExportTest, LoadRejectsTruncatedOrDamagedDumps) {
  const std::string dump = DumpText(dir_.File("db"));
  const std::string truncated = dump.substr(0, dump.rfind("{\"type\":\"end\""));
  std::istringstream in(truncated);
  EXPECT_THAT(LoadDatabase(in, "d.ndjson", dir_.File("t1"), Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));

  std::string bad = dump;
  const size_t at = bad.find(R"("version":2)");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, 11, R"("version":5)");
  std::istringstream in2(bad);
  EXPECT_THAT(LoadDatabase(in2, "d.ndjson", dir_.File("t2"), Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("d.ndjson:")));

  std::istringstream in3("{\"type\":\"patient\"}\n");
  EXPECT_THAT(LoadDatabase(in3, "x.json", dir_.File("t3"), Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x.json:1: ")));
}

TEST_F(ExportTest, DeidentifiedExportKeepsNoIdDateOrFreeText) {
  for (const ExportOptions& o : AllExports(key_)) {
    if (!o.deidentify_key) continue;
    const std::string text = ExportText(*db_, o);
    ASSERT_FALSE(text.empty());
    for (const char* id : kIds) EXPECT_FALSE(absl::StrContains(text, id)) << id << "\n" << text;
    for (const char* date : kDates) {
      EXPECT_FALSE(absl::StrContains(text, date)) << date << "\n" << text;
    }
    for (const char* free_text : {"Uppsala", "free text", "visits.csv", "lab.csv", "wrong patient",
                                  "tester", "bob", "recorded_at\":\"", "issued"}) {
      EXPECT_FALSE(absl::StrContains(text, free_text)) << free_text;
    }
    EXPECT_THAT(text, HasSubstr(PatientPseudonym(key_, kIds[0])));
  }
}

TEST_F(ExportTest, DeidentifiedDatesKeepIntervalsWithinAPatient) {
  ExportOptions o;
  o.format = ExportFormat::kNdjson;
  o.measures = {"edss"};
  o.deidentify_key = key_;
  const std::string text = ExportText(*db_, o);
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  const int shift = DateShiftDays(key_, kIds[0]);
  const CivilTime first = *ParseCivilTime(*json::GetString(*json::Parse(lines[0]), "date"));
  const CivilTime second = *ParseCivilTime(*json::GetString(*json::Parse(lines[1]), "date"));
  EXPECT_EQ(first.day(), Date("2021-01-15").day() + shift);
  EXPECT_EQ(second.day() - first.day(), Date("2021-07-15").day() - Date("2021-01-15").day());
  // Same key, same output; another key, other pseudonyms.
  EXPECT_EQ(ExportText(*db_, o), text);
  o.deidentify_key = key_ + "2";
  EXPECT_NE(ExportText(*db_, o), text);
}

}  // namespace
}  // namespace cotrack

namespace cotrack {
namespace {

// A database whose records are all in table files, exported read-only, as
// `cotrack export` does: several measures in one process read each patient
// record several times.
absl::Status ExportCompacted(size_t row_cache_bytes, bool read_only = true) {
  TempDir dir;
  {
    auto db = Database::Open(dir.File("db"));
    if (!db.ok()) return db.status();
    for (const ObservationInput& in :
         {Obs("A", "edss", "2021-01-01", 2), Obs("A", "hba1c", "2021-01-01", 6),
          Obs("B", "edss", "2021-01-01", 2)}) {
      if (auto s = (*db)->Record(in); !s.ok()) return s.status();
    }
    if (absl::Status s = (*db)->Compact(); !s.ok()) return s;
  }
  Options o;
  o.read_only = read_only;
  o.row_cache_bytes = row_cache_bytes;
  auto db = Database::Open(dir.File("db"), o);
  if (!db.ok()) return db.status();
  std::ostringstream out;
  absl::StatusOr<ExportSummary> s = Export(**db, ExportOptions(), out);
  if (!s.ok()) return s.status();
  return s->observations == 3 ? absl::OkStatus() : absl::InternalError(out.str());
}

TEST(ExportReopenTest, ReadOnlyCompactedDatabase) { EXPECT_OK(ExportCompacted(0)); }

// With RocksDB 7.8 (Debian) a row cache makes the second snapshot read of a
// patient record in a read-only database say "not found" ("series hba1c
// refers to patient record 1 which does not exist"): the storage layer opens
// read-only databases without one, whatever Options ask.
TEST(ExportReopenTest, ReadOnlyWithRowCacheRequested) { EXPECT_OK(ExportCompacted(64 << 20)); }

TEST(ExportReopenTest, ReadWriteWithRowCache) {
  EXPECT_OK(ExportCompacted(64 << 20, /*read_only=*/false));
}

}  // namespace
}  // namespace cotrack
