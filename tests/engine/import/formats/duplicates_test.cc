// Several values for one patient, measure and date in one file (issue 15,
// item 6): identical rows (Synthea repeats them) are stored once and never
// fail an import; different ones follow ImportOptions::duplicates.
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "formats_test_util.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::WriteFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kIdentical[] = "identical duplicate of an earlier row (stored once)";
constexpr char kHeartHealth[] = "synthea_heart_health/observations.csv";
constexpr char kRedcapRepeats[] = "redcap_redcapr/repeating-instruments-sparse_data.csv";

class DuplicatesTest : public DbFixture {
 protected:
  ImportOptions Options(ImportOptions::Duplicates policy) {
    ImportOptions o;
    o.duplicates = policy;
    return o;
  }
  // The shared Synthea file with glucose (and, with `creatinine`, creatinine)
  // mapped; its last row is cut short, so bad rows are skipped.
  ImportOptions Synthea(ImportOptions::Duplicates policy, bool creatinine) {
    const std::string map = dir_.File("map.csv");
    WriteFile(map, absl::StrCat("system,code,measure,unit\nhttp://loinc.org,2339-0,glucose,mg/dL\n",
                                creatinine ? "http://loinc.org,38483-4,creatinine,mg/dL\n" : ""));
    ImportOptions o = Options(policy);
    o.mapping_file = map;
    o.on_error = ImportOptions::OnError::kSkip;
    o.reject_file = dir_.File("rejects.csv");
    return o;
  }
  ImportOptions Redcap(ImportOptions::Duplicates policy) {
    const std::string map = dir_.File("redcap_map.csv");
    WriteFile(map, "kind,name,value,unit,decimal\nfield,bp_systolic,sbp,mm[Hg]\ndate,bp,date_bp\n");
    ImportOptions o = Options(policy);
    o.mapping_file = map;
    return o;
  }
  double Value(const std::string& patient, const std::string& measure, const std::string& day) {
    absl::StatusOr<std::vector<Observation>> t = db_->Trajectory(patient, measure);
    EXPECT_TRUE(t.ok()) << t.status();
    if (!t.ok()) return -1;
    for (const Observation& o : *t) {
      if (FormatCivilTime(o.time).substr(0, 10) == day) return o.value;
    }
    ADD_FAILURE() << "no " << measure << " of " << patient << " on " << day;
    return -1;
  }
  std::string Observations(const std::string& rows) {
    const std::string path = dir_.File("obs.csv");
    WriteFile(path, "patient,measure,date,value\n" + rows);
    return path;
  }
};

// The shared Synthea file's glucose rows come in identical pairs (same
// encounter, date, value and unit): counted from the file here.
TEST_F(DuplicatesTest, SyntheaIdenticalRowsAreStoredOnceUnderEveryPolicyButError) {
  const auto records = NaiveCsv(cotrack::testing::ReadFile(SharedData(kHeartHealth)));
  ASSERT_FALSE(records.empty());
  const size_t date = Column(records[0], "DATE"), patient = Column(records[0], "PATIENT"),
               code = Column(records[0], "CODE"), value = Column(records[0], "VALUE");
  std::map<std::tuple<std::string, std::string>, std::string> seen;  // (patient, date) -> value
  int64_t glucose = 0, identical = 0, hba1c = 0;                     // HbA1c: the built-in mapping
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i].size() != records[0].size()) continue;
    hba1c += records[i][code] == "4548-4";
    if (records[i][code] != "2339-0") continue;
    ++glucose;
    auto [it, inserted] =
        seen.try_emplace({records[i][patient], records[i][date]}, records[i][value]);
    if (!inserted) {
      ASSERT_EQ(it->second, records[i][value]);  // identical, as the README says
      ++identical;
    }
  }
  EXPECT_EQ(identical, 44);

  Register("glucose", "mg/dL", 0, 1000);
  for (auto policy :
       {ImportOptions::Duplicates::kIdenticalOk, ImportOptions::Duplicates::kKeepFirst,
        ImportOptions::Duplicates::kKeepLast, ImportOptions::Duplicates::kMean}) {
    SCOPED_TRACE(DuplicatesPolicyName(policy));
    ASSERT_OK_AND_ASSIGN(ImportReport r,
                         ImportFile(*db_, SharedData(kHeartHealth), Synthea(policy, false)));
    EXPECT_EQ(r.rejected, 1);  // the truncated last row only
    EXPECT_EQ(r.skipped_by_reason[kIdentical], identical);
    EXPECT_EQ(r.summary.written + r.summary.unchanged, glucose - identical + hba1c);
  }

  // A user who wants to hear of every repeat asks for it.
  // Skipped: they go to the reject file.
  ASSERT_OK(
      ImportFile(*db_, SharedData(kHeartHealth), Synthea(ImportOptions::Duplicates::kError, false))
          .status());
  EXPECT_EQ(Occurrences(cotrack::testing::ReadFile(dir_.File("rejects.csv")),
                        "same patient, measure and date as line"),
            identical);
}

// Creatinine is measured twice in some encounters with different values:
// the repeated measurements the policies are for.
TEST_F(DuplicatesTest, SyntheaRepeatedCreatininePerPolicy) {
  Register("glucose", "mg/dL", 0, 1000);
  Register("creatinine", "mg/dL", 0, 20);
  const std::string p = "95861977-2fe5-1808-8f66-798ab512bca7";
  // The first repeat with another value: line 2015 (1.4) after line 1987
  // (1.2). The one looked at below: 2.0 then 1.4 on 2020-05-01.
  ImportOptions abort = Synthea(ImportOptions::Duplicates::kIdenticalOk, true);
  abort.on_error = ImportOptions::OnError::kAbort;
  EXPECT_THAT(ImportFile(*db_, SharedData(kHeartHealth), abort),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("observations.csv:2015:"),
                             HasSubstr("same patient, measure and date as line 1987"),
                             HasSubstr("nothing was written"))));

  ASSERT_OK_AND_ASSIGN(ImportReport first,
                       ImportFile(*db_, SharedData(kHeartHealth),
                                  Synthea(ImportOptions::Duplicates::kKeepFirst, true)));
  EXPECT_GT(first.skipped_by_reason
                ["repeated patient, measure and date (--duplicates keep-first kept the first row)"],
            0);
  EXPECT_EQ(Value(p, "creatinine", "2020-05-01"), 2.0);
  // Values already in the database are not duplicates: the last row is a
  // correction of what keep-first stored.
  ASSERT_OK_AND_ASSIGN(ImportReport last,
                       ImportFile(*db_, SharedData(kHeartHealth),
                                  Synthea(ImportOptions::Duplicates::kKeepLast, true)));
  EXPECT_GT(last.summary.corrected, 0);
  EXPECT_EQ(Value(p, "creatinine", "2020-05-01"), 1.4);
  ASSERT_OK(
      ImportFile(*db_, SharedData(kHeartHealth), Synthea(ImportOptions::Duplicates::kMean, true))
          .status());
  EXPECT_EQ(Value(p, "creatinine", "2020-05-01"), 1.7);
}

// REDCap repeat instances: three blood pressures at one visit.
TEST_F(DuplicatesTest, RedcapRepeatInstancesPerPolicy) {
  Register("sbp", "mm[Hg]", 0, 300);
  const std::string path = SharedData(kRedcapRepeats);
  EXPECT_THAT(ImportFile(*db_, path, Redcap(ImportOptions::Duplicates::kIdenticalOk)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(":4: sbp of record \"1\" on 2019-10-14: same patient, measure "
                                 "and date as line 3")));
  EXPECT_THAT(db_->Trajectory("1", "sbp"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));

  ASSERT_OK_AND_ASSIGN(ImportReport mean,
                       ImportFile(*db_, path, Redcap(ImportOptions::Duplicates::kMean)));
  EXPECT_EQ(mean.summary.written, 2);
  EXPECT_EQ(mean.skipped_by_reason["repeated patient, measure and date (--duplicates mean stored "
                                   "the mean with the first row)"],
            2);
  EXPECT_EQ(Value("1", "sbp", "2019-10-14"), 111);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory("1", "sbp"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].original_value, "111");
  EXPECT_EQ(t[0].visit, "bp#1");
  EXPECT_EQ(t[0].provenance.line, 3);
  EXPECT_EQ(Value("2", "sbp", "2004-04-04"), 114);

  ASSERT_OK(ImportFile(*db_, path, Redcap(ImportOptions::Duplicates::kKeepLast)).status());
  EXPECT_EQ(Value("1", "sbp", "2019-10-14"), 112);
  ASSERT_OK(ImportFile(*db_, path, Redcap(ImportOptions::Duplicates::kKeepFirst)).status());
  EXPECT_EQ(Value("1", "sbp", "2019-10-14"), 110);
}

TEST_F(DuplicatesTest, MeanOfDistinctValuesRoundedToTheDecimalsEntered) {
  Register("lab", "mg/L", 0, 100);
  // Line 4 repeats line 2: one reading, so the mean is of 5.2 and 5.5.
  const std::string path = Observations(
      "P1,lab,2024-01-01,5.2\nP1,lab,2024-01-01,5.5\nP1,lab,2024-01-01,5.2\n"
      "P2,lab,2024-01-01,7\nP2,lab,2024-01-01,8\n");
  ASSERT_OK_AND_ASSIGN(ImportReport r,
                       ImportFile(*db_, path, Options(ImportOptions::Duplicates::kMean)));
  EXPECT_EQ(r.summary.written, 2);
  EXPECT_EQ(r.skipped_by_reason[kIdentical], 1);
  EXPECT_EQ(Value("P1", "lab", "2024-01-01"), 5.4);  // 5.35, to one decimal
  EXPECT_EQ(Value("P2", "lab", "2024-01-01"), 8);    // 7.5, to a whole number
}

TEST_F(DuplicatesTest, MeanOfACensoredValueIsAnErrorNamingTheRows) {
  Register("lab", "mg/L", 0, 100);
  const std::string path = Observations("P1,lab,2024-01-01,<0.5\nP1,lab,2024-01-01,0.7\n");
  EXPECT_THAT(ImportFile(*db_, path, Options(ImportOptions::Duplicates::kMean)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("obs.csv:2: same patient, measure and date on lines 2, 3: "
                                       "their mean is undefined"),
                             HasSubstr("obs.csv:3:"), HasSubstr("nothing was written"))));
  EXPECT_THAT(db_->Trajectory("P1", "lab"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  // Identical censored rows are one value, not a mean.
  const std::string same = Observations("P1,lab,2024-01-01,<0.5\nP1,lab,2024-01-01,<0.5\n");
  ASSERT_OK(ImportFile(*db_, same, Options(ImportOptions::Duplicates::kMean)).status());
}

TEST_F(DuplicatesTest, ErrorPolicyRefusesEvenIdenticalRows) {
  Register("lab", "mg/L", 0, 100);
  const std::string path = Observations("P1,lab,2024-01-01,5\nP1,lab,2024-01-01,5\n");
  ASSERT_OK(ImportFile(*db_, path, ImportOptions()).status());  // identical-ok, the default
  EXPECT_THAT(ImportFile(*db_, path, Options(ImportOptions::Duplicates::kError)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("obs.csv:3:8: same patient, measure and date as line 2")));
}

TEST_F(DuplicatesTest, PolicyNames) {
  for (auto policy : {ImportOptions::Duplicates::kIdenticalOk, ImportOptions::Duplicates::kError,
                      ImportOptions::Duplicates::kKeepFirst, ImportOptions::Duplicates::kKeepLast,
                      ImportOptions::Duplicates::kMean}) {
    ASSERT_OK_AND_ASSIGN(ImportOptions::Duplicates back,
                         ParseDuplicatesPolicy(absl::StrCat(" ", DuplicatesPolicyName(policy))));
    EXPECT_EQ(back, policy);
  }
  EXPECT_THAT(ParseDuplicatesPolicy("median"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected identical-ok, error, keep-first, keep-last or mean")));
}

}  // namespace
}  // namespace cotrack::formats_test
