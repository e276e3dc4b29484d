// The end of a row, shared by every format: only good rows reach the batch,
// each change with the row's provenance; identities, rows and skips are
// counted per file.
#include "import/row_writer.h"

#include <string>

#include "support/test_support.h"

namespace cotrack {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

ObservationInput Obs(const std::string& patient, const std::string& measure, double value) {
  ObservationInput obs;
  obs.patient = patient;
  obs.measure = measure;
  obs.time = *ParseCivilTime("2024-03-05");
  obs.value = value;
  return obs;
}

TEST(RowWriterTest, GoodRowsReachTheBatchWithTheirProvenance) {
  RowWriter writer("visits.csv", "coordinator");
  ImportErrors errors("visits.csv");
  Batch batch;

  writer.BeginRow(2, errors);
  writer.Record(Obs("P1", "edss", 3.5));
  writer.NewObservation() = Obs("P1", "hba1c", 6.5);  // filled where it is staged
  EXPECT_EQ(writer.size(), 2u);
  EXPECT_TRUE(writer.EndRow(batch));

  writer.BeginRow(5, errors);
  Patient p;
  p.id = "P2";
  writer.PutPatient(std::move(p));
  writer.Retract("P1", "edss", *ParseCivilTime("2024-01-01"), "typo");
  EXPECT_TRUE(writer.EndRow(batch));

  ASSERT_EQ(batch.observations().size(), 2u);
  for (const ObservationInput& obs : batch.observations()) {
    EXPECT_EQ(obs.provenance.source, "visits.csv");
    EXPECT_EQ(obs.provenance.line, 2);
    EXPECT_EQ(obs.provenance.user, "coordinator");
  }
  EXPECT_EQ(batch.observations()[1].measure, "hba1c");
  ASSERT_EQ(batch.patients().size(), 1u);
  EXPECT_EQ(batch.patients()[0].provenance.line, 5);
  EXPECT_EQ(batch.patients()[0].provenance.source, "visits.csv");
  ASSERT_EQ(batch.retractions().size(), 1u);
  EXPECT_EQ(batch.retractions()[0].provenance.line, 5);
  EXPECT_EQ(batch.retractions()[0].provenance.user, "coordinator");
  EXPECT_EQ(batch.retractions()[0].provenance.reason, "typo");
  EXPECT_EQ(writer.counts().rows, 2);
}

TEST(RowWriterTest, ARowWithAnErrorAddsNothing) {
  RowWriter writer("visits.csv", "");
  ImportErrors errors("visits.csv");
  Batch batch;

  writer.BeginRow(2, errors);
  writer.Record(Obs("P1", "edss", 3.5));
  EXPECT_TRUE(writer.ok());
  errors.Add(2, 7, "field \"value\": bad value \"x\"");
  EXPECT_FALSE(writer.ok());
  writer.Record(Obs("P1", "hba1c", 6.5));
  EXPECT_FALSE(writer.EndRow(batch));
  EXPECT_EQ(errors.row_messages(), "field \"value\": bad value \"x\"");

  // The next row starts clean: the earlier error does not reject it.
  writer.BeginRow(3, errors);
  EXPECT_TRUE(writer.ok());
  EXPECT_EQ(errors.row_messages(), "");
  writer.Record(Obs("P2", "edss", 2));
  EXPECT_TRUE(writer.EndRow(batch));

  ASSERT_EQ(batch.observations().size(), 1u);
  EXPECT_EQ(batch.observations()[0].patient, "P2");
  EXPECT_EQ(batch.observations()[0].provenance.line, 3);
  EXPECT_EQ(writer.counts().rows, 2);
}

TEST(RowWriterTest, EachIdentityOncePerFile) {
  RowWriter writer("visits.csv", "");
  const CivilTime day = *ParseCivilTime("2024-03-05");
  auto obs = [](const char* patient, const char* measure, CivilTime time, double value) {
    ObservationInput o;
    o.patient = patient;
    o.measure = measure;
    o.time = time;
    o.value = value;
    return o;
  };
  EXPECT_EQ(writer.FirstSeen(obs("P1", "edss", day, 1), 2), 0);
  EXPECT_EQ(writer.FirstSeen(obs("P1", "hba1c", day, 1), 3), 0);
  EXPECT_EQ(writer.FirstSeen(obs("P2", "edss", day, 1), 4), 0);
  EXPECT_EQ(writer.FirstSeen(obs("P1", "edss", *ParseCivilTime("2024-03-05T10:00"), 1), 5), 0);
  EXPECT_EQ(writer.FirstSeen(obs("P1", "edss", day, 2), 9), 2);
  EXPECT_EQ(writer.FirstSeen(obs("P2", "edss", day, 3), 10), 4);
  EXPECT_EQ(DuplicateMessage(2),
            "same patient, measure and date as line 2 (each observation may appear only once "
            "in a file)");
  EXPECT_EQ(DuplicateMessage(7, "entry"),
            "same patient, measure and date as entry 7 (each observation may appear only once "
            "in a file)");
}

TEST(RowWriterTest, SkipsAreCountedByReason) {
  RowWriter writer("obs.csv", "");
  ImportErrors errors("obs.csv");
  Batch batch;
  for (int line = 2; line <= 4; ++line) {
    writer.BeginRow(line, errors);
    writer.Skip(line == 3 ? "no value" : "unmapped code 8302-2");
    EXPECT_TRUE(writer.EndRow(batch));
  }
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(writer.counts().rows, 3);
  EXPECT_EQ(writer.counts().skipped, 3);
  EXPECT_THAT(writer.counts().skipped_by_reason,
              ElementsAre(Pair("no value", 1), Pair("unmapped code 8302-2", 2)));
}

}  // namespace
}  // namespace cotrack
