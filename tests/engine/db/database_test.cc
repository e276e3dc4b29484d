#include "cotrack/database.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

CivilTime Day(const char* s) { return *ParseCivilTime(s); }

ObservationInput Obs(const std::string& patient, const std::string& measure, const char* date,
                     double value) {
  ObservationInput in;
  in.patient = patient;
  in.measure = measure;
  in.time = Day(date);
  in.value = value;
  return in;
}

std::vector<double> Values(const std::vector<Observation>& obs) {
  std::vector<double> v;
  for (const auto& o : obs) v.push_back(o.value);
  return v;
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    db_.reset();
    auto db = Database::Open(dir_.path());
    ASSERT_OK(db);
    db_ = *std::move(db);
  }
  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, TrajectoryIsOrderedByTimeWhateverTheWriteOrder) {
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2022-06-01", 3.0)));
  ASSERT_OK(db_->Record(Obs("P1", "edss", "1969-07-20", 1.0)));  // back-filled, before 1970
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2020-01-15", 2.0)));
  ASSERT_OK(db_->Record(Obs("P2", "edss", "2021-01-01", 6.0)));
  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory("P1", "edss"));
  EXPECT_THAT(Values(t), ElementsAre(1.0, 2.0, 3.0));
  EXPECT_EQ(FormatCivilTime(t[0].time), "1969-07-20");
  EXPECT_EQ(t[0].unit, "score");
  EXPECT_EQ(t[0].patient, "P1");
}

TEST_F(DatabaseTest, TrajectoryRangeIsInclusiveAndADateEndCoversItsDay) {
  ObservationInput late = Obs("P1", "hba1c", "2024-03-01", 7.0);
  late.time = *ParseCivilTime("2024-03-01T16:30");
  ASSERT_OK(db_->Record(late));
  ASSERT_OK(db_->Record(Obs("P1", "hba1c", "2024-01-01", 6.0)));
  ASSERT_OK(db_->Record(Obs("P1", "hba1c", "2024-05-01", 8.0)));
  TimeRange r{Day("2024-01-01"), Day("2024-03-01")};
  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory("P1", "hba1c", r));
  EXPECT_THAT(Values(t), ElementsAre(6.0, 7.0));
}

TEST_F(DatabaseTest, SameContentAgainIsANoOpAndDifferentContentIsANewVersion) {
  ASSERT_OK_AND_ASSIGN(auto first, db_->Record(Obs("P1", "edss", "2023-01-01", 2.0)));
  EXPECT_EQ(first.written, 1);
  ASSERT_OK_AND_ASSIGN(auto again, db_->Record(Obs("P1", "edss", "2023-01-01", 2.0)));
  EXPECT_EQ(again.unchanged, 1);
  EXPECT_EQ(again.written + again.corrected, 0);
  ObservationInput fix = Obs("P1", "edss", "2023-01-01", 2.5);
  fix.provenance = {"fix.csv", 7, "bob", "transcription error"};
  ASSERT_OK_AND_ASSIGN(auto corrected, db_->Record(fix));
  EXPECT_EQ(corrected.corrected, 1);

  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory("P1", "edss"));
  EXPECT_THAT(Values(t), ElementsAre(2.5));
  EXPECT_EQ(t[0].version, 2u);
  EXPECT_EQ(t[0].status, ObservationStatus::kAmended);

  ASSERT_OK_AND_ASSIGN(auto h, db_->History("P1", "edss", Day("2023-01-01")));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].value, 2.0);
  EXPECT_EQ(h[0].version, 1u);
  EXPECT_EQ(h[0].provenance.source, "api");
  EXPECT_EQ(h[1].value, 2.5);
  EXPECT_EQ(h[1].provenance.source, "fix.csv");
  EXPECT_EQ(h[1].provenance.line, 7);
  EXPECT_EQ(h[1].provenance.user, "bob");
  EXPECT_GE(h[1].recorded_at_us, h[0].recorded_at_us);
}

// A write later than everything stored in a series skips reading it (the
// series' end is recorded); any earlier date must still meet what is stored.
TEST_F(DatabaseTest, WritesBeforeAndAfterASeriesEndMeetWhatIsStored) {
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2023-01-01", 2.0)));
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2023-06-01", 3.0)));
  // Between the two: a new date.
  ASSERT_OK_AND_ASSIGN(auto between, db_->Record(Obs("P1", "edss", "2023-03-01", 2.5)));
  EXPECT_EQ(between.written, 1);
  // One write with a stored date and a later one: the stored one is compared.
  Batch both;
  both.Record(Obs("P1", "edss", "2023-01-01", 2.0));
  both.Record(Obs("P1", "edss", "2023-09-01", 3.5));
  ASSERT_OK_AND_ASSIGN(auto s, db_->Apply(both));
  EXPECT_EQ(s.unchanged, 1);
  EXPECT_EQ(s.written, 1);
  // Past the end there is nothing to retract.
  EXPECT_THAT(db_->Retract("P1", "edss", Day("2024-01-01"), {"api", 0, "", "mistake"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("to retract")));
  // Another measure of the same patient has its own end.
  ASSERT_OK(db_->Record(Obs("P1", "ais", "2023-01-01", 7)));
  ASSERT_OK_AND_ASSIGN(auto ais, db_->Record(Obs("P1", "ais", "2023-01-01", 8)));
  EXPECT_EQ(ais.corrected, 1);
  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory("P1", "edss"));
  EXPECT_THAT(Values(t), ElementsAre(2.0, 2.5, 3.0, 3.5));
  for (const Observation& o : t) EXPECT_EQ(o.version, 1u);
}

TEST_F(DatabaseTest, RetractionHidesTheValueButKeepsItsHistory) {
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2023-01-01", 2.0)));
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2023-06-01", 3.0)));
  EXPECT_THAT(db_->Retract("P1", "edss", Day("2023-06-01"), Provenance{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  ASSERT_OK_AND_ASSIGN(auto r, db_->Retract("P1", "edss", Day("2023-06-01"),
                                            Provenance{"", 0, "carol", "wrong patient"}));
  EXPECT_EQ(r.retracted, 1);
  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory("P1", "edss"));
  EXPECT_THAT(Values(t), ElementsAre(2.0));
  ASSERT_OK_AND_ASSIGN(auto latest, db_->Latest("P1", "edss"));
  EXPECT_THAT(Values(latest), ElementsAre(2.0));
  ASSERT_OK_AND_ASSIGN(auto h, db_->History("P1", "edss", Day("2023-06-01")));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].status, ObservationStatus::kEnteredInError);
  EXPECT_EQ(h[1].provenance.reason, "wrong patient");
  EXPECT_EQ(h[1].value, 3.0);

  // Re-importing the retracted content does not bring it back...
  ASSERT_OK_AND_ASSIGN(auto again, db_->Record(Obs("P1", "edss", "2023-06-01", 3.0)));
  EXPECT_EQ(again.unchanged, 1);
  ASSERT_OK_AND_ASSIGN(t, db_->Trajectory("P1", "edss"));
  EXPECT_EQ(t.size(), 1u);
  // ...but a corrected value does.
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2023-06-01", 3.5)));
  ASSERT_OK_AND_ASSIGN(t, db_->Trajectory("P1", "edss"));
  EXPECT_THAT(Values(t), ElementsAre(2.0, 3.5));

  EXPECT_THAT(db_->Retract("P1", "edss", Day("2020-01-01"), Provenance{"", 0, "", "x"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("2020-01-01")));
}

// In one write, changes meet the stored versions and each other in time
// order: a correction, a new value and the retraction of that new value.
TEST_F(DatabaseTest, OneWriteCanCorrectAddAndRetractWhatItAdded) {
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2023-01-01", 2.0)));
  Batch b;
  b.Record(Obs("P1", "edss", "2023-01-01", 2.5));
  b.Record(Obs("P1", "edss", "2023-06-01", 3.0));
  b.Retract("P1", "edss", Day("2023-06-01"), Provenance{"", 0, "", "typo"});
  b.Retract("P1", "edss", Day("2023-06-01"), Provenance{"", 0, "", "again"});
  ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(b));
  EXPECT_EQ(s.corrected, 1);
  EXPECT_EQ(s.written, 1);
  EXPECT_EQ(s.retracted, 1);
  EXPECT_EQ(s.unchanged, 1);  // the second retraction: already withdrawn
  ASSERT_OK_AND_ASSIGN(auto added, db_->History("P1", "edss", Day("2023-06-01")));
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[1].version, 2u);
  EXPECT_EQ(added[1].status, ObservationStatus::kEnteredInError);
  EXPECT_EQ(added[1].provenance.reason, "typo");
  ASSERT_OK_AND_ASSIGN(auto corrected, db_->History("P1", "edss", Day("2023-01-01")));
  ASSERT_EQ(corrected.size(), 2u);
  EXPECT_EQ(corrected[1].status, ObservationStatus::kAmended);
  EXPECT_EQ(corrected[1].value, 2.5);
  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory("P1", "edss"));
  EXPECT_THAT(Values(t), ElementsAre(2.5));
}

TEST_F(DatabaseTest, LatestAsOfAndLastN) {
  for (auto [d, v] : std::vector<std::pair<const char*, double>>{
           {"2020-01-01", 1.0}, {"2021-01-01", 1.5}, {"2022-01-01", 2.0}, {"2023-01-01", 2.5}}) {
    ASSERT_OK(db_->Record(Obs("P1", "edss", d, v)));
  }
  ASSERT_OK_AND_ASSIGN(auto one, db_->Latest("P1", "edss", Day("2021-12-31")));
  EXPECT_THAT(Values(one), ElementsAre(1.5));
  ASSERT_OK_AND_ASSIGN(auto on_day, db_->Latest("P1", "edss", Day("2022-01-01")));
  EXPECT_THAT(Values(on_day), ElementsAre(2.0));
  ASSERT_OK_AND_ASSIGN(auto three, db_->Latest("P1", "edss", std::nullopt, 3));
  EXPECT_THAT(Values(three), ElementsAre(2.5, 2.0, 1.5));
  ASSERT_OK_AND_ASSIGN(auto none, db_->Latest("P1", "edss", Day("2019-01-01")));
  EXPECT_TRUE(none.empty());
  EXPECT_THAT(db_->Latest("P1", "edss", std::nullopt, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n must be")));
}

TEST_F(DatabaseTest, VisitIsWrittenAndReadAsAWhole) {
  std::vector<ObservationInput> visit = {Obs("P1", "edss", "2024-02-01", 3.5),
                                         Obs("P1", "hba1c", "2024-02-01", 6.8),
                                         Obs("P1", "hypo", "2024-02-01", 2)};
  for (auto& o : visit) o.visit = "M6";
  ASSERT_OK_AND_ASSIGN(auto s, db_->RecordVisit(visit));
  EXPECT_EQ(s.written, 3);
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2024-02-02", 4.0)));
  ASSERT_OK_AND_ASSIGN(auto got, db_->Visit("P1", Day("2024-02-01")));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].measure, "edss");
  EXPECT_EQ(got[1].measure, "hba1c");
  EXPECT_EQ(got[2].measure, "hypo");
  EXPECT_EQ(got[0].visit, "M6");
}

TEST_F(DatabaseTest, OneBadObservationLeavesTheDatabaseUnchanged) {
  std::vector<ObservationInput> visit = {Obs("P1", "edss", "2024-02-01", 3.5),
                                         Obs("P1", "edss", "2024-03-01", 0.5)};
  visit[1].provenance = {"visits.csv", 3, "", ""};
  visit[1].original_value = "0.5";
  EXPECT_THAT(db_->RecordVisit(visit),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("visits.csv:3: "), HasSubstr("field \"value\""),
                             HasSubstr("\"0.5\""), HasSubstr("nothing was written"))));
  EXPECT_THAT(db_->Trajectory("P1", "edss"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("P1")));
  ASSERT_OK_AND_ASSIGN(auto patients, db_->ListPatients());
  EXPECT_TRUE(patients.empty());
}

TEST_F(DatabaseTest, UnknownMeasureAndPatientAreNotFound) {
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2024-02-01", 3.5)));
  EXPECT_THAT(db_->Trajectory("P1", "nope"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown measure \"nope\"")));
  EXPECT_THAT(db_->Trajectory("P9", "edss"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown patient \"P9\"")));
  ASSERT_OK_AND_ASSIGN(auto empty, db_->Trajectory("P1", "ais"));
  EXPECT_TRUE(empty.empty());
}

TEST_F(DatabaseTest, PatientUpdatesAreVersionedAndMerge) {
  Patient p;
  p.id = "P1";
  p.arm = "placebo";
  p.index_date = Day("2020-05-01");
  p.attributes = {{"sex", "F"}};
  ASSERT_OK(db_->PutPatient(p));
  Patient update;
  update.id = "P1";
  update.arm = "treated";
  update.attributes = {{"route", "iv"}};
  ASSERT_OK_AND_ASSIGN(auto s, db_->PutPatient(update));
  EXPECT_EQ(s.patients, 1);
  ASSERT_OK_AND_ASSIGN(auto same, db_->PutPatient(update));
  EXPECT_EQ(same.patients, 0);

  ASSERT_OK_AND_ASSIGN(Patient got, db_->GetPatient("P1"));
  EXPECT_EQ(got.arm, "treated");
  EXPECT_EQ(got.index_date, Day("2020-05-01"));  // kept: the update left it empty
  EXPECT_EQ(got.attributes, (std::map<std::string, std::string>{{"route", "iv"}, {"sex", "F"}}));
  EXPECT_EQ(got.version, 2u);
  ASSERT_OK_AND_ASSIGN(auto history, db_->PatientHistory("P1"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].arm, "placebo");
}

TEST_F(DatabaseTest, EverythingSurvivesReopening) {
  MeasureDefinition sdmt;
  sdmt.code = "sdmt";
  sdmt.name = "Symbol Digit Modalities Test";
  sdmt.unit = "score";
  sdmt.min = 0;
  sdmt.max = 110;
  sdmt.step = 1;
  sdmt.integer = true;
  sdmt.direction = Direction::kHigherIsBetter;
  sdmt.change_threshold = 4;
  ASSERT_OK(db_->RegisterMeasure(sdmt, Provenance{}));
  ASSERT_OK(db_->RegisterMeasure(sdmt, Provenance{}));  // identical: no-op
  MeasureDefinition clash = sdmt;
  clash.max = 120;
  EXPECT_THAT(db_->RegisterMeasure(clash, Provenance{}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("sdmt")));
  MeasureDefinition builtin = sdmt;
  builtin.code = "edss";
  EXPECT_THAT(db_->RegisterMeasure(builtin, Provenance{}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("built-in")));
  ASSERT_OK(db_->Record(Obs("P1", "sdmt", "2024-01-01", 50)));
  ASSERT_OK(db_->Record(Obs("P2", "edss", "2024-01-01", 1.0)));

  Reopen();
  ASSERT_OK_AND_ASSIGN(auto m, db_->GetMeasure("sdmt"));
  EXPECT_EQ(m.max, 110);
  EXPECT_FALSE(m.builtin);
  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory("P1", "sdmt"));
  EXPECT_THAT(Values(t), ElementsAre(50));
  EXPECT_THAT(db_->Record(Obs("P1", "sdmt", "2024-02-01", 50.5)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("50.5")));
  // New patients after a reopen get fresh numbers, not reused ones.
  ASSERT_OK(db_->Record(Obs("P3", "edss", "2024-01-01", 2.0)));
  ASSERT_OK_AND_ASSIGN(auto p2, db_->Trajectory("P2", "edss"));
  EXPECT_THAT(Values(p2), ElementsAre(1.0));
  ASSERT_OK_AND_ASSIGN(auto patients, db_->ListPatients());
  ASSERT_EQ(patients.size(), 3u);
  EXPECT_EQ(patients[2].id, "P3");
}

// sdmt, nhpt, t25fw and relapse became built-ins after databases could
// register them: a database's own definition (registered through the public
// API, as before) keeps its values and rules after a reopen, and wins over
// the built-in there; a database that holds values of the built-in cannot
// replace it.
TEST_F(DatabaseTest, OwnDefinitionOfALaterBuiltinWinsInThatDatabase) {
  MeasureDefinition own;
  own.code = "sdmt";
  own.name = "SDMT, oral";
  own.unit = "points";
  own.min = 0;
  own.max = 120;
  own.integer = true;
  own.direction = Direction::kHigherIsBetter;
  ASSERT_OK(db_->RegisterMeasure(own, Provenance{}));
  ASSERT_OK(db_->Record(Obs("P1", "sdmt", "2024-01-01", 115)));  // over the built-in's 110
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto m, db_->GetMeasure("sdmt"));
  EXPECT_FALSE(m.builtin);
  EXPECT_EQ(m.max, 120);
  EXPECT_EQ(m.unit, "points");
  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory("P1", "sdmt"));
  EXPECT_THAT(Values(t), ElementsAre(115));
  ASSERT_OK(db_->Record(Obs("P1", "sdmt", "2024-06-01", 118)));
  ASSERT_OK_AND_ASSIGN(auto all, db_->ListMeasures());
  EXPECT_EQ(std::count_if(all.begin(), all.end(),
                          [](const MeasureDefinition& d) { return d.code == "sdmt"; }),
            1);
  ASSERT_OK_AND_ASSIGN(auto log, db_->AuditLog());
  EXPECT_THAT(log[0].detail, HasSubstr("in place of the built-in"));

  // The built-in t25fw holds a value here: it stays the built-in.
  ASSERT_OK(db_->Record(Obs("P1", "t25fw", "2024-01-01", 6.5)));
  MeasureDefinition walk = own;
  walk.code = "t25fw";
  EXPECT_THAT(db_->RegisterMeasure(walk, Provenance{}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("holds values")));
  // An original built-in is never replaced.
  MeasureDefinition edss = own;
  edss.code = "edss";
  EXPECT_THAT(db_->RegisterMeasure(edss, Provenance{}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("built-in")));
  ASSERT_OK_AND_ASSIGN(auto w, db_->GetMeasure("t25fw"));
  EXPECT_TRUE(w.builtin);
}

TEST_F(DatabaseTest, ForEachSeriesVisitsEveryPatientOfAMeasureFromOneSnapshot) {
  ASSERT_OK(db_->Record(Obs("A", "edss", "2024-01-01", 1.0)));
  ASSERT_OK(db_->Record(Obs("B", "edss", "2024-01-01", 2.0)));
  ASSERT_OK(db_->Record(Obs("B", "edss", "2024-06-01", 2.5)));
  ASSERT_OK(db_->Record(Obs("C", "hba1c", "2024-01-01", 6.0)));
  std::vector<std::string> seen;
  size_t points = 0;
  ASSERT_OK(db_->ForEachSeries("edss", [&](const Patient& p, const std::vector<Observation>& t) {
    seen.push_back(p.id);
    points += t.size();
    return absl::OkStatus();
  }));
  EXPECT_THAT(seen, ElementsAre("A", "B"));
  EXPECT_EQ(points, 3u);
}

TEST_F(DatabaseTest, AuditLogRecordsEveryChange) {
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2024-01-01", 1.0)));
  ASSERT_OK(db_->Retract("P1", "edss", Day("2024-01-01"), Provenance{"", 0, "dm", "duplicate"}));
  ASSERT_OK_AND_ASSIGN(auto log, db_->AuditLog());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].action, "record");
  EXPECT_EQ(log[0].summary.written, 1);
  EXPECT_EQ(log[1].action, "retract");
  EXPECT_EQ(log[1].provenance.user, "dm");
  ASSERT_OK_AND_ASSIGN(auto mine, db_->AuditLog(std::string("P1")));
  EXPECT_EQ(mine.size(), 2u);
}

TEST_F(DatabaseTest, ReadOnlyOpenReadsButRefusesWrites) {
  ASSERT_OK(db_->Record(Obs("P1", "edss", "2024-01-01", 1.0)));
  Options ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto reader, Database::Open(dir_.path(), ro));
  ASSERT_OK_AND_ASSIGN(auto t, reader->Trajectory("P1", "edss"));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_THAT(reader->Record(Obs("P1", "edss", "2024-02-01", 1.0)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("read-only")));
}

TEST(DatabaseOpenTest, MissingDatabaseWithoutCreateIsNotFound) {
  TempDir dir;
  Options o;
  o.create_if_missing = false;
  EXPECT_THAT(Database::Open(dir.File("nothing"), o),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no cotrack database")));
}

// A clinic script passing a path whose parent is missing must be told what to
// fix, not to retry: Unavailable would make callers wait and try again.
TEST(DatabaseOpenTest, MissingParentDirectoryIsNotFoundAndSaysWhatToCreate) {
  TempDir dir;
  EXPECT_THAT(Database::Open(dir.File("no/such/parent/db"), Options{}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("mkdir -p")));
}

}  // namespace
}  // namespace cotrack
