// The relapses CSV: relapse onsets (and end dates) into the built-in measure
// "relapse", the value being the duration in days, so that the relapses of a
// cohort are data (versioned, retractable) that `cotrack progression` reads.
#include <string>

#include "cotrack/progression.h"
#include "formats_test_util.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::SharedData;
using ::cotrack::testing::SourcePath;
using ::cotrack::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(RelapsesCsvTest, EndDatesBecomeDurations) {
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadText("id,date,end_date\nP1,2021-11-10,2022-01-24\n"
                                "P1,2024-02-08,2024-02-08\nP2,2020-05-01,2020-06-01\n"));
  EXPECT_EQ(r.format, ImportFormat::kRelapsesCsv);
  ASSERT_OK(r.errors);
  ASSERT_EQ(r.batch.observations().size(), 3u);
  const ObservationInput& o = r.batch.observations()[0];
  EXPECT_EQ(o.patient, "P1");
  EXPECT_EQ(o.measure, "relapse");
  EXPECT_EQ(o.value, 75);  // 2021-11-10 to 2022-01-24
  EXPECT_EQ(o.comparator, Comparator::kNone);
  EXPECT_EQ(r.batch.observations()[1].value, 0);  // ended on its onset day
  EXPECT_EQ(r.batch.observations()[2].value, 31);
}

TEST(RelapsesCsvTest, WithoutEndDatesTheDurationIsUnknown) {
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadPath(SharedData("msprog_toydata/MSprog_toydata_relapses.csv")));
  EXPECT_EQ(r.format, ImportFormat::kRelapsesCsv);
  ASSERT_OK(r.errors);
  ASSERT_FALSE(r.batch.observations().empty());
  for (const ObservationInput& o : r.batch.observations()) {
    EXPECT_EQ(o.comparator, Comparator::kGreaterEqual);
    EXPECT_EQ(o.original_value, ">=0");
  }
}

TEST(RelapsesCsvTest, BadRowsAreNamed) {
  ASSERT_OK_AND_ASSIGN(
      ReadResult r, ReadText("patient,date,end_date\nP1,2021-11-10,2021-11-01\n"
                             "P1,not a date,2022-01-01\nP2,2020-05-01,\nP3,2020-01-01,2020-02-01\n"
                             "P3,2020-01-01,2020-03-01\n"));
  EXPECT_THAT(r.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                 AllOf(HasSubstr("test.csv:2"), HasSubstr("on or after the onset"),
                                       HasSubstr("test.csv:3"), HasSubstr("date"),
                                       HasSubstr("test.csv:4"), HasSubstr("test.csv:6"))));
}

TEST(RelapsesCsvTest, ForcedFormatNeedsPatientAndDate) {
  ImportOptions options;
  options.format = ImportFormat::kRelapsesCsv;
  EXPECT_THAT(ReadText("patient,onset\nP1,2020-01-01\n", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("test.csv:1"), HasSubstr("patient,date,end_date"))));
}

// What progression reads back from the database is what it reads from the
// file: onsets and end dates of the differential-test cohort.
TEST(RelapsesCsvTest, StoredRelapsesReadBackAsTheFile) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, Database::Open(dir.File("db")));
  const std::string file = SourcePath("tests/engine/msprog/cohort_relapses.csv");
  ImportOptions options;
  ASSERT_OK(ImportFile(*db, file, options).status());
  ASSERT_OK_AND_ASSIGN(RelapseEpisodes stored, RelapseEpisodesFromMeasure(*db, "relapse"));
  ASSERT_OK_AND_ASSIGN(RelapseEpisodes expected, ReadRelapseEpisodesCsv(file));
  ASSERT_EQ(stored.size(), expected.size());
  for (const auto& [id, list] : expected) {
    SCOPED_TRACE(id);
    ASSERT_EQ(stored[id].size(), list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(stored[id][i].onset.day(), list[i].onset.day());
      ASSERT_TRUE(stored[id][i].end.has_value());
      EXPECT_EQ(stored[id][i].end->day(), list[i].end->day());
    }
  }
}

}  // namespace
}  // namespace cotrack::formats_test
