#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cotrack/database.h"
#include "cotrack/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::HasSubstr;

constexpr int kPatients = 40;
constexpr int kVisits = 25;

// kPatients x kVisits EDSS values, shuffled, in batches of 97 rows.
std::vector<Batch> ShuffledBatches(double shift = 0, const std::string& source = "big.csv") {
  std::vector<ObservationInput> rows;
  for (int p = 0; p < kPatients; ++p) {
    for (int v = 0; v < kVisits; ++v) {
      ObservationInput in;
      in.patient = absl::StrCat("P", p);
      in.measure = "edss";
      in.time = CivilTime::FromDay(-400 + 90 * v);  // starts before 1970
      in.value = 1.0 + 0.5 * ((p + v) % 8) + shift;
      in.visit = absl::StrCat("V", v);
      in.provenance = {source, 2 + static_cast<int64_t>(rows.size()), "", ""};
      rows.push_back(in);
    }
  }
  std::shuffle(rows.begin(), rows.end(), std::mt19937(7));
  std::vector<Batch> batches(1);
  for (auto& r : rows) {
    if (batches.back().observations().size() == 97) batches.emplace_back();
    batches.back().Record(std::move(r));
  }
  return batches;
}

std::vector<std::vector<double>> AllValues(Database& db) {
  std::vector<std::vector<double>> out;
  for (int p = 0; p < kPatients; ++p) {
    auto t = db.Trajectory(absl::StrCat("P", p), "edss");
    EXPECT_OK(t);
    std::vector<double> values;
    if (t.ok()) {
      for (size_t i = 0; i < t->size(); ++i) {
        values.push_back((*t)[i].value);
        if (i > 0) {
          EXPECT_LT((*t)[i - 1].time.seconds, (*t)[i].time.seconds);
        }
      }
    }
    out.push_back(values);
  }
  return out;
}

int StagingDirs(const std::string& path) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.path().filename().string()[0] == '.') ++n;
  }
  return n;
}

// Tiny limits force both the spill to sorted runs and table-file ingestion.
Options Spilling() {
  Options o;
  o.bulk_memory_bytes = 16 << 10;
  o.bulk_ingest_threshold = 100;
  return o;
}

int TableFiles(const std::string& path) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.path().extension() == ".sst") ++n;
  }
  return n;
}

// A patients file with no observations is as large a write as an import of
// values: past bulk_ingest_threshold registrations alone are committed as
// table files (a logged write leaves them in the memtable, no table file
// until a flush), and read back exactly as a logged write's, new patients
// and later versions of existing ones alike.
TEST(BulkWriteTest, ManyRegistrationsAloneAreIngestedAndReadAsALoggedWrite) {
  auto registrations = [](int round) {
    Batch b;
    for (int p = 0; p < 150; ++p) {
      Patient patient;
      patient.id = absl::StrFormat("P%03d", p);
      patient.arm = (p + round) % 2 ? "treatment" : "control";
      patient.index_date = CivilTime::FromDay(19000 + p + round);
      patient.attributes["site"] = absl::StrCat("S", p % 7, "-", round);
      patient.provenance = {"patients.csv", p + 2, "", ""};
      b.PutPatient(std::move(patient));
    }
    return b;
  };
  // Both rounds on one database, then its patients' histories; one database
  // open at a time.
  auto write_and_read = [&](size_t threshold, bool expect_ingested,
                            std::vector<std::vector<Patient>>* histories) {
    TempDir dir;
    Options options;
    options.bulk_ingest_threshold = threshold;
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path(), options));
    for (int round = 0; round < 2; ++round) {
      SCOPED_TRACE(absl::StrCat("round ", round, expect_ingested ? ", ingested" : ", logged"));
      const int files = TableFiles(dir.path());
      ASSERT_OK_AND_ASSIGN(auto bulk, db->BeginBulkWrite({}, "import", "patients.csv"));
      ASSERT_OK(bulk->Add(registrations(round), nullptr));
      ASSERT_OK_AND_ASSIGN(WriteSummary s, bulk->Commit());
      EXPECT_EQ(s.patients, 150);
      if (expect_ingested) {
        EXPECT_GT(TableFiles(dir.path()), files) << "registrations were not ingested";
      } else {
        EXPECT_EQ(TableFiles(dir.path()), 0) << "a small logged write made table files";
      }
    }
    for (int p = 0; p < 150; p += 7) {
      ASSERT_OK_AND_ASSIGN(histories->emplace_back(),
                           db->PatientHistory(absl::StrFormat("P%03d", p)));
    }
    ASSERT_OK_AND_ASSIGN(std::vector<Patient> all, db->ListPatients());
    EXPECT_EQ(all.size(), 150u);
  };
  std::vector<std::vector<Patient>> logged, ingested;
  write_and_read(1 << 30, false, &logged);
  write_and_read(100, true, &ingested);
  ASSERT_EQ(ingested.size(), logged.size());
  for (size_t i = 0; i < logged.size(); ++i) {
    const std::vector<Patient>& want = logged[i];
    const std::vector<Patient>& got = ingested[i];
    ASSERT_EQ(got.size(), 2u) << i;
    ASSERT_EQ(want.size(), 2u) << i;
    for (size_t v = 0; v < 2; ++v) {
      EXPECT_EQ(got[v].id, want[v].id);
      EXPECT_EQ(got[v].arm, want[v].arm) << got[v].id;
      EXPECT_EQ(got[v].index_date, want[v].index_date) << got[v].id;
      EXPECT_EQ(got[v].attributes, want[v].attributes) << got[v].id;
      EXPECT_EQ(got[v].version, v + 1) << got[v].id;
      EXPECT_EQ(got[v].provenance.line, want[v].provenance.line) << got[v].id;
    }
  }
}

TEST(BulkWriteTest, SpilledAndIngestedWriteEqualsAPlainWrite) {
  TempDir plain_dir, bulk_dir;
  ASSERT_OK_AND_ASSIGN(auto plain, Database::Open(plain_dir.path()));
  Batch everything;
  for (const Batch& b : ShuffledBatches()) {
    for (const auto& o : b.observations()) everything.Record(o);
  }
  ASSERT_OK_AND_ASSIGN(WriteSummary plain_summary, plain->Apply(everything));

  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(bulk_dir.path(), Spilling()));
  ASSERT_OK_AND_ASSIGN(auto bulk, db->BeginBulkWrite({}, "import", "big.csv"));
  for (const Batch& b : ShuffledBatches()) ASSERT_OK(bulk->Add(b, nullptr));
  EXPECT_GT(StagingDirs(bulk_dir.path()), 0) << "expected spilled runs";
  ASSERT_OK_AND_ASSIGN(WriteSummary s, bulk->Commit());
  bulk.reset();
  EXPECT_EQ(s.written, kPatients * kVisits);
  EXPECT_EQ(s.written, plain_summary.written);
  EXPECT_EQ(s.patients, kPatients);
  EXPECT_EQ(AllValues(*db), AllValues(*plain));
  EXPECT_EQ(StagingDirs(bulk_dir.path()), 0) << "staging files left behind";

  // The same rows again change nothing; shifted ones are corrections.
  ASSERT_OK_AND_ASSIGN(bulk, db->BeginBulkWrite({}, "import", "big.csv"));
  for (const Batch& b : ShuffledBatches()) ASSERT_OK(bulk->Add(b, nullptr));
  ASSERT_OK_AND_ASSIGN(s, bulk->Commit());
  bulk.reset();
  EXPECT_EQ(s.unchanged, kPatients * kVisits);
  EXPECT_EQ(s.written + s.corrected, 0);
  ASSERT_OK_AND_ASSIGN(bulk, db->BeginBulkWrite({}, "import", "fix.csv"));
  for (const Batch& b : ShuffledBatches(0.5, "fix.csv")) ASSERT_OK(bulk->Add(b, nullptr));
  ASSERT_OK_AND_ASSIGN(s, bulk->Commit());
  bulk.reset();
  EXPECT_EQ(s.corrected, kPatients * kVisits);
  ASSERT_OK_AND_ASSIGN(auto h, db->History("P3", "edss", CivilTime::FromDay(-400)));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].value, h[0].value + 0.5);
  EXPECT_EQ(h[1].version, 2u);
  EXPECT_EQ(h[1].provenance.source, "fix.csv");

  // Survives reopening (ingested files are part of the database).
  auto before = AllValues(*db);
  db.reset();
  ASSERT_OK_AND_ASSIGN(db, Database::Open(bulk_dir.path()));
  EXPECT_EQ(AllValues(*db), before);
}

TEST(BulkWriteTest, NothingIsVisibleBeforeCommitAndAnAbandonedWriteLeavesNoTrace) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path(), Spilling()));
  {
    ASSERT_OK_AND_ASSIGN(auto bulk, db->BeginBulkWrite({}, "import", "x.csv"));
    for (const Batch& b : ShuffledBatches()) ASSERT_OK(bulk->Add(b, nullptr));
    EXPECT_THAT(db->Trajectory("P1", "edss"),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("P1")));
  }  // destroyed without Commit
  EXPECT_THAT(db->Trajectory("P1", "edss"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("P1")));
  ASSERT_OK_AND_ASSIGN(auto patients, db->ListPatients());
  EXPECT_TRUE(patients.empty());
  EXPECT_EQ(StagingDirs(dir.path()), 0);
  ASSERT_OK_AND_ASSIGN(auto audit, db->AuditLog());
  EXPECT_TRUE(audit.empty());
}

TEST(BulkWriteTest, RejectedChangesAreReportedAndTheRestIsWritten) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path()));
  Batch batch;
  for (double v : {2.0, 0.5, 3.0, 7.3}) {
    ObservationInput in;
    in.patient = "P1";
    in.measure = "edss";
    in.time = CivilTime::FromDay(static_cast<int64_t>(v * 10));
    in.value = v;
    in.provenance = {"visits.csv", static_cast<int64_t>(v * 10), "", ""};
    batch.Record(in);
  }
  ASSERT_OK_AND_ASSIGN(auto bulk, db->BeginBulkWrite({}, "import", "visits.csv"));
  std::vector<Rejection> rejected;
  ASSERT_OK(bulk->Add(batch, &rejected));
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_THAT(rejected[0].message, HasSubstr("visits.csv:5: field \"value\""));
  EXPECT_THAT(rejected[1].message, HasSubstr("visits.csv:73: "));
  ASSERT_OK_AND_ASSIGN(WriteSummary s, bulk->Commit());
  EXPECT_EQ(s.written, 2);
  ASSERT_OK_AND_ASSIGN(auto t, db->Trajectory("P1", "edss"));
  EXPECT_EQ(t.size(), 2u);
}

TEST(BulkWriteTest, ASecondValueForOneIdentityInOneWriteIsRejectedWhereverItIs) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path(), Spilling()));
  auto row = [](int line, double value) {
    ObservationInput in;
    in.patient = "P1";
    in.measure = "edss";
    in.time = CivilTime::FromDay(19000);
    in.value = value;
    in.provenance = {"f.csv", line, "", ""};
    return in;
  };
  // The repeat arrives in a later chunk, after spilled runs: only the sorted
  // commit can see it, and nothing is written.
  ASSERT_OK_AND_ASSIGN(auto bulk, db->BeginBulkWrite({}, "import", "f.csv"));
  Batch first, later;
  first.Record(row(2, 2.0));
  for (const Batch& b : ShuffledBatches()) ASSERT_OK(bulk->Add(b, nullptr));
  later.Record(row(9000, 3.0));
  ASSERT_OK(bulk->Add(first, nullptr));
  ASSERT_OK(bulk->Add(later, nullptr));
  EXPECT_THAT(bulk->Commit(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("f.csv:9000: same patient, measure and date as line 2"),
                             HasSubstr("nothing was written"))));
  bulk.reset();
  EXPECT_THAT(db->Trajectory("P0", "edss"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("P0")));

  // Asked to, the commit leaves the repeat out, reports it and writes the rest.
  ASSERT_OK_AND_ASSIGN(bulk, db->BeginBulkWrite({}, "import", "f.csv"));
  ASSERT_OK(bulk->Add(first, nullptr));
  ASSERT_OK(bulk->Add(later, nullptr));
  std::vector<Rejection> rejected;
  ASSERT_OK_AND_ASSIGN(WriteSummary s, bulk->Commit(&rejected));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].provenance.line, 9000);
  EXPECT_EQ(rejected[0].change, "P1,edss,2022-01-08,3,");
  EXPECT_EQ(s.written, 1);
  ASSERT_OK_AND_ASSIGN(auto t, db->Trajectory("P1", "edss"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].value, 2.0);
}

// Past the importer's tracking, only the commit meets repeats: across
// spilled runs, in arrival order, each policy of WriteOptions::repeats.
TEST(BulkWriteTest, RepeatsAcrossSpilledRunsFollowThePolicy) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path(), Spilling()));
  auto row = [](int line, double value) {
    ObservationInput in;
    in.patient = "Q1";
    in.measure = "edss";
    in.time = CivilTime::FromDay(19000);
    in.value = value;
    in.provenance = {"f.csv", line, "", ""};
    return in;
  };
  auto write = [&](WriteOptions::Repeats repeats, double later_value,
                   std::vector<Rejection>* rejected) -> absl::StatusOr<WriteSummary> {
    WriteOptions options;
    options.repeats = repeats;
    COTRACK_ASSIGN_OR_RETURN(auto bulk, db->BeginBulkWrite(options, "import", "f.csv"));
    Batch first, later, same;
    first.Record(row(2, 2.0));
    same.Record(row(5, 2.0));
    later.Record(row(9000, later_value));
    COTRACK_RETURN_IF_ERROR(bulk->Add(first, nullptr));
    for (const Batch& b : ShuffledBatches()) COTRACK_RETURN_IF_ERROR(bulk->Add(b, nullptr));
    COTRACK_RETURN_IF_ERROR(bulk->Add(same, nullptr));
    COTRACK_RETURN_IF_ERROR(bulk->Add(later, nullptr));
    return bulk->Commit(rejected);
  };
  auto value = [&]() -> double {
    absl::StatusOr<std::vector<Observation>> t = db->Trajectory("Q1", "edss");
    return t.ok() && t->size() == 1 ? t->back().value : -1;
  };
  // An identical repeat is one observation under the default.
  ASSERT_OK(write(WriteOptions::Repeats::kReject, 2.0, nullptr).status());
  EXPECT_EQ(value(), 2.0);
  ASSERT_OK_AND_ASSIGN(auto versions, db->History("Q1", "edss", CivilTime::FromDay(19000)));
  EXPECT_EQ(versions.size(), 1u);
  // A different one, by policy.
  ASSERT_OK(write(WriteOptions::Repeats::kKeepLast, 4.0, nullptr).status());
  EXPECT_EQ(value(), 4.0);
  ASSERT_OK(write(WriteOptions::Repeats::kKeepFirst, 4.5, nullptr).status());
  EXPECT_EQ(value(), 2.0);
  ASSERT_OK(write(WriteOptions::Repeats::kMean, 3.0, nullptr).status());
  EXPECT_EQ(value(), 2.5);
  EXPECT_THAT(write(WriteOptions::Repeats::kReject, 6.0, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("f.csv:9000: same patient, measure and date as line 2")));
  EXPECT_EQ(value(), 2.5);
}

TEST(BulkWriteTest, AVisitErrorFromTheApiNamesPatientMeasureAndDate) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path()));
  ObservationInput a, b;
  a.patient = b.patient = "P9";
  a.time = b.time = *ParseCivilTime("2024-05-01");
  a.measure = "edss";
  a.value = 2;
  b.measure = "ais";
  b.value = 30;
  EXPECT_THAT(db->RecordVisit({a, b}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("patient \"P9\", ais at 2024-05-01"), HasSubstr("\"30\""))));
}

// A write large enough to be ingested as table files, over stored series:
// every series, count and rejection as expected, rejections in key order.
TEST(BulkWriteTest, ALargeWriteOverStoredSeriesKeepsEverySeriesAndTheOrder) {
  constexpr int kMany = 1000, kStored = 500, kDates = 30;  // 30,000 changes
  auto value = [](int p, int d, int round) {
    // Round 1 changes the odd dates of stored patients and keeps the even.
    return 1.0 + 0.5 * ((p + d + (round == 1 && d % 2 == 1 ? 3 : 0)) % 12);
  };
  auto row = [&](int p, int d, int round, int64_t line) {
    ObservationInput in;
    in.patient = absl::StrFormat("P%04d", p);
    in.measure = "edss";
    in.time = CivilTime::FromDay(18000 + 30 * d);
    in.value = value(p, d, round);
    in.provenance = {"big.csv", line, "", ""};
    return in;
  };
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path()));
  Batch stored;
  for (int p = 0; p < kStored; ++p) {
    for (int d = 0; d < kDates; ++d) stored.Record(row(p, d, 0, 0));
  }
  ASSERT_OK(db->Apply(stored));

  ASSERT_OK_AND_ASSIGN(auto bulk, db->BeginBulkWrite({}, "import", "big.csv"));
  Batch batch;
  int64_t line = 1;
  for (int p = 0; p < kMany; ++p) {
    for (int d = 0; d < kDates; ++d) batch.Record(row(p, d, 1, ++line));
  }
  // A second value for one identity, in the first series and in the last.
  // (Of another value: an identical one would be the same observation.)
  batch.Record(row(kMany - 1, 3, 2, ++line));
  batch.Record(row(0, 5, 2, ++line));
  ASSERT_OK(bulk->Add(batch, nullptr));
  std::vector<Rejection> rejected;
  ASSERT_OK_AND_ASSIGN(WriteSummary s, bulk->Commit(&rejected));
  bulk.reset();

  EXPECT_EQ(s.written, (kMany - kStored) * kDates);
  EXPECT_EQ(s.corrected, kStored * kDates / 2);
  EXPECT_EQ(s.unchanged, kStored * kDates / 2);
  ASSERT_EQ(rejected.size(), 2u);  // in key order: P0000 before P0999
  EXPECT_THAT(rejected[0].message, HasSubstr(absl::StrCat("big.csv:", line, ": same patient")));
  EXPECT_THAT(rejected[0].change, HasSubstr("P0000,edss,"));
  EXPECT_THAT(rejected[1].message, HasSubstr(absl::StrCat("big.csv:", line - 1, ": same patient")));
  EXPECT_THAT(rejected[1].change, HasSubstr("P0999,edss,"));
  for (int p = 0; p < kMany; ++p) {
    const std::string id = absl::StrFormat("P%04d", p);
    ASSERT_OK_AND_ASSIGN(auto t, db->Trajectory(id, "edss"));
    ASSERT_EQ(t.size(), static_cast<size_t>(kDates)) << id;
    for (int d = 0; d < kDates; ++d) {
      EXPECT_EQ(t[d].value, value(p, d, 1)) << id << " date " << d;
      const bool corrected = p < kStored && d % 2 == 1;
      EXPECT_EQ(t[d].version, corrected ? 2u : 1u) << id << " date " << d;
    }
  }
}

// The sorter splits changes by measure and sorts only measures whose changes
// arrived out of order, and sorts everything at once past 64 measures: each
// way, every series must come back complete and in time order.
TEST(BulkWriteTest, InterleavedMeasuresLandInOrderWithFewOrManyMeasures) {
  for (const int measures : {3, 70}) {
    SCOPED_TRACE(absl::StrCat(measures, " measures"));
    TempDir dir;
    Options options;
    options.bulk_ingest_threshold = 100;  // table files: keys must come sorted
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.path(), options));
    for (int m = 0; m < measures; ++m) {
      MeasureDefinition def;
      def.code = absl::StrFormat("m%02d", m);
      def.name = def.code;
      def.unit = "{score}";
      def.max = 1000;
      ASSERT_OK(db->RegisterMeasure(def, Provenance{}));
    }
    constexpr int kPatients = 12, kDates = 6;
    auto value = [](int p, int m, int d) { return 100.0 * (p % 10) + 10 * (m % 10) + d; };
    auto row = [&](int p, int m, int date, int64_t line) {
      ObservationInput in;
      in.patient = absl::StrFormat("P%02d", p);
      in.measure = absl::StrFormat("m%02d", m);
      in.time = CivilTime::FromDay(19000 + 7 * date);
      in.value = value(p, m, date);
      in.provenance = {"many.csv", line, "", ""};
      return in;
    };
    // Patient-major, measures interleaved at each date; the last measure's
    // dates run backwards, so its changes arrive out of order.
    Batch batch;
    int64_t line = 1;
    for (int p = 0; p < kPatients; ++p) {
      for (int d = 0; d < kDates; ++d) {
        for (int m = 0; m < measures; ++m) {
          batch.Record(row(p, m, m == measures - 1 ? kDates - 1 - d : d, ++line));
        }
      }
    }
    // A second value for an identity given far earlier: only sorting brings
    // the two side by side.
    ObservationInput again = row(0, measures - 1, 2, ++line);
    again.value += 1;  // an identical one would be the same observation
    batch.Record(std::move(again));
    ASSERT_OK_AND_ASSIGN(auto bulk, db->BeginBulkWrite({}, "import", "many.csv"));
    ASSERT_OK(bulk->Add(batch, nullptr));
    std::vector<Rejection> rejected;
    ASSERT_OK_AND_ASSIGN(WriteSummary s, bulk->Commit(&rejected));
    bulk.reset();
    EXPECT_EQ(s.written, kPatients * kDates * measures);
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_THAT(rejected[0].message, HasSubstr(absl::StrCat("many.csv:", line, ": same patient")));
    for (int p = 0; p < kPatients; ++p) {
      for (int m = 0; m < measures; ++m) {
        const std::string id = absl::StrFormat("P%02d", p);
        ASSERT_OK_AND_ASSIGN(auto t, db->Trajectory(id, absl::StrFormat("m%02d", m)));
        ASSERT_EQ(t.size(), static_cast<size_t>(kDates)) << id << " m" << m;
        for (int d = 0; d < kDates; ++d) {
          EXPECT_EQ(t[d].value, value(p, m, d)) << id << " m" << m << " date " << d;
        }
      }
    }
  }
}

// Staged changes are packed (strings in an arena, provenance interned) and
// spilled to runs: every field must come back as a plain write stores it.
TEST(BulkWriteTest, ASpilledWriteKeepsEveryFieldOfEveryVersion) {
  auto rows = [](int round) {
    Batch b;
    for (int p = 0; p < 30; ++p) {
      const std::string id = absl::StrCat("P", p);
      const CivilTime day = CivilTime::FromDay(19000 + p);
      ObservationInput ais;
      ais.patient = id;
      ais.measure = "ais";
      ais.time = day;
      ais.items = {0, 1, 2, 3, 0, 1, 2, static_cast<double>(round)};
      ais.value_from_items = true;
      ais.visit = absl::StrCat("visit label of some length ", p);
      ais.provenance = {"/some/long/path/to/visits.csv", 2 + p, "coordinator", ""};
      b.Record(ais);
      ObservationInput il4 = ais;
      il4.measure = "il4";
      il4.items.clear();
      il4.value_from_items = false;
      il4.value = 0.5;
      il4.comparator = p % 2 ? Comparator::kLess : Comparator::kNone;
      il4.original_value = p % 2 ? "<0.5" : "0.5";
      b.Record(il4);
      ObservationInput hba1c = il4;
      hba1c.measure = "hba1c";
      hba1c.time = CivilTime{day.seconds + 9 * 3600 + 30 * 60, TimePrecision::kDateTime};
      hba1c.comparator = Comparator::kNone;
      hba1c.value = 48 + round;
      hba1c.unit = "mmol/mol";
      hba1c.original_value = absl::StrCat(48 + round);
      hba1c.provenance.user = "";  // the database's user
      b.Record(hba1c);
    }
    return b;
  };
  auto write = [&](Database& db, bool spills) {
    for (int round = 0; round < 2; ++round) {
      auto bulk = db.BeginBulkWrite({}, "import", "visits.csv");
      ASSERT_OK(bulk);
      ASSERT_OK((*bulk)->Add(rows(round), nullptr));
      Batch retract;
      if (round == 1) {
        retract.Retract("P3", "il4", CivilTime::FromDay(19003), {"api", 0, "", "wrong tube"});
      }
      ASSERT_OK((*bulk)->Add(retract, nullptr));
      EXPECT_EQ(StagingDirs(db.path()) > 0, spills);
      ASSERT_OK((*bulk)->Commit());
    }
  };
  TempDir plain_dir, bulk_dir;
  Options plain_options;
  plain_options.user = "tester";
  Options spilling = Spilling();
  spilling.bulk_memory_bytes = 2 << 10;
  spilling.user = "tester";
  ASSERT_OK_AND_ASSIGN(auto plain, Database::Open(plain_dir.path(), plain_options));
  ASSERT_OK_AND_ASSIGN(auto bulk, Database::Open(bulk_dir.path(), spilling));
  write(*plain, false);
  write(*bulk, true);
  auto render = [](const std::vector<Observation>& versions) {
    std::string out;
    for (const Observation& o : versions) {
      absl::StrAppend(&out, o.patient, "|", o.measure, "|", o.time.seconds, "/",
                      static_cast<int>(o.time.precision), "|", o.value, "|",
                      static_cast<int>(o.comparator), "|", o.original_value, "|", o.original_unit,
                      "|", o.visit, "|", static_cast<int>(o.status), "|", o.version, "|",
                      o.provenance.source, ":", o.provenance.line, ":", o.provenance.user, ":",
                      o.provenance.reason, "|");
      for (double item : o.items) absl::StrAppend(&out, item, ";");
      out += "\n";
    }
    return out;
  };
  int versions = 0;
  const Batch last = rows(1);
  for (const ObservationInput& in : last.observations()) {
    ASSERT_OK_AND_ASSIGN(auto expected, plain->History(in.patient, in.measure, in.time));
    ASSERT_OK_AND_ASSIGN(auto actual, bulk->History(in.patient, in.measure, in.time));
    EXPECT_EQ(render(actual), render(expected)) << in.patient << " " << in.measure;
    versions += static_cast<int>(actual.size());
    // The latest version is what round 2 recorded, field by field.
    ASSERT_FALSE(actual.empty());
    const Observation& o = actual.back();
    EXPECT_EQ(o.time, in.time);
    EXPECT_EQ(o.items, in.items);
    EXPECT_EQ(o.visit, in.visit);
    if (in.measure != "ais") {  // ais: the stored value is the total
      EXPECT_EQ(o.original_value, in.original_value);
    }
    EXPECT_EQ(o.original_unit, in.unit);
    if (in.patient == "P3" && in.measure == "il4") {
      EXPECT_EQ(o.status, ObservationStatus::kEnteredInError);
      EXPECT_EQ(o.provenance.reason, "wrong tube");
      EXPECT_EQ(o.provenance.source, "api");
      EXPECT_EQ(o.provenance.user, "tester");
    } else {
      EXPECT_EQ(o.comparator, in.comparator);
      EXPECT_EQ(o.provenance.source, in.provenance.source);
      EXPECT_EQ(o.provenance.line, in.provenance.line);
      EXPECT_EQ(o.provenance.user, in.provenance.user.empty() ? "tester" : in.provenance.user);
    }
  }
  // ais and hba1c changed in round 2 (two versions each), il4 did not (one),
  // except P3's, retracted (two).
  EXPECT_EQ(versions, 30 * 5 + 1);
  EXPECT_EQ(StagingDirs(bulk_dir.path()), 0) << "staging files left behind";
}

}  // namespace
}  // namespace cotrack
