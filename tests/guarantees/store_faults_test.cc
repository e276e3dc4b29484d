// DESIGN.md §3 when the storage underneath fails: a write the store could
// not make leaves nothing behind and says why (§3.1, §3.2); damage the store
// reports, or damage it missed, is DataLoss and never data (§3.4); a read that
// fails mid-query is an error, never a shorter or older answer. The faults
// come from a fault-injecting store under a real database
// (support/fault_store.h): the paths only the crash campaign and fuzzing
// reached before, each at a chosen call.
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codec/key_codec.h"
#include "cotrack/database.h"
#include "cotrack/export.h"
#include "cotrack/maintenance.h"
#include "db/series_ends.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "support/fault_store.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

namespace fs = std::filesystem;
using ::cotrack::testing::Faults;
using ::cotrack::testing::FaultStores;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::StoreCorruption;
using ::cotrack::testing::StoreIoError;
using ::cotrack::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int kPatients = 8;
constexpr int64_t kDay0 = 19000;
constexpr uint32_t kEdss = 1;  // the built-in measure id of edss (codec/key_codec.h)

// RocksDB's words for the faults, so that a test can tell its fault from any
// other error.
constexpr char kDiskFull[] = "While appending to file: 000009.log: No space left on device";
constexpr char kBadSector[] = "While pread offset 4096 len 4036: 000012.sst: Input/output error";

std::string PatientId(int i) { return absl::StrCat("P", i); }

ObservationInput Obs(const std::string& patient, const std::string& measure, int64_t day,
                     double value) {
  ObservationInput in;
  in.patient = patient;
  in.measure = measure;
  in.time = CivilTime::FromDay(day);
  in.value = value;
  return in;
}

// A user measure.
MeasureDefinition Grip() {
  MeasureDefinition m;
  m.code = "grip";
  m.name = "Grip strength";
  m.unit = "kg";
  m.min = 0;
  m.max = 100;
  return m;
}

std::string Describe(const std::vector<Observation>& obs) {
  std::string out;
  for (const Observation& o : obs) {
    absl::StrAppend(&out, o.patient, " ", o.measure, " ", FormatCivilTime(o.time), " ", o.value,
                    " v", o.version, " ", static_cast<int>(o.status), "\n");
  }
  return out;
}

std::string Describe(const std::vector<Patient>& patients) {
  std::string out;
  for (const Patient& p : patients) absl::StrAppend(&out, p.id, " ", p.arm, " v", p.version, "\n");
  return out;
}

std::string Describe(const std::vector<AuditRecord>& audit) {
  std::string out;
  for (const AuditRecord& a : audit) {
    absl::StrAppend(&out, a.sequence, " ", a.action, " ", a.patients.size(), " ", a.summary.written,
                    "\n");
  }
  return out;
}

std::string Describe(const CheckReport& report) {
  std::string out;
  for (const CheckProblem& p : report.problems) {
    absl::StrAppend(&out, p.family, " [", p.key, "] ", p.patient, ": ", p.message, "\n");
  }
  return out;
}

// A database of kPatients patients (P1..Pn, numbered 1..n in that order)
// with edss and hba1c at three visits, whose store sits behind a FaultStore.
class StoreFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scope_ = std::make_unique<FaultStores>(faults_);
    Open();
    ASSERT_NE(db_, nullptr);
    Batch batch;
    for (int p = 1; p <= kPatients; ++p) {
      for (int v = 0; v < 3; ++v) {
        batch.Record(Obs(PatientId(p), "edss", kDay0 + 90 * v, 1.0 + 0.5 * ((p + v) % 8)));
        batch.Record(Obs(PatientId(p), "hba1c", kDay0 + 90 * v, 5.5 + 0.1 * p));
      }
    }
    ASSERT_OK(db_->Apply(batch));
  }

  void TearDown() override {
    db_.reset();
    scope_.reset();
  }

  void Open() {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.path(), options_);
    ASSERT_OK(db);
    db_ = *std::move(db);
  }

  // Every record of the database, every version and the audit log, as
  // `cotrack dump` writes it: equal dumps, equal databases.
  std::string Dump() {
    std::ostringstream out;
    EXPECT_OK(DumpDatabase(dir_.path(), options_, out));
    return out.str();
  }

  // `cotrack check` finds nothing wrong.
  void ExpectClean() {
    faults_->Clear();
    absl::StatusOr<CheckReport> report = CheckDatabase(dir_.path(), options_);
    ASSERT_OK(report);
    EXPECT_TRUE(report->problems.empty()) << Describe(*report);
  }

  // Staging directories of ingested writes left in the database directory.
  std::vector<std::string> StagingLeft() {
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(dir_.path())) {
      if (absl::StartsWith(e.path().filename().string(), ".ingest-")) {
        left.push_back(e.path().string());
      }
    }
    return left;
  }

  TempDir dir_;
  Options options_;
  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
  std::unique_ptr<FaultStores> scope_;
  std::unique_ptr<Database> db_;
};

// ---- Writes ----

TEST_F(StoreFaultsTest, AFailedWriteLeavesNothingAndSaysWhy) {
  const std::string before = Dump();
  // A new patient's visit writes series, series ends, the id index, a
  // registration, counters and an audit entry: all or nothing.
  const std::vector<ObservationInput> visit = {Obs("P99", "edss", kDay0, 3.5),
                                               Obs("P99", "hba1c", kDay0, 6.1)};
  faults_->FailWrite(1, StoreIoError("write", kDiskFull));
  EXPECT_THAT(db_->RecordVisit(visit),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("No space left on device")));
  EXPECT_EQ(faults_->fired(), 1);
  faults_->Clear();
  EXPECT_EQ(Dump(), before);
  EXPECT_THAT(db_->GetPatient("P99"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("P99")));

  // Once the disk has room the same call succeeds, once, and takes the next
  // numbers: no patient number or audit sequence number was spent on the
  // failed attempt (check verifies both run without gaps).
  ASSERT_OK_AND_ASSIGN(WriteSummary done, db_->RecordVisit(visit));
  EXPECT_EQ(done.written, 2);
  ASSERT_OK_AND_ASSIGN(auto audit, db_->AuditLog());
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit.back().sequence, 2u);
  ExpectClean();
  db_.reset();
  Open();
  ASSERT_OK_AND_ASSIGN(auto p99, db_->Trajectory("P99", "edss"));
  EXPECT_EQ(p99.size(), 1u);
}

// A patient numbered by a write gets series ends that list every series it
// has, so a measure they do not list has nothing stored: its first value
// is written without reading the series. A patient whose record is not
// complete (written before records could be) still has that series read.
TEST_F(StoreFaultsTest, ANewPatientsFirstValueOfAMeasureReadsNoSeries) {
  // Every read of the series family fails from now on.
  faults_->FailReads(Family::kSeries, "", StoreIoError("read series", kBadSector));
  ASSERT_OK_AND_ASSIGN(WriteSummary visit, db_->RecordVisit({Obs("P3", "ais", kDay0 + 365, 4),
                                                             Obs("P3", "edss", kDay0 + 365, 2.5)}));
  EXPECT_EQ(visit.written, 2);
  // A registration alone gives a complete record too.
  Batch registration;
  Patient p9;
  p9.id = "P9";
  p9.arm = "placebo";
  registration.PutPatient(p9);
  ASSERT_OK(db_->Apply(registration));
  ASSERT_OK_AND_ASSIGN(visit, db_->RecordVisit({Obs("P9", "hba1c", kDay0, 6.0)}));
  EXPECT_EQ(visit.written, 1);
  // A date the series has reached is still compared with what is stored.
  EXPECT_THAT(db_->Record(Obs("P3", "ais", kDay0 + 365, 5)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Input/output error")));

  // P5's record as an older engine left it: its ends, without the marker.
  db_.reset();
  {
    auto store = Store::Open(dir_.path(), StoreOptions());
    ASSERT_OK(store);
    SeriesEnds ends;                     // not complete
    for (uint32_t measure : {1u, 5u}) {  // edss, hba1c: both at the third visit
      ends.Set(measure, CivilTime::FromDay(kDay0 + 180).seconds);
    }
    auto batch = (*store)->NewBatch();
    batch->Put(Family::kMeta, keys::SeriesEndsKey(5), ends.Encode());
    ASSERT_OK((*store)->Write(*batch, true));
  }
  Open();
  faults_->FailReads(Family::kSeries, "", StoreIoError("read series", kBadSector));
  EXPECT_THAT(db_->Record(Obs("P5", "ais", kDay0 + 365, 4)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Input/output error")));
  ASSERT_OK_AND_ASSIGN(visit, db_->Record(Obs("P5", "edss", kDay0 + 365, 3.0)));  // listed
  EXPECT_EQ(visit.written, 1);
  faults_->Clear();
  ASSERT_OK_AND_ASSIGN(visit, db_->Record(Obs("P5", "ais", kDay0 + 365, 4)));
  EXPECT_EQ(visit.written, 1);
  ASSERT_OK_AND_ASSIGN(visit, db_->Record(Obs("P3", "ais", kDay0 + 365, 4)));
  EXPECT_EQ(visit.unchanged, 1);
  ExpectClean();
}

// A handle remembers the series ends its writes read or stored: a second
// visit to a patient reads neither its number nor its series ends. A large
// (ingested) write makes it forget its patients, so a value at a date that
// write reached is still compared with the stored one.
TEST_F(StoreFaultsTest, AHandleRemembersSeriesEndsAndALargeWriteMakesItForget) {
  db_.reset();
  options_.bulk_ingest_threshold = 10;
  Open();
  ASSERT_OK(db_->Record(Obs("P3", "edss", kDay0 + 200, 2.0)));  // logged: P3 remembered
  faults_->FailReads(Family::kMeta, keys::SeriesEndsKey(3), StoreIoError("read", kBadSector));
  faults_->FailReads(Family::kPatientIds, "P3", StoreIoError("read", kBadSector));
  ASSERT_OK_AND_ASSIGN(WriteSummary visit, db_->RecordVisit({Obs("P3", "edss", kDay0 + 210, 2.5),
                                                             Obs("P3", "ais", kDay0 + 210, 3)}));
  EXPECT_EQ(visit.written, 2);
  // Another handle knows nothing yet: its first write to P3 reads them.
  db_.reset();
  Open();
  EXPECT_THAT(db_->Record(Obs("P3", "edss", kDay0 + 220, 3.0)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Input/output error")));
  faults_->Clear();
  ASSERT_OK(db_->Record(Obs("P3", "edss", kDay0 + 220, 3.0)));  // remembered again

  // 12 changes: table files, P3's edss now ending at day +300.
  Batch large;
  for (int p = 1; p <= 6; ++p) {
    large.Record(Obs(PatientId(p), "edss", kDay0 + 300, 4.0));
    large.Record(Obs(PatientId(p), "hba1c", kDay0 + 300, 6.0));
  }
  ASSERT_OK_AND_ASSIGN(WriteSummary ingested, db_->Apply(large));
  EXPECT_EQ(ingested.written, 12);
  ASSERT_OK_AND_ASSIGN(WriteSummary same, db_->Record(Obs("P3", "edss", kDay0 + 300, 4.0)));
  EXPECT_EQ(same.unchanged, 1);
  EXPECT_EQ(same.written, 0);
  ExpectClean();
}

TEST_F(StoreFaultsTest, AFailedMeasureRegistrationRegistersNothing) {
  MeasureDefinition m = Grip();
  const std::string before = Dump();
  faults_->FailWrite(1, StoreIoError("write", kDiskFull));
  EXPECT_THAT(db_->RegisterMeasure(m, Provenance()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("No space left on device")));
  faults_->Clear();
  EXPECT_THAT(db_->GetMeasure("grip"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("grip")));
  EXPECT_THAT(db_->Record(Obs("P1", "grip", kDay0, 30)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grip")));
  EXPECT_EQ(Dump(), before);

  ASSERT_OK(db_->RegisterMeasure(m, Provenance()));
  ASSERT_OK(db_->Record(Obs("P1", "grip", kDay0, 30)));
  ExpectClean();
  db_.reset();
  Open();
  ASSERT_OK_AND_ASSIGN(auto grip, db_->Trajectory("P1", "grip"));
  EXPECT_EQ(grip.size(), 1u);
}

// An import-sized bulk write: corrections of existing values, a registration
// update and many new patients (enough for the commit to read their series
// ends in one scan), committed as one write.
absl::StatusOr<WriteSummary> BulkImport(Database& db) {
  absl::StatusOr<std::unique_ptr<BulkWrite>> bulk =
      db.BeginBulkWrite(WriteOptions(), "import", "faults.csv");
  if (!bulk.ok()) return bulk.status();
  Batch batch;
  for (int p = 1; p <= kPatients; ++p) {
    batch.Record(Obs(PatientId(p), "edss", kDay0 + 90, 9.5));  // a new version
    batch.Record(Obs(PatientId(p), "edss", kDay0 + 360, 2.0));
  }
  Patient update;
  update.id = "P2";
  update.arm = "placebo";
  batch.PutPatient(update);
  for (int p = 100; p < 180; ++p) {
    batch.Record(Obs(PatientId(p), "edss", kDay0, 3.0));
    batch.Record(Obs(PatientId(p), "hba1c", kDay0, 6.0));
  }
  if (absl::Status s = (*bulk)->Add(batch, nullptr); !s.ok()) return s;
  return (*bulk)->Commit();
}

// Both ways a bulk write commits: a logged write batch, or table files
// ingested at once (bulk_ingest_threshold).
class BulkCommitFaultsTest : public StoreFaultsTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    options_.bulk_ingest_threshold = GetParam() ? 1 : 1 << 30;
    StoreFaultsTest::SetUp();
  }
};

// Every write the bulk write makes fails in turn (it makes one: the commit
// is a single atomic write): each time it fails with that error and the
// database is exactly as before.
TEST_P(BulkCommitFaultsTest, AWriteFailureAnywhereInTheCommitLeavesTheDatabaseAsBefore) {
  const std::string before = Dump();
  int failed = 0;
  for (int n = 1;; ++n) {
    ASSERT_LT(n, 100) << "the bulk write never got through";
    faults_->Clear();
    const int64_t fired = faults_->fired();
    faults_->FailWrite(n, StoreIoError("write", kDiskFull));
    absl::StatusOr<WriteSummary> done = BulkImport(*db_);
    if (done.ok()) {
      ASSERT_EQ(faults_->fired(), fired) << "write " << n << " failed, yet the write succeeded";
      EXPECT_EQ(done->corrected, kPatients);
      EXPECT_EQ(done->written, kPatients + 160);
      break;
    }
    EXPECT_THAT(done,
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("No space left on device")))
        << "write " << n;
    faults_->Clear();
    ASSERT_EQ(Dump(), before) << "after a failure of write " << n;
    EXPECT_THAT(StagingLeft(), ::testing::IsEmpty()) << "write " << n;
    ++failed;
  }
  EXPECT_GE(failed, 1);
  ExpectClean();
}

// Every read the commit makes (the id index, series ends, stored versions,
// registrations) fails in turn: each time the bulk write fails with that
// error and the database is exactly as before.
TEST_P(BulkCommitFaultsTest, AReadFailureAnywhereInTheCommitLeavesTheDatabaseAsBefore) {
  const std::string before = Dump();
  int failed = 0;
  for (int n = 1;; ++n) {
    ASSERT_LT(n, 1000) << "the bulk write never got through";
    faults_->Clear();
    const int64_t fired = faults_->fired();
    faults_->FailRead(n, StoreIoError("read series", kBadSector), /*after_entries=*/1);
    absl::StatusOr<WriteSummary> done = BulkImport(*db_);
    if (done.ok()) {
      // Only when the nth read was never made: a failed read must not be
      // shrugged off.
      ASSERT_EQ(faults_->fired(), fired) << "read " << n << " failed, yet the write succeeded";
      break;
    }
    EXPECT_THAT(done, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Input/output error")))
        << "read " << n;
    faults_->Clear();
    ASSERT_EQ(Dump(), before) << "after a failure of read " << n;
    EXPECT_THAT(StagingLeft(), ::testing::IsEmpty()) << "read " << n;
    ++failed;
  }
  EXPECT_GT(failed, kPatients) << "the commit made fewer reads than expected";
  ExpectClean();
}

INSTANTIATE_TEST_SUITE_P(LoggedAndIngested, BulkCommitFaultsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Ingested" : "Logged";
                         });

TEST_F(StoreFaultsTest, AnIngestedWriteThatCannotStageFailsCleanly) {
  db_.reset();
  options_.bulk_ingest_threshold = 1;
  Open();
  const std::string before = Dump();
  faults_->FailIngestBatches(
      absl::UnavailableError("cannot create a staging directory in the database: No space left"));
  EXPECT_THAT(BulkImport(*db_), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("staging")));
  faults_->Clear();
  EXPECT_EQ(Dump(), before);
  ASSERT_OK(BulkImport(*db_));
  ExpectClean();
}

// ---- Reads ----

// Damage RocksDB reports (a block whose checksum does not match) names the
// damaged file and tells the user how to see all of it.
TEST_F(StoreFaultsTest, DamageTheStoreReportsIsDataLossNamingTheFileAndTheFix) {
  const std::string file = dir_.File("000012.sst");
  faults_->FailReads(Family::kSeries, keys::SeriesKey(kEdss, 3),
                     StoreCorruption("read series", absl::StrCat("block checksum mismatch: stored "
                                                                 "= 1, computed = 2 in ",
                                                                 file, " offset 0 size 4036")));
  const auto damaged =
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr(file), HasSubstr("damaged"), HasSubstr("cotrack check")));
  EXPECT_THAT(db_->Trajectory("P3", "edss"), damaged);
  EXPECT_THAT(db_->Latest("P3", "edss"), damaged);
  EXPECT_THAT(db_->Visit("P3", CivilTime::FromDay(kDay0)), damaged);
  EXPECT_THAT(db_->LatestAll("P3"), damaged);
  EXPECT_THAT(db_->History("P3", "edss", CivilTime::FromDay(kDay0)), damaged);
  std::vector<std::string> visited;
  EXPECT_THAT(db_->ForEachSeries("edss",
                                 [&](const Patient& p, const std::vector<Observation>&) {
                                   visited.push_back(p.id);
                                   return absl::OkStatus();
                                 }),
              damaged);
  // The neighbours are intact and still read.
  ASSERT_OK_AND_ASSIGN(auto p4, db_->Trajectory("P4", "edss"));
  EXPECT_EQ(p4.size(), 3u);
  ASSERT_OK_AND_ASSIGN(auto p3, db_->Trajectory("P3", "hba1c"));
  EXPECT_EQ(p3.size(), 3u);
}

// Damage nothing below noticed (bytes that changed on their way up) is
// caught by the record checksums: DataLoss naming the patient, never a value.
TEST_F(StoreFaultsTest, DamagedBytesAreDataLossNamingThePatientNeverData) {
  faults_->DamageReads(Family::kSeries, keys::SeriesKey(kEdss, 3));
  const auto damaged =
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr("\"P3\""), HasSubstr("edss"), HasSubstr("damaged")));
  EXPECT_THAT(db_->Trajectory("P3", "edss"), damaged);
  EXPECT_THAT(db_->Visit("P3", CivilTime::FromDay(kDay0)), damaged);
  EXPECT_THAT(db_->LatestAll("P3"), damaged);
  EXPECT_THAT(db_->History("P3", "edss", CivilTime::FromDay(kDay0)), damaged);
  EXPECT_THAT(
      db_->ForEachSeries(
          "edss", [](const Patient&, const std::vector<Observation>&) { return absl::OkStatus(); }),
      damaged);
  ASSERT_OK_AND_ASSIGN(auto p4, db_->Trajectory("P4", "edss"));
  EXPECT_EQ(p4.size(), 3u);

  faults_->DamageReads(Family::kPatients, keys::PatientKey(3));
  EXPECT_THAT(db_->GetPatient("P3"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));
  EXPECT_THAT(db_->ListPatients(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));
  faults_->DamageReads(Family::kAudit, "");
  EXPECT_THAT(db_->AuditLog(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));

  // `cotrack check` lists what is damaged, with the patient.
  absl::StatusOr<CheckReport> report = CheckDatabase(dir_.path(), options_);
  ASSERT_OK(report);
  bool named = false;
  for (const CheckProblem& p : report->problems) named |= p.family == "series" && p.patient == "P3";
  EXPECT_TRUE(named) << Describe(*report);
}

// A query whose reads fail, one read at a time, at every read it makes (and
// scans part-way through): each attempt returns that error or, once the
// failing read is past the reads the query makes, exactly the right answer.
TEST_F(StoreFaultsTest, AReadFailureDuringAQueryIsAnErrorNeverAWrongAnswer) {
  ASSERT_OK(db_->Record(Obs("P3", "edss", kDay0 + 90, 7.0)));  // a second version
  using Query = std::function<absl::StatusOr<std::string>()>;
  auto describe = [](auto result) -> absl::StatusOr<std::string> {
    if (!result.ok()) return result.status();
    return Describe(*result);
  };
  const std::vector<std::pair<std::string, Query>> queries = {
      {"trajectory", [&] { return describe(db_->Trajectory("P3", "edss")); }},
      {"latest", [&] { return describe(db_->Latest("P3", "edss", std::nullopt, 2)); }},
      {"latest all", [&] { return describe(db_->LatestAll("P3")); }},
      {"visit", [&] { return describe(db_->Visit("P3", CivilTime::FromDay(kDay0 + 90))); }},
      {"history",
       [&] { return describe(db_->History("P3", "edss", CivilTime::FromDay(kDay0 + 90))); }},
      {"patient history", [&] { return describe(db_->PatientHistory("P3")); }},
      {"patients", [&] { return describe(db_->ListPatients()); }},
      {"audit", [&] { return describe(db_->AuditLog()); }},
      {"audit of P3", [&] { return describe(db_->AuditLog("P3")); }},
      {"series",
       [&]() -> absl::StatusOr<std::string> {
         std::string out;
         absl::Status s =
             db_->ForEachSeries("edss", [&](const Patient& p, const std::vector<Observation>& t) {
               absl::StrAppend(&out, p.id, ":", Describe(t));
               return absl::OkStatus();
             });
         if (!s.ok()) return s;
         return out;
       }},
      {"snapshot patients",
       [&]() -> absl::StatusOr<std::string> {
         absl::StatusOr<std::unique_ptr<ReadSnapshot>> snap = db_->NewSnapshot();
         if (!snap.ok()) return snap.status();
         return describe((*snap)->ListPatients());
       }},
  };
  for (const auto& [name, query] : queries) {
    faults_->Clear();
    ASSERT_OK_AND_ASSIGN(const std::string want, query());
    for (int after : {0, 1, 3}) {
      for (int n = 1;; ++n) {
        ASSERT_LT(n, 100) << name << " never got through";
        faults_->Clear();
        const int64_t fired = faults_->fired();
        faults_->FailRead(n, StoreIoError("read", kBadSector), after);
        absl::StatusOr<std::string> got = query();
        if (got.ok()) {
          EXPECT_EQ(faults_->fired(), fired)
              << name << ": read " << n << " (after " << after << " entries) failed, yet the "
              << "query answered:\n"
              << *got;
          EXPECT_EQ(*got, want) << name;
          EXPECT_GT(n, 1) << name << " made no read the fault could hit";
          break;
        }
        EXPECT_THAT(got, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Input/output error")))
            << name << ": read " << n;
      }
    }
  }
}

// Opening reads the format version, counters and user measures: a read that
// fails is a failed open, never a database started afresh over the old one.
TEST_F(StoreFaultsTest, AReadFailureWhileOpeningFailsTheOpenAndChangesNothing) {
  MeasureDefinition m = Grip();
  ASSERT_OK(db_->RegisterMeasure(m, Provenance()));
  db_.reset();
  const std::string before = Dump();
  for (int n = 1;; ++n) {
    ASSERT_LT(n, 100) << "the open never got through";
    faults_->Clear();
    const int64_t fired = faults_->fired();
    faults_->FailRead(n, StoreIoError("read", kBadSector));
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.path(), options_);
    if (db.ok()) {
      ASSERT_EQ(faults_->fired(), fired) << "read " << n << " failed, yet the open succeeded";
      EXPECT_GT(n, 3) << "the open made fewer reads than expected";
      db_ = *std::move(db);
      break;
    }
    EXPECT_THAT(db, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Input/output error")))
        << "read " << n;
    faults_->Clear();
    ASSERT_EQ(Dump(), before) << "after a failure of read " << n;
  }
  faults_->Clear();
  // Numbers continue where they were: a new patient and a new measure do not
  // take an existing one's.
  ASSERT_OK(db_->Record(Obs("P99", "edss", kDay0, 2.0)));
  m.code = "pinch";
  ASSERT_OK(db_->RegisterMeasure(m, Provenance()));
  ASSERT_OK(db_->Record(Obs("P99", "pinch", kDay0, 8)));
  ExpectClean();
}

// ---- A store that breaks its own promises ----

// A short write the store claimed it made (the end of a record lost) is
// found by every read of that series and by check, and never read as data.
TEST_F(StoreFaultsTest, AShortWriteIsFoundNeverReadAsData) {
  faults_->ShortWrite(1, Family::kSeries, 6, absl::OkStatus());
  ASSERT_OK(db_->Record(Obs("P2", "edss", kDay0 + 180, 4.0)));
  faults_->Clear();
  EXPECT_THAT(db_->Trajectory("P2", "edss"),
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("\"P2\""), HasSubstr("edss"))));
  EXPECT_THAT(db_->Latest("P2", "edss"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("P2")));
  absl::StatusOr<CheckReport> report = CheckDatabase(dir_.path(), options_);
  ASSERT_OK(report);
  bool named = false;
  for (const CheckProblem& p : report->problems) named |= p.family == "series" && p.patient == "P2";
  EXPECT_TRUE(named) << Describe(*report);
}

// A torn write (only the first change of a new patient's visit reached the
// disk, the store said OK) leaves a series of a patient nobody registered:
// check reports it and a cohort scan refuses it.
TEST_F(StoreFaultsTest, ATornWriteIsFoundByCheck) {
  faults_->TearWrite(1, 1, absl::OkStatus());
  ASSERT_OK(db_->Record(Obs("P50", "edss", kDay0, 4.0)));
  faults_->Clear();
  EXPECT_THAT(db_->GetPatient("P50"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("P50")));
  EXPECT_THAT(
      db_->ForEachSeries(
          "edss", [](const Patient&, const std::vector<Observation>&) { return absl::OkStatus(); }),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not exist")));
  absl::StatusOr<CheckReport> report = CheckDatabase(dir_.path(), options_);
  ASSERT_OK(report);
  EXPECT_FALSE(report->problems.empty());
  bool series = false;
  for (const CheckProblem& p : report->problems) series |= p.family == "series";
  EXPECT_TRUE(series) << Describe(*report);
}

// ---- Check itself ----

// A check whose reads fail is a check that could not run: an error, never a
// report of a healthy database (nor of damage that is not there).
TEST_F(StoreFaultsTest, ACheckThatCannotReadSaysSo) {
  for (int n = 1;; ++n) {
    ASSERT_LT(n, 200) << "the check never got through";
    faults_->Clear();
    const int64_t fired = faults_->fired();
    faults_->FailRead(n, StoreIoError("read", kBadSector), /*after_entries=*/2);
    absl::StatusOr<CheckReport> report = CheckDatabase(dir_.path(), options_);
    if (report.ok() && faults_->fired() == fired) {
      EXPECT_TRUE(report->problems.empty()) << Describe(*report);
      EXPECT_GT(n, 10) << "the check made fewer reads than expected";
      break;
    }
    EXPECT_THAT(report, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Input/output error")))
        << "read " << n << (report.ok() ? ":\n" + Describe(*report) : "");
  }
}

}  // namespace
}  // namespace cotrack
