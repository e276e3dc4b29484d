// Relapse onset dates read from a CSV file (msprog's relapse file and bad
// files).
#include "analytics_test_util.h"
#include "cotrack/progression.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::T;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RelapseCsvTest, ReadsMsprogRelapseFile) {
  ASSERT_OK_AND_ASSIGN(
      RelapseDates r,
      ReadRelapseCsv(testing::SharedData("msprog_toydata/MSprog_toydata_relapses.csv")));
  EXPECT_EQ(r.size(), 4u);
  EXPECT_THAT(r["2"], ElementsAre(T("2021-06-12"), T("2022-10-25")));
  EXPECT_THAT(r["7"], ElementsAre(T("2021-09-11")));
}

TEST(RelapseCsvTest, PatientColumnAndBadDate) {
  TempDir dir;
  WriteFile(dir.File("ok.csv"), "date,patient\n2024-01-02,p1\n");
  ASSERT_OK_AND_ASSIGN(RelapseDates r, ReadRelapseCsv(dir.File("ok.csv")));
  EXPECT_THAT(r["p1"], ElementsAre(T("2024-01-02")));

  WriteFile(dir.File("bad.csv"), "patient,date\np1,2024-01-02\np2,2024-13-40\n");
  EXPECT_THAT(ReadRelapseCsv(dir.File("bad.csv")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.csv:3")));
  WriteFile(dir.File("nohdr.csv"), "who,when\np1,2024-01-02\n");
  EXPECT_THAT(ReadRelapseCsv(dir.File("nohdr.csv")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected a patient or id")));
  EXPECT_THAT(ReadRelapseCsv(dir.File("missing.csv")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot open")));
}

}  // namespace
}  // namespace cotrack
